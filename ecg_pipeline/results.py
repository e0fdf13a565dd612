"""The models' results as Markdown, read from their cards: the README's tables and ``docs/results.md``.

Nothing here is typed in: every figure comes from what the training and evaluation scripts stored in
models/*.json, and a test checks that the README and ``docs/results.md`` are what these functions write
(``scripts/results_table.py --write-readme``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .constants import MODEL_TITLES, TASK_SPECS, TASKS
from .io import PROJECT_ROOT
from .io.cards import ModelCard, other_seed_cross_validations, read_card
from .models.verdict import verdict_card_path

#: The cross-validated figures of the cards, each named by what it measures (the rows of the dashboard's table).
RECIPE_CV = "Whole recipe (network retrained on each fold)"
RESEEDED_CV = "Whole recipe, fold networks of other seeds"
WEIGHTING_CV = "Lead weighting only (shipped network, which learnt from these pages)"
STACKED_CV = "Lead weighting on out-of-fold leads (networks retrained per fold)"
MEASURED_CV = "Measurement model (repeated folds, best of its settings)"
CROSS_VALIDATIONS = (RECIPE_CV, RESEEDED_CV, WEIGHTING_CV, STACKED_CV, MEASURED_CV)


def interval_text(value: float, interval: list[float] | None, short: bool = False) -> str:
    """A figure with its bootstrap interval, or the figure alone when the card holds none.

    Examples
    --------
    >>> interval_text(0.9466, [0.8962, 0.99])
    '0.947 (95 % CI 0.90–0.99)'
    >>> interval_text(0.9466, [0.8962, 0.99], short=True), interval_text(0.9466, None)
    ('0.947 (0.90–0.99)', '0.947')
    """
    if not interval:
        return f"{value:.3f}"
    # two decimals on the ends: with a few images per class, a third would claim a precision they lack
    return f"{value:.3f} ({'' if short else '95 % CI '}{interval[0]:.2f}–{interval[1]:.2f})"


def cross_validated_figures(card: ModelCard) -> dict[str, str]:
    """Each cross-validated figure of a card over the training and validation images, keyed by what it
    measures (``RECIPE_CV``, ``WEIGHTING_CV``, ...); empty when none was run."""
    figures = {}
    recipe, weighting, measured = card.recipe_cross_validation, card.lead_weighting, card.cross_validation
    if recipe:
        figures[RECIPE_CV] = f"{recipe['macro_f1']:.3f} ({recipe['folds']} folds)"
        if other_seed_cross_validations(card):
            figures[RESEEDED_CV] = other_seed_cross_validations(card)
    if weighting and weighting.get("cross_validation"):
        cv = weighting["cross_validation"]
        out_of_fold = weighting.get("fitted_on", {}).get("lead_probabilities") == "out-of-fold"
        figures[STACKED_CV if out_of_fold else WEIGHTING_CV] = (
            f"{cv['macro_f1']:.3f} ({cv['folds']} folds x {cv['repeats']}; plain mean of the leads "
            f"{cv['mean_of_leads_macro_f1']:.3f})")
    if measured:
        figures[MEASURED_CV] = (f"{measured['macro_f1']:.3f} ± {measured['macro_f1_std']:.3f} ({measured['folds']} "
                                f"folds x {measured['repeats']}; infarction F1 "
                                f"{measured['per_class_f1'].get('myocardial_infarction', float('nan')):.3f})")
    return figures


def why_cross_validations_differ(card: ModelCard) -> str | None:
    """One sentence on why a network's whole-recipe and lead-weighting figures differ, when it has both."""
    recipe, weighting = card.recipe_cross_validation, card.lead_weighting or {}
    if not recipe or WEIGHTING_CV not in cross_validated_figures(card):
        return None
    return (f"{recipe['macro_f1']:.3f} and {weighting['cross_validation']['macro_f1']:.3f} measure different "
            "things: the whole recipe retrains the network without each fold, so every page is scored by a network "
            "that never saw it (trained on fewer pages, it leans low); the lead weighting keeps the shipped network, "
            "which learnt from these same pages, and cross-validates only how its leads are combined, so it leans "
            "high.")


