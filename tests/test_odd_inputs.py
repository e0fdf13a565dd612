"""Odd and broken input, end to end: a typed error or a clear warning, never a traceback."""

import csv
import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ecg_pipeline import analyze, run_pipeline
from ecg_pipeline.errors import EcgError, ImageTooLargeError, ImageTooSmallError, InvalidImageError

from .conftest import ROOT, sample_path
from .test_loading import encode, png_header_only


def odd_files() -> dict[str, bytes]:
    noise = np.random.default_rng(0).integers(0, 256, (900, 1300, 3)).astype(np.uint8)
    jpeg = encode(Image.fromarray(noise), "JPEG")
    photo = np.zeros((900, 1300, 3), np.uint8)  # a "photo": smooth colour gradients and a bright disc
    photo[..., 0] = np.linspace(30, 220, 1300)[None, :]
    photo[..., 1] = np.linspace(200, 60, 900)[:, None]
    yy, xx = np.mgrid[:900, :1300]
    photo[(yy - 450) ** 2 + (xx - 650) ** 2 < 200**2] = (250, 240, 200)
    return {
        "empty.png": b"",
        "text.jpg": b"Dear colleague, please find the ECG attached.\n" * 20,
        "document.png": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n",
        "truncated.jpg": jpeg[: len(jpeg) // 3],
        "bomb.png": png_header_only(60000, 60000),
        "one_pixel.png": encode(Image.new("RGB", (1, 1)), "PNG"),
        "blank.png": encode(Image.new("RGB", (1400, 1000), "white"), "PNG"),
        "noise.png": encode(Image.fromarray(noise), "PNG"),
        "photo.jpg": encode(Image.fromarray(photo), "JPEG"),
    }


ERRORS = {"empty.png": InvalidImageError, "text.jpg": InvalidImageError, "document.png": InvalidImageError,
          "truncated.jpg": InvalidImageError, "bomb.png": ImageTooLargeError, "one_pixel.png": ImageTooSmallError}
WARNED = {"blank.png": "blank", "noise.png": "does not look like", "photo.jpg": "does not look like"}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_unusable_files_raise_typed_errors(name):
    with pytest.raises(ERRORS[name]) as caught:
        run_pipeline(odd_files()[name], task="auto")
    assert isinstance(caught.value, EcgError) and len(str(caught.value)) > 15


@pytest.mark.parametrize("name", sorted(WARNED))
def test_images_that_are_not_ecgs_are_analysed_with_a_warning(name):
    result = analyze(odd_files()[name], task="twelve_lead")
    assert any(WARNED[name] in w for w in result.pipeline.warnings), result.pipeline.warnings


@pytest.mark.parametrize("convert", [
    lambda im: encode(im.convert("RGBA"), "PNG"),
    lambda im: encode(Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * 257), "PNG"),
    lambda im: encode(im.convert("P", palette=Image.Palette.ADAPTIVE), "GIF"),
    lambda im: encode(im.convert("CMYK"), "JPEG"),
    lambda im: encode(im, "JPEG", quality=15),
    lambda im: encode(im.rotate(90, expand=True), "JPEG", exif=_rotated_exif()),
], ids=["rgba", "16-bit", "palette-gif", "cmyk", "jpeg-q15", "exif-rotated"])
def test_unusual_but_valid_pages_are_analysed_normally(convert, sample_manifest):
    page = Image.open(sample_path(sample_manifest, "twelve_lead"))
    result = run_pipeline(convert(page), task="auto")
    # a grey page has no pink border to find, but its rows and separator bars are still there
    assert result.task == "twelve_lead" and result.layout.confidence >= 0.8 and len(result.layout.separators) == 3
    assert not any("does not look like" in w for w in result.warnings)


def _rotated_exif():
    exif = Image.Exif()
    exif[0x0112] = 8  # display rotated 90 degrees clockwise: undoes the counter-clockwise rotate above
    return exif


def test_the_cli_reports_every_odd_file_and_goes_on(tmp_path, sample_manifest):
    for name, data in odd_files().items():
        (tmp_path / name).write_bytes(data)
    good = sample_path(sample_manifest, "twelve_lead")
    (tmp_path / good.name).write_bytes(good.read_bytes())
    done = subprocess.run([sys.executable, "-m", "ecg_pipeline", "predict", str(tmp_path), "--model", "cnn"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in csv.DictReader(io.StringIO(done.stdout))}
    assert set(rows) == set(odd_files()) | {good.name}
    for name in ERRORS:
        assert rows[name]["error"] and not rows[name]["predicted_class"], name
    assert rows[good.name]["error"] == "" and rows[good.name]["predicted_class"]
