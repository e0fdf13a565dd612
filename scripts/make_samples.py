"""Write the built-in samples in ``data/samples/`` and their ``manifest.csv``: real images from the shared test
split, and synthetic ones drawn by the project.

Usage::

    python scripts/make_samples.py --out data/samples --real-from ../shared/data

Real samples: for each class, the first two images of the test split (in content-hash order) that the
evidence gate accepts and every model classifies correctly, so that a lesson does not open on a model's
mistake (the Model comparison page has the honest figures). The printouts' patient fields (header, and the
footer's date and time) are blanked and the page saved again as a JPEG with the original's quantization tables,
and checked once more;
the manifest records the original's and the shipped file's SHA-256, the source and the licence. Beats are
copied as they are.

Synthetic samples: drawings by ``ecg_pipeline.synth``, not patient data. Seeds are fixed, so running it again
gives the same pictures (and the same files, byte for byte, with the same OpenCV build). Without
``--real-from`` the real samples already in the manifest are kept.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np

from ecg_pipeline.constants import BEAT, DATA_SOURCES, TASK_SPECS, TWELVE_LEAD
from ecg_pipeline.io.data import sha256_of_file
from ecg_pipeline.synth import REFERENCE_PAGE_SIZE, render_beat_image, render_twelve_lead_page

GENERATOR = "ecg_pipeline.synth"
MANIFEST_COLUMNS = ("file", "task", "class", "origin", "seed", "generator", "source", "licence", "original_file",
                    "original_sha256", "sha256")
SAMPLES_PER_CLASS = 2
#: Pages are drawn at the reference size and then downscaled, which softens the dotted grid the way a
#: scan does and keeps all samples together under 3 MB.
PAGE_WIDTH = 1600
JPEG_QUALITY = 85


def sample_seed(task: str, class_index: int, number: int) -> int:
    """A fixed seed per sample; consecutive numbers alternate the class variant (see ``synth``).

    Examples
    --------
    >>> sample_seed("beat", 2, 1)
    2201
    """
    task_offset = 1000 if task == TWELVE_LEAD else 2000
    return task_offset + 100 * class_index + number


def page_size(width: int = PAGE_WIDTH) -> tuple[int, int]:
    """(width, height) of a saved page, with the reference page's aspect ratio."""
    ref_width, ref_height = REFERENCE_PAGE_SIZE
    return width, int(round(width * ref_height / ref_width))


def write_rgb(path: Path, rgb: np.ndarray, jpeg_quality: int = JPEG_QUALITY) -> None:
    """Save an RGB image; JPEG or PNG by the file's suffix."""
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if path.suffix.lower() in (".jpg", ".jpeg") else []
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params):
        raise OSError(f"Could not write {path}.")


def make_samples(out: Path, per_class: int = SAMPLES_PER_CLASS, page_width: int = PAGE_WIDTH) -> list[dict]:
    """Render every sample into ``out`` and write ``out/manifest.csv``.

    Parameters
    ----------
    out : Path
        Output folder (created when missing).
    per_class : int
        Samples per class and task.
    page_width : int
        Width in pixels of the saved 12-lead pages.

    Returns
    -------
    rows : list of dict
        The manifest rows.
    """
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    size = page_size(page_width)
    for index, ecg_class in enumerate(TASK_SPECS[TWELVE_LEAD].classes):
        for number in range(1, per_class + 1):
            seed = sample_seed(TWELVE_LEAD, index, number)
            page = render_twelve_lead_page(ecg_class, seed=seed)
            page = cv2.resize(page, size, interpolation=cv2.INTER_AREA)
            name = f"{TWELVE_LEAD}_{ecg_class}_{number}.jpg"
            write_rgb(out / name, page)
            rows.append({"file": name, "task": TWELVE_LEAD, "class": ecg_class, "origin": "synthetic",
                         "seed": seed, "generator": GENERATOR, "sha256": sha256_of_file(out / name)})
    for index, beat_class in enumerate(TASK_SPECS[BEAT].classes):
        for number in range(1, per_class + 1):
            seed = sample_seed(BEAT, index, number)
            name = f"{BEAT}_{beat_class}_{number}.png"
            write_rgb(out / name, render_beat_image(beat_class, seed=seed))
            rows.append({"file": name, "task": BEAT, "class": beat_class, "origin": "synthetic", "seed": seed,
                         "generator": GENERATOR, "sha256": sha256_of_file(out / name)})
    return rows