def results_table(models_dir: str | Path | None = None) -> str:
    """Task, model, accuracy and macro-F1 with their 95 % intervals, the cross-validated figures, every class's
    recall, the weakest class and the training time."""
    lines = ["| task | model | test images | accuracy (95 % CI) | macro-F1 (95 % CI) | cross-validated macro-F1 "
             "(train + validation) | weakest class (F1 (95 % CI), test images) | recall per class | training |",
             "|---|---|---|---|---|---|---|---|---|"]
    for task in TASKS:
        spec = TASK_SPECS[task]
        for kind in spec.model_kinds:
            card = read_card(task, kind, models_dir)
            evaluation = card.evaluation if card else None
            if not evaluation:
                lines.append(f"| {task} | {MODEL_TITLES[kind]} | not evaluated | | | | | | |")
                continue
            per_class, intervals = evaluation["per_class"], evaluation.get("intervals", {})
            weakest = min(per_class, key=lambda c: per_class[c]["f1"])
            weakest_f1 = interval_text(per_class[weakest]["f1"], intervals.get("per_class_f1", {}).get(weakest), True)
            recalls = ", ".join(f"{spec.display_names[c]} {per_class[c]['recall']:.3f}" for c in spec.classes)
            training = card.training
            runs = [*training.get("previous_runs", []), training]
            epochs = sum(run.get("epochs_run") or 0 for run in runs)
            seconds = sum(run.get("training_seconds") or 0 for run in runs)
            cross_validated = "; ".join(f"{name}: {value}" for name, value in cross_validated_figures(card).items())
            trained = (f"{len(training.get('settings_grid', []))} settings cross-validated, {seconds / 60:.0f} min"
                       if card.cross_validation else f"{epochs} epochs, {seconds / 60:.0f} min")
            lines.append(
                f"| {task} | {MODEL_TITLES[kind]} | {evaluation['n_images']} | "
                f"{interval_text(evaluation['accuracy'], intervals.get('accuracy'), True)} | "
                f"{interval_text(evaluation['macro_f1'], intervals.get('macro_f1'), True)} | "
                f"{cross_validated or 'not run'} | {spec.display_names[weakest]} ({weakest_f1}, "
                f"{per_class[weakest]['support']}) | {recalls} | {trained} |")
    return "\n".join(lines)


def verdict_table(models_dir: str | Path | None = None) -> str:
    """Each task's headline verdict rule with its out-of-fold figures (``scripts/fit_verdict_rule.py``)."""
    lines = []
    for task in TASKS:
        path = verdict_card_path(task, models_dir)
        if not path.exists():
            continue
        card = json.loads(path.read_text())
        names = TASK_SPECS[task].display_names
        if not lines:
            lines = ["| task | verdict rule (candidates scored out of fold) | macro-F1 | F1 per class | "
                     "test split macro-F1 (95 % CI) |", "|---|---|---|---|---|"]
        tested = card.get("evaluation")
        for rule in card["candidates"]:
            chosen = rule["models"] == card["rule"]["models"]
            per_class = ", ".join(f"{names[c]} {v:.3f}" for c, v in rule["per_class_f1"].items())
            test = (f"{interval_text(tested['macro_f1'], tested.get('intervals', {}).get('macro_f1'), True)}, "
                    f"{tested['n_images']} images") if chosen and tested else ""
            lines.append(f"| {task} | {rule['name']}{' (chosen)' if chosen else ''} | {rule['macro_f1']:.3f} | "
                         f"{per_class} | {test} |")
    return "\n".join(lines)


