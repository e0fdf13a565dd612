"""PDF input: pages rendered at the models' scale, each page its own image, limits with clear messages."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from PIL import Image

from ecg_pipeline.constants import MAX_PDF_PAGES, REFERENCE_PX_PER_MM
from ecg_pipeline.errors import InvalidImageError
from ecg_pipeline.io.data import find_images
from ecg_pipeline.io.loading import load_image, pdf_page, pdf_page_count
from ecg_pipeline.models.inference import analyze

from .conftest import SAMPLES
from .test_cli import run_cli

PAGE = SAMPLES / "real_twelve_lead_myocardial_infarction_1.jpg"


def mixed_pdf(path) -> bytes:
    """A one-page PDF of a printout at paper size: the page as a raster image, with vector text and lines over
    its margins, as an ECG cart's export may have."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    image = np.asarray(Image.open(path).convert("RGB"))
    height, width = image.shape[:2]
    inches = (width / REFERENCE_PX_PER_MM / 25.4, height / REFERENCE_PX_PER_MM / 25.4)
    figure = plt.figure(figsize=inches)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.imshow(image, extent=(0, width, height, 0), interpolation="nearest")
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.axis("off")
    axes.text(80, 90, "ECG REPORT (exported)", fontsize=14)  # vector text in the blanked header
    axes.plot([60, width - 60], [160, 160], color="black", linewidth=1.0)  # a vector rule above the grid
    buffer = io.BytesIO()
    figure.savefig(buffer, format="pdf", dpi=REFERENCE_PX_PER_MM * 25.4)
    plt.close(figure)
    return buffer.getvalue()


def test_a_page_exported_as_pdf_is_read_at_the_models_scale_and_gets_the_same_verdict():
    data = mixed_pdf(PAGE)
    assert pdf_page_count(data) == 1
    page = pdf_page(data)
    original = load_image(PAGE)
    assert abs(page.shape[1] - original.shape[1]) <= 3 and abs(page.shape[0] - original.shape[0]) <= 3
    from_pdf, from_image = analyze(data), analyze(PAGE)
    assert not from_pdf.refused
    assert from_pdf.verdict().predicted_class == from_image.verdict().predicted_class == "myocardial_infarction"
    assert list(from_pdf.aggregate["predicted_class"]) == list(from_image.aggregate["predicted_class"])


def test_each_page_of_a_pdf_is_its_own_row_and_folders_include_pdfs(tmp_path):
    pages = [Image.open(SAMPLES / name) for name in ("real_twelve_lead_normal_1.jpg", PAGE.name)]
    pages[0].save(tmp_path / "two.pdf", save_all=True, append_images=pages[1:], resolution=REFERENCE_PX_PER_MM * 25.4)
    assert find_images(tmp_path) == [tmp_path / "two.pdf"]
    done = run_cli("predict", str(tmp_path), "--model", "cnn")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["path"].rsplit("/", 1)[-1] for r in rows] == ["two.pdf#page=1", "two.pdf#page=2"]
    assert [r["predicted_class"] for r in rows] == ["normal", "myocardial_infarction"]


def test_a_multi_page_pdf_given_whole_to_load_image_says_to_choose_a_page(tmp_path):
    page = Image.new("RGB", (400, 300), "white")
    buffer = io.BytesIO()
    page.save(buffer, "PDF", save_all=True, append_images=[page])
    with pytest.raises(InvalidImageError, match="2 pages"):
        load_image(buffer.getvalue())


@pytest.mark.parametrize("data, message", [
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "damaged"),
    (b"%PDF-1.4\n" + b"\x00" * 100, "damaged"),
])
def test_a_damaged_pdf_gets_a_message(data, message):
    with pytest.raises(InvalidImageError, match=message):
        pdf_page(data)


def test_a_pdf_with_too_many_pages_is_refused():
    page = Image.new("RGB", (100, 100), "white")
    buffer = io.BytesIO()
    page.save(buffer, "PDF", save_all=True, append_images=[page] * MAX_PDF_PAGES)
    with pytest.raises(InvalidImageError, match=f"at most {MAX_PDF_PAGES}"):
        pdf_page_count(buffer.getvalue())
    with pytest.raises(InvalidImageError, match="no page 3"):
        pdf_page(two_pages(), 3)


def two_pages() -> bytes:
    page = Image.new("RGB", (400, 300), "white")
    buffer = io.BytesIO()
    page.save(buffer, "PDF", save_all=True, append_images=[page])
    return buffer.getvalue()


def test_pdf_pages_render_from_many_threads_at_once():
    from concurrent.futures import ThreadPoolExecutor

    data = mixed_pdf(PAGE)
    with ThreadPoolExecutor(max_workers=6) as pool:
        pages = list(pool.map(lambda _: pdf_page(data), range(12)))
    assert all(np.array_equal(page, pages[0]) for page in pages)