def jpeg_like(rgb: np.ndarray, original: Path) -> bytes:
    """``rgb`` as a JPEG with the original file's quantization tables and chroma subsampling: about its size
    and its artefacts (a fixed quality would double the file or smooth the trace differently)."""
    import io

    from PIL import Image, JpegImagePlugin

    with Image.open(original) as source:
        tables, sampling = source.quantization, JpegImagePlugin.get_sampling(source)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", qtables=tables, subsampling=sampling, progressive=True)
    return buffer.getvalue()


def correct_everywhere(data: bytes, task: str, class_id: str) -> bool:
    """Whether the gate accepts the image and every model of the task, and the verdict, name its class."""
    from ecg_pipeline.models.inference import analyze

    result = analyze(data, task=task)
    verdict = result.verdict()
    return (not result.refused and len(result.models) == len(TASK_SPECS[task].model_kinds)
            and set(result.aggregate["predicted_class"]) == {class_id} and verdict.predicted_class == class_id)


def real_samples(out: Path, shared: Path, per_class: int = SAMPLES_PER_CLASS) -> list[dict]:
    """Pick, de-identify and write the real samples (see the module's docstring); their manifest rows."""
    from ecg_pipeline.io.data import attach_split, list_labelled_images, read_split
    from ecg_pipeline.io.privacy import blank_patient_fields
    from ecg_pipeline.preprocess.pipeline import run_pipeline

    rows = []
    for task, folder in ((TWELVE_LEAD, "ecg-images"), (BEAT, "beat-images")):
        images = attach_split(list_labelled_images(shared / folder, task), read_split(task))
        test = images[images.split == "test"].sort_values("sha256")
        source = DATA_SOURCES[task]
        for class_id in TASK_SPECS[task].classes:
            chosen = 0
            for image in test[test["class"] == class_id].itertuples(index=False):
                data = Path(image.path).read_bytes()
                if task == TWELVE_LEAD:
                    page = run_pipeline(data, task=task).original
                    blanked = blank_patient_fields(page, run_pipeline(data, task=task).layout.grid_box)
                    data = jpeg_like(blanked, Path(image.path))
                if not correct_everywhere(data, task, class_id):
                    continue
                chosen += 1
                name = f"real_{task}_{class_id}_{chosen}" + (".jpg" if task == TWELVE_LEAD else ".png")
                (out / name).write_bytes(data)
                rows.append({"file": name, "task": task, "class": class_id, "origin": "real",
                             "source": f"{source['name']}, {source['authors']}, {source['publisher']}, "
                                       f"doi:{source['doi']}", "licence": source["licence"],
                             "original_file": f"{folder}/{class_id}/{Path(image.path).name}",
                             "original_sha256": image.sha256, "sha256": sha256_of_file(out / name)})
                if chosen == per_class:
                    break
    return rows


def write_manifest(out: Path, rows: list[dict]) -> None:
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/samples"), help="output folder")
    parser.add_argument("--per-class", type=int, default=SAMPLES_PER_CLASS, help="samples per class")
    parser.add_argument("--page-width", type=int, default=PAGE_WIDTH, help="width of saved pages, px")
    parser.add_argument("--real-from", type=Path, help="the shared data folder (holding ecg-images/, beat-images/)")
    args = parser.parse_args(argv)
    if args.real_from:
        real = real_samples(args.out, args.real_from, args.per_class)
    else:
        manifest = args.out / "manifest.csv"
        real = [r for r in csv.DictReader(open(manifest, encoding="utf-8")) if r.get("origin") == "real"] \
            if manifest.exists() else []
    rows = real + make_samples(args.out, args.per_class, args.page_width)
    write_manifest(args.out, rows)
    total = sum((args.out / row["file"]).stat().st_size for row in rows)
    print(f"Wrote {len(rows)} samples and manifest.csv to {args.out} ({total / 1e6:.2f} MB).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