def robustness_table(models_dir: str | Path | None = None, level: str = "moderate") -> str:
    """Change in test macro-F1 of each model under each distortion at ``level``, for the tasks whose
    cards hold a robustness table (``scripts/evaluate.py --robustness``)."""
    lines = []
    for task in TASKS:
        cards = {kind: getattr(read_card(task, kind, models_dir), "robustness", None)
                 for kind in TASK_SPECS[task].model_kinds}
        cards = {kind: table for kind, table in cards.items() if table}
        if not cards:
            continue
        kinds = list(cards)
        steady = {k: cards[k].get("verdict_unchanged") for k in kinds}
        headers = [f"{MODEL_TITLES[k]} macro-F1 change" for k in kinds]
        headers += [f"{MODEL_TITLES[k]} verdicts unchanged" for k in kinds if steady[k]]
        lines += [f"| {task}, {level} distortion | " + " | ".join(headers) + " |", "|---|" + "---|" * len(headers)]
        first = cards[kinds[0]]["results"]
        lines.append("| none (clean test images, macro-F1) | "
                     + " | ".join([f"{cards[k]['results']['clean']:.3f}" for k in kinds]
                                  + ["" for k in kinds if steady[k]]) + " |")
        for distortion in (d for d in first if d != "clean"):
            cells = [f"{cards[k]['results'][distortion][level] - cards[k]['results']['clean']:+.3f}" for k in kinds]
            cells += [f"{steady[k][distortion][level]:.0%}" for k in kinds if steady[k]]
            lines.append(f"| {distortion.replace('_', ' ')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def results_block(models_dir: str | Path | None = None) -> str:
    """The README's generated block: the results table, the verdict rules, then the robustness table."""
    tables = [results_table(models_dir), verdict_table(models_dir), robustness_table(models_dir)]
    return "\n\n".join(table for table in tables if table)


def results_document(models_dir: str | Path | None = None) -> str:
    """docs/results.md: how each figure is measured, with the figures themselves read from the cards."""
    def card_section(kind: str, section: str) -> dict:
        return getattr(read_card("twelve_lead", kind, models_dir), section, None) or {}

    measured = card_section("measurements", "cross_validation")
    recipe = {MODEL_TITLES[kind]: card_section(kind, "recipe_cross_validation") for kind in ("cnn", "crnn")}
    lines = [
        "# Results, and how they are measured",
        "",
        "Generated by `scripts/results_table.py --write-readme` from the model cards; a test keeps this page and the",
        "README equal to what the script prints. Nothing here is typed in.",
        "",
        "## What each figure is",
        "",
        "- **Test split**: `scripts/evaluate.py` scores each model once on the test split (20 % of the distinct",
        "  images, by content hash) and writes accuracy, macro-F1, per-class precision, recall and F1, the confusion",
        "  matrix, ROC AUC, calibration and latency into the card. With few infarctions in that split, one page moves",
        "  macro-F1 by several points: the cross-validated figures are the steadier ones.",
        "- **95 % intervals** (CI) of the test figures: a percentile bootstrap, 2000 resamples of the test images",
        "  drawn within each true class (the split is stratified), seed 0. They show how far a figure moves with which",
        "  images happen to be in the split; they cannot show mistakes the model never made on the few it holds.",
        "- **Whole-recipe cross-validation of the networks** (`scripts/cross_validate.py`): each fold's network is",
        "  retrained from scratch on the other training and validation images and scored on its fold; every image",
        "  is scored by a network that never saw it. Folds train on two thirds of the images, so it leans low.",
        "- **Lead weighting alone** (`scripts/fit_lead_weighting.py`): the shipped network fixed, its lead weighting",
        "  cross-validated over the same images the network learnt from, so it leans high.",
        "- **Measurement model** (`scripts/train.py --model measurements`): 5-fold stratified cross-validation",
        "  repeated 5 times over the training and validation pages, for each of the settings in its grid; the best",
        "  setting is the one shipped, so its figure is the best of a small grid.",
        "- **Verdict rules** (`scripts/fit_verdict_rule.py`): every set of models averaged, scored on out-of-fold",
        "  probabilities of the training and validation pages: the measurement model's averaged over its repeats,",
        "  the networks' from their whole-recipe folds, mean of the leads.",
        "- **Robustness** (`scripts/evaluate.py --robustness`): the test pages under ten distortions at three levels;",
        "  \"verdicts unchanged\" is the share of pages whose verdict the distortion left as it was.",
        "",
        "## What the figures say",
        "",
    ]
    if recipe["CNN"] and recipe["CRNN"] and measured:
        lines += [
            f"- The networks' whole recipes cross-validate at {recipe['CNN']['macro_f1']:.3f} (CNN) and "
            f"{recipe['CRNN']['macro_f1']:.3f} (CRNN) macro-F1, with infarction F1",
            f"  {recipe['CNN']['per_class_f1']['myocardial_infarction']:.3f} and "
            f"{recipe['CRNN']['per_class_f1']['myocardial_infarction']:.3f}: with few infarction pages to learn from,",
            "  a network that reads pixels does not learn what separates the infarction classes.",
            f"- The measurement model cross-validates at {measured['macro_f1']:.3f} macro-F1 (infarction F1",
            f"  {measured['per_class_f1']['myocardial_infarction']:.3f}): ST, Q and T values and the rhythm carry",
            "  what the pixels did not.",
        ]
    lines += ["", "## Tables", "", results_block(models_dir), ""]
    return "\n".join(lines)


BENCHMARK_REPORT = PROJECT_ROOT / "docs" / "benchmark.json"
DIGITIZATION_REPORT = PROJECT_ROOT / "docs" / "digitization.json"
#: The speed targets, and whether a figure must stay at most (``"max"``) or at least (``"min"``) at them.
SPEED_TARGETS = {
    "analyze, every model (ms)": (200, "max"),
    "ratio to the reference recipe's preprocessing": (1.0, "max"),
    "measurements added (ms)": (60, "max"),
    "predict, every model (images/s)": (15, "min"),
    "upload to verdict (s)": (1.5, "max"),
    "upload to the whole page (s)": (3.0, "max"),
    "Grad-CAM lead switch (s)": (0.5, "max"),
    "widest image sent / its width on screen": (1.5, "max"),
    "peak resident memory (MB)": (1200, "max"),
    "memory growth over the soak test's analyses (MB)": (50, "max"),
}


def speed_figures(report: dict) -> dict[str, float | None]:
    """The figures of a ``scripts/benchmark.py`` report that the speed table shows (``None``: not measured)."""
    medians, dashboard, ray = report["median_ms"], report.get("dashboard", {}), report.get("ray", {})
    soak = report.get("soak", {})
    return {
        "analyze, every model (ms)": medians["analyze, every model (from file bytes)"],
        "reference recipe preprocessing (ms)": medians["reference recipe preprocessing (from file bytes)"],
        "ratio to the reference recipe's preprocessing": report["ratio_analyze_to_reference"],
        "measurements added (ms)": medians["measure_page (the added measurements)"],
        "predict, every model (images/s)": report["predict_images_per_s"],
        "predict on Ray, 1 worker (images/s, with the actors' start)": ray.get("1 worker images/s"),
        "predict on Ray, 2 workers (images/s, with the actors' start)": ray.get("2 workers images/s"),
        "predict on Ray, 1 worker (images/s, actors up)": ray.get("1 worker steady images/s"),
        "predict on Ray, 2 workers (images/s, actors up)": ray.get("2 workers steady images/s"),
        "Ray scaling, 2 workers / 1 (actors up)": ray.get("scaling, 2 workers / 1 (steady)"),
        "upload to verdict (s)": dashboard.get("upload to verdict, median s"),
        "upload to the whole page (s)": dashboard.get("upload to complete, median s"),
        "Grad-CAM lead switch (s)": dashboard.get("Grad-CAM lead switch, median s"),
        "widest image sent / its width on screen": dashboard.get("images sent / shown width, largest"),
        "peak resident memory (MB)": report["peak_rss_mb"],
        "memory growth over the soak test's analyses (MB)": soak.get("growth_mb"),
    }


def speed_table(report: dict) -> str:
    """The speed figures of one benchmark run as a Markdown table, each beside its target."""
    soak = report.get("soak", {})
    soak_text = (f"; the soak test (`scripts/soak.py`) ran {soak['analyses']} analyses of the built-in samples in "
                 "its own process" if "analyses" in soak else "")
    lines = [f"Measured in one run of `scripts/benchmark.py` on {report.get('cpu_cores', '?')} CPU cores "
             f"(`docs/benchmark.json`): times are medians over {report['repeats']} repeats; each throughput is one "
             f"pass over distinct printouts, and each page time the median of one upload per class"
             f"{soak_text}.", "",
             "| figure | measured | target | met |", "|---|---|---|---|"]
    for name, value in speed_figures(report).items():
        target, sense = SPEED_TARGETS.get(name, (None, ""))
        shown = "not measured" if value is None else f"{value:.2f}" if value < 10 else f"{value:.0f}"
        goal = "" if target is None else f"{'at most' if sense == 'max' else 'at least'} {target:g}"
        met = "" if target is None or value is None else "yes" if (
            value <= target if sense == "max" else value >= target) else "no"
        lines.append(f"| {name} | {shown} | {goal} | {met} |")
    return "\n".join(lines)


def speed_block(report_path: Path = BENCHMARK_REPORT) -> str:
    """``speed_table`` of the committed benchmark report, or a line saying it has not been run."""
    if not report_path.exists():
        return "No benchmark report yet: run `scripts/benchmark.py --engine ray`."
    return speed_table(json.loads(report_path.read_text()))


def digitization_table(report: dict) -> str:
    """The digitizer's SNR on synthetic pages, per condition, as a Markdown table (``evaluate_digitization.py``)."""
    summary = report["summary"]
    clean = summary.get("clean", {})
    lines = [f"Measured by `scripts/evaluate_digitization.py` (`docs/digitization.json`) on {clean.get('pages', '?')} "
             f"synthetic pages per condition, whose printed signal is known, each distortion at its "
             f"{report['level']} level: the SNR of each digitized lead against what was printed, after the best "
             "shift of up to 50 ms and the best constant offset, over the samples the digitizer gave a value "
             "(coverage: their share of the printed samples; the 0.2 s under each lead's printed name is left out by "
             "design). Goals: a median of at least 20 dB on clean pages and 10 dB under moderate distortion.", "",
             "| condition | median SNR (dB) | 10th percentile (dB) | median coverage | goal (dB) | met |",
             "|---|---|---|---|---|---|"]
    for condition, figures in summary.items():
        goal = 20.0 if condition == "clean" else 10.0
        met = "yes" if figures["median_snr_db"] >= goal else "no"
        lines.append(f"| {condition.replace('_', ' ')} | {figures['median_snr_db']:.1f} | {figures['p10_snr_db']:.1f} "
                     f"| {figures['median_coverage']:.0%} | {goal:g} | {met} |")
    return "\n".join(lines)


def digitization_block(report_path: Path = DIGITIZATION_REPORT) -> str:
    """``digitization_table`` of the committed report, or a line saying it has not been run."""
    if not report_path.exists():
        return "No digitization report yet: run `scripts/evaluate_digitization.py`."
    return digitization_table(json.loads(report_path.read_text()))


def _replace_block(text: str, name: str, body: str) -> str:
    block = f"<!-- {name}:start -->\n{body}\n<!-- {name}:end -->"
    return re.sub(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", lambda _: block, text, flags=re.S)


def write_readme(readme: Path = PROJECT_ROOT / "README.md") -> None:
    """Replace the README's results and speed blocks with the current tables, and write ``docs/results.md``
    beside it."""
    text = _replace_block(readme.read_text(), "results", results_block())
    text = _replace_block(text, "speed", speed_block())
    readme.write_text(_replace_block(text, "digitization", digitization_block()))
    (readme.parent / "docs" / "results.md").write_text(results_document())

