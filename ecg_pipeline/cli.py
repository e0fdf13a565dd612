"""Command line: ``python -m ecg_pipeline predict ...`` and ``python -m ecg_pipeline stages ...``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .constants import LEAD_ORDERS, MODEL_KINDS, STANDARD_ORDER, TASKS
from .errors import EcgError
from .io.data import find_images
from .rows import error_rows, file_rows, model_choice, table_columns


def predict_rows(path: Path, task: str, kinds: tuple[str, ...], anyway: bool = False,
                 lead_order: str = STANDARD_ORDER) -> list[dict]:
    """The rows of one file (``rows.file_rows``): each page of a PDF is its own image; a failure, or an image
    that is not an ECG, becomes rows that carry its message."""
    from .io.loading import read_bytes

    try:
        data = read_bytes(path)
    except EcgError as exc:
        return error_rows(str(path), task, kinds, str(exc))
    return file_rows(str(path), data, task, kinds, anyway, lead_order=lead_order)


def predict_files(files: list[Path], task: str, kinds: tuple[str, ...], workers: int | None = None,
                  anyway: bool = False, lead_order: str = STANDARD_ORDER) -> Iterator[list[dict]]:
    """``predict_rows`` of each file, in order, over a few threads.

    Decoding and the OpenCV / TensorFlow work release the GIL, so one image's preprocessing runs while
    another's models do; the models are shared between the threads (see ``inference.load_model``).
    """
    workers = workers or min(4, os.cpu_count() or 1)
    if workers == 1 or len(files) < 2:
        yield from (predict_rows(path, task, kinds, anyway, lead_order) for path in files)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(lambda path: predict_rows(path, task, kinds, anyway, lead_order), files)


def scored_files(files: list[Path], args: argparse.Namespace,
                 kinds: tuple[str, ...]) -> Iterator[tuple[int, list[dict]]]:
    """``(index in files, rows)`` of each file from the engine asked for: in order in-process, as they finish
    on Ray."""
    if args.engine == "ray":
        from .archive import score_archive

        yield from score_archive(files, args.task, kinds, args.workers or 2, args.address, args.analyze_anyway,
                                 lead_order=args.lead_order)
    else:
        yield from enumerate(predict_files(files, args.task, kinds, args.workers, args.analyze_anyway,
                                           args.lead_order))


def write_rows(rows: list[dict], columns: list[str], fmt: str, out: str | None) -> None:
    """The table as CSV or JSON (to ``out``, else standard output) or Parquet (to ``out``)."""
    import csv

    if fmt == "parquet":  # typed columns: probabilities as numbers (missing: null), the rest as text
        import pandas as pd

        frame = pd.DataFrame([{k: r.get(k) for k in columns} for r in rows], columns=columns)
        numeric = [c for c in columns if c == "confidence" or c.startswith("p_")]
        frame[numeric] = frame[numeric].apply(pd.to_numeric).astype(float)
        text = [c for c in columns if c not in numeric]
        frame[text] = frame[text].fillna("").astype(str)
        frame.to_parquet(out, index=False)
        return
    stream = open(out, "w", newline="") if out else sys.stdout  # noqa: SIM115 (stdout is not closed)
    try:
        if fmt == "json":
            json.dump([{k: r.get(k, "") for k in columns} for r in rows], stream, indent=1)
            stream.write("\n")
        else:
            writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if out:
            stream.close()


def check_predict_options(args: argparse.Namespace) -> None:
    """Refuse, before anything is scored, options that cannot work together."""
    if args.format == "parquet" and not args.out:
        raise EcgError("Parquet is written to a file: add --out FILE.parquet.")
    if args.out and not Path(args.out).resolve().parent.is_dir():
        raise EcgError(f"The folder for --out does not exist: {Path(args.out).resolve().parent}")
    if args.workers is not None and args.workers < 1:
        raise EcgError("--workers needs at least 1.")
    if args.address and args.engine != "ray":
        raise EcgError("--address names a Ray cluster: add --engine ray.")


def command_predict(args: argparse.Namespace) -> int:
    """Score the files and folders asked for and write one row per model and image, and the verdict's; exit
    status 1 when any row carries an error."""
    from tqdm import tqdm

    check_predict_options(args)
    kinds = model_choice(args.model)
    files: list[Path] = []
    rows: list[dict] = []
    for raw in args.paths:
        path = Path(raw)
        if not path.exists():
            rows.extend(error_rows(raw, "", kinds, "No such file or folder."))
            continue
        found = find_images(path)
        if path.is_dir() and not found:
            rows.extend(error_rows(raw, "", kinds, "No image files in this folder."))
        files.extend(found)
    by_file: dict[int, list[dict]] = {}
    # The bar (count, rate, time left) is for a person at a terminal; --progress writes lines for a log.
    with tqdm(total=len(files), unit="image", file=sys.stderr, disable=not sys.stderr.isatty(),
              dynamic_ncols=True) as bar:
        for index, rows_of_file in scored_files(files, args, kinds):
            by_file[index] = rows_of_file
            bar.update()
            if args.progress:
                tqdm.write(f"[{len(by_file)}/{len(files)}] {files[index]}", file=sys.stderr)
    for index in range(len(files)):
        rows.extend(by_file[index])
    write_rows(rows, table_columns(rows, args.task), args.format, args.out)
    return 0 if rows and all(not r.get("error") for r in rows) else 1


def command_stages(args: argparse.Namespace) -> int:
    from PIL import Image

    from .io.privacy import deidentify
    from .preprocess.pipeline import run_pipeline
    from .preprocess.render import stage_images
    from .preprocess.trace_quality import page_quality, quality_advice

    result = run_pipeline(args.image, task=args.task, sigma=args.sigma, lead_order=args.lead_order)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, image in stage_images(result if args.keep_patient_fields else deidentify(result)).items():
        Image.fromarray(image).save(out / f"{name}.png")
    for warning in [*result.warnings, quality_advice(page_quality(result))]:
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    fields = "" if result.layout is None else (
        " (patient fields kept)" if args.keep_patient_fields else " (patient fields blanked)")
    print(f"{result.task}: {len(result.leads)} leads, rotation {result.rotation_degrees:+.2f} deg, "
          f"stage images in {out}{fields}")
    return 0


def command_digitize(args: argparse.Namespace) -> int:
    """Write each 12-lead page's digitized leads as CSV or a WFDB record in ``--out``; a file that cannot be read,
    is not an ECG or cannot be measured is reported on stderr, and the exit status is then 1; a page with leads
    read with low confidence is written, with a warning naming them."""
    from .io.export import record_name, signal_csv, signal_table, write_wfdb
    from .io.loading import file_pages, page_image, read_bytes
    from .models.inference import analyze
    from .preprocess.trace_quality import quality_advice

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    # A path that does not exist stays in the list, so that reading it says so.
    for path in [p for raw in map(Path, args.images) for p in (find_images(raw) if raw.exists() else [raw])]:
        try:
            data = read_bytes(path)
            for name, number in file_pages(str(path), data):
                result = analyze(page_image(data, number), task="twelve_lead", models=(), lead_order=args.lead_order)
                if result.refused:
                    raise EcgError(f"not an ECG: {result.gate.message}")
                table, record = signal_table(result.measurements.signals), record_name(name)
                if args.format == "wfdb":
                    written = write_wfdb(table, record, out)[0]
                else:
                    written = out / f"{record}.csv"
                    written.write_text(signal_csv(table))
                print(f"{name}: {written}")
                if advice := quality_advice(result.lead_quality):
                    print(f"warning: {name}: {advice}", file=sys.stderr)
        except EcgError as exc:
            failed += 1
            print(f"error: {path}: {exc}", file=sys.stderr)
    return 1 if failed else 0


def add_lead_order(command: argparse.ArgumentParser) -> None:
    command.add_argument("--lead-order", choices=LEAD_ORDERS, default=STANDARD_ORDER,
                         help="the order 12-lead pages print their limb leads in: standard (I, II, III, aVR, aVL, "
                              "aVF) or cabrera (aVL, I, -aVR, II, aVF, III; -aVR is read as aVR)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ecg_pipeline",
                                     description="ECG image pipeline: stages and predictions of the CNN, "
                                                 "the CRNN and the measurement model.")
    sub = parser.add_subparsers(dest="command", required=True)
    predict = sub.add_parser("predict", help="classify images (files or folders, searched recursively)")
    predict.add_argument("paths", nargs="+", metavar="PATH")
    predict.add_argument("--task", choices=["auto", *TASKS], default="auto")
    predict.add_argument("--model", choices=[*MODEL_KINDS, "both", "all"], default="all",
                         help="one model, both networks, or all (the default): the networks and the measurement model")
    predict.add_argument("--format", choices=["csv", "json", "parquet"], default="csv",
                         help="parquet (for large runs) needs --out")
    predict.add_argument("--out", help="write the table to this file instead of standard output")
    predict.add_argument("--engine", choices=["local", "ray"], default="local",
                         help="local: threads in this process; ray: Ray Data actors, for archives")
    predict.add_argument("--address", help="with --engine ray: the Ray cluster to join (for example auto, or "
                                           "ray://head:10001); default: start a local Ray")
    predict.add_argument("--analyze-anyway", action="store_true",
                         help="run the models on images the ECG-evidence gate refuses (their rows say so)")
    predict.add_argument("--progress", action="store_true", help="report each file on stderr")
    predict.add_argument("--workers", type=int, default=None,
                         help="images analysed at once (default: the CPU count, at most 4; with --engine ray, "
                              "the actors, one CPU each, default 2)")
    add_lead_order(predict)
    predict.set_defaults(handler=command_predict)
    digitize = sub.add_parser("digitize", help="write each 12-lead page's leads as signals in mV (CSV or WFDB)")
    digitize.add_argument("images", nargs="+", metavar="IMAGE", help="images, PDFs or folders")
    digitize.add_argument("--out", required=True, help="folder for the files")
    digitize.add_argument("--format", choices=["csv", "wfdb"], default="csv",
                          help="csv: time in s and one column per lead; wfdb: a 10 s, 500 Hz record, 13 channels")
    add_lead_order(digitize)
    digitize.set_defaults(handler=command_digitize)
    stages = sub.add_parser("stages", help="write every preprocessing stage of one image as PNG")
    stages.add_argument("image")
    stages.add_argument("--out", required=True, help="folder for the PNG files")
    stages.add_argument("--task", choices=["auto", *TASKS], default="auto")
    stages.add_argument("--sigma", type=float, default=1.0)
    stages.add_argument("--keep-patient-fields", action="store_true",
                        help="keep the header (ID, age, sex) and the footer's date in the page pictures; by default "
                             "they are blanked")
    add_lead_order(stages)
    stages.set_defaults(handler=command_stages)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except EcgError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the terminal gets a sentence, not a traceback
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
