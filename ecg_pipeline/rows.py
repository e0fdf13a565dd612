"""One table row per model and image, and one for the headline verdict: the command line's CSV and JSON and the
dashboard's Batch table are built from these."""

from __future__ import annotations

from .constants import MODEL_KINDS, NETWORK_KINDS, STANDARD_ORDER, TASK_SPECS, TASKS

#: The first columns of every prediction table; ``p_<class>`` columns follow.
ROW_COLUMNS: list[str] = ["path", "task", "model", "predicted_class", "confidence", "verdict", "warnings", "error"]
VERDICT_MODEL = "verdict"


def model_choice(choice: str) -> tuple[str, ...]:
    """The model kinds a ``--model`` choice names: one kind, ``both`` (the networks) or ``all``.

    Examples
    --------
    >>> model_choice("both"), model_choice("measurements")
    (('cnn', 'crnn'), ('measurements',))
    """
    if choice == "all":
        return MODEL_KINDS
    if choice == "both":
        return NETWORK_KINDS
    return (choice,)


def probability_columns(tasks: list[str]) -> list[str]:
    """``p_<class>`` for each class id of the given tasks, in task order, without repeats.

    Examples
    --------
    >>> probability_columns(["twelve_lead"])[:2]
    ['p_normal', 'p_abnormal_heartbeat']
    """
    columns: list[str] = []
    for task in tasks:
        for class_id in TASK_SPECS[task].classes:
            if f"p_{class_id}" not in columns:
                columns.append(f"p_{class_id}")
    return columns


def table_columns(rows: list[dict], task: str) -> list[str]:
    """``ROW_COLUMNS`` and the probability columns of the tasks the rows hold (all of ``task``'s when none)."""
    tasks = list(TASKS) if task == "auto" else [task]
    used = [t for t in tasks if any(r.get("task") == t for r in rows)] or tasks
    return ROW_COLUMNS + probability_columns(used)


def error_rows(path: str, task: str, kinds: tuple[str, ...], message: str) -> list[dict]:
    """Rows for an image that could not be analysed: one per model asked for, each carrying the message."""
    return [{"path": path, "task": "" if task == "auto" else task, "model": kind, "error": message} for kind in kinds]


def prediction_rows(path: str, result, kinds: tuple[str, ...]) -> list[dict]:
    """One row per model asked for, then the headline verdict's row when more than one model ran.

    Parameters
    ----------
    path : str
        The image's name in the table.
    result : AnalysisResult
    kinds : model kinds asked for; those the image's task has no model of get no row (a beat has no
        measurement model) unless nothing else was asked for.
    """
    spec = TASK_SPECS[result.task]
    warnings = " ".join(result.pipeline.warnings)
    if result.refused:
        return [{**row, "task": result.task, "warnings": warnings}
                for row in error_rows(path, result.task, kinds, f"not an ECG: {result.gate.message}")]
    if result.forced:
        warnings = f"Analyzed anyway although {result.gate.message[0].lower()}{result.gate.message[1:]} {warnings}"
    wanted = [kind for kind in kinds if kind in spec.model_kinds]
    rows = [{"path": path, "task": result.task, "model": kind,
             "error": f"The {TASK_SPECS[result.task].title} task has no {kind} model."} for kind in kinds
            if not wanted and kind not in spec.model_kinds]
    for kind in wanted:
        row = {"path": path, "task": result.task, "model": kind, "warnings": warnings,
               "error": result.model_errors.get(kind, "")}
        if kind in result.aggregate.index:
            aggregate = result.aggregate.loc[kind]
            predicted = aggregate["predicted_class"]
            row.update(predicted_class=predicted, confidence=round(float(aggregate[predicted]), 6),
                       **{f"p_{c}": round(float(aggregate[c]), 6) for c in result.classes})
        rows.append(row)
    if len(result.models) > 1:
        verdict = result.verdict()
        row = {"path": path, "task": result.task, "model": VERDICT_MODEL,
               "verdict": f"{verdict.summary()} (rule: {verdict.rule})",
               "warnings": warnings, "error": ""}
        if verdict.probabilities is not None:
            row.update(predicted_class=verdict.predicted_class, confidence=round(verdict.confidence, 6),
                       **{f"p_{c}": round(v, 6) for c, v in verdict.probabilities.items()})
        rows.append(row)
    return rows


def file_rows(name: str, data: bytes, task: str, kinds: tuple[str, ...], anyway: bool = False,
              models_dir: str | None = None, lead_order: str = STANDARD_ORDER) -> list[dict]:
    """The rows of one file's bytes: ``prediction_rows`` of the image, or of each page of a PDF (named
    ``name#page=N``, rendered one at a time), its 12-lead pages read in ``lead_order``. A file or page that cannot
    be analysed gets rows carrying the reason; nothing is raised."""
    from .errors import EcgError
    from .io.loading import file_pages, page_image, read_bytes
    from .models.inference import analyze

    try:
        data = read_bytes(data)  # an empty file, or one over the size limit, is refused here
        pages = file_pages(name, data)
    except EcgError as exc:
        return error_rows(name, task, kinds, str(exc))
    rows = []
    for label, number in pages:
        try:
            result = analyze(page_image(data, number), task=task, models=kinds, models_dir=models_dir,
                             anyway=anyway, explain=False, lead_order=lead_order)
            rows.extend(prediction_rows(label, result, kinds))
        except EcgError as exc:
            rows.extend(error_rows(label, task, kinds, str(exc)))
        except Exception as exc:  # never a traceback for one bad file: report it and go on
            rows.extend(error_rows(label, task, kinds, f"Unexpected error: {type(exc).__name__}: {exc}"))
    return rows
