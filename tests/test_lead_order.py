"""Cabrera pages: rendered by ``synth`` with their labels, split in every lead grid with each lead named as Cabrera
prints it (aVL, I, -aVR, II, aVF, III), -aVR turned back into aVR; and the choice reaches the command line and the
Analyze page."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ecg_pipeline.cli import main as cli_main
from ecg_pipeline.constants import CABRERA_ORDER, STANDARD_ORDER, layout_name
from ecg_pipeline.io.export import signal_table
from ecg_pipeline.measure import measure_page
from ecg_pipeline.preprocess.distortions import rotate
from ecg_pipeline.preprocess.layouts import in_lead_order
from ecg_pipeline.preprocess.pipeline import run_pipeline
from ecg_pipeline.preprocess.stages import crop
from ecg_pipeline.preprocess.trace_quality import snr_db
from ecg_pipeline.rows import file_rows
from ecg_pipeline.synth import render_twelve_lead_page
from ecg_pipeline.synth.page import PagePlan, printed_signals

LIMB_LEADS = ["I", "II", "III", "aVR", "aVL", "aVF"]
GRIDS = [("3x4", ("II",)), ("6x2", ()), ("12x1", ())]
CLASS, SEED = "myocardial_infarction", 1


def cabrera_page(grid: str, strips: tuple[str, ...]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    return (render_twelve_lead_page(CLASS, seed=SEED, grid=grid, rhythm_strips=strips, lead_order=CABRERA_ORDER),
            printed_signals(CLASS, seed=SEED, grid=grid, rhythm_strips=strips, lead_order=CABRERA_ORDER))


def limb_snr(image: np.ndarray, truth: dict[str, np.ndarray], lead_order: str) -> dict[str, float]:
    """The SNR of each limb lead read in ``lead_order`` against the lead of that name the page printed."""
    table = signal_table(measure_page(run_pipeline(image, lead_order=lead_order)).signals)
    return {lead: snr_db(truth[lead], table[lead].to_numpy()) for lead in LIMB_LEADS}


@pytest.mark.parametrize("grid,strips", GRIDS, ids=[layout_name(g, len(s)) for g, s in GRIDS])
def test_a_cabrera_page_read_in_cabrera_order_gives_each_limb_lead_its_own_signal(grid, strips):
    page, truth = cabrera_page(grid, strips)
    for scale, degrees in [(0.6, 0.0), (1.4, 0.0), (1.0, 2.0), (1.0, -2.0)]:
        image = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale != 1 else page
        image = rotate(image, degrees) if degrees else image
        result = run_pipeline(image, lead_order=CABRERA_ORDER)
        assert result.layout.name == layout_name(grid, len(strips)) and result.layout.inverted == ("aVR",)
        snr = limb_snr(image, truth, CABRERA_ORDER)
        # Every limb lead, aVR turned back included, follows what was printed under its label.
        assert min(snr.values()) > 3.0, ((scale, degrees), snr)
    # Read as a standard page, the same names get other leads' signals: at least 5 dB further from what was
    # printed, or not in the same place at all. aVF is left out: a standard reading takes it from the place
    # where Cabrera prints III, whose signal is much like aVF's.
    right, wrong = limb_snr(page, truth, CABRERA_ORDER), limb_snr(page, truth, STANDARD_ORDER)
    for lead in ("I", "II", "III", "aVR", "aVL"):
        assert not wrong[lead] > right[lead] - 5.0, (lead, right, wrong)


#: What Cabrera printers print, row by row, written out here rather than taken from the code under test.
CABRERA_ROWS = {
    "3x4": [("aVL", "II", "V1", "V4"), ("I", "aVF", "V2", "V5"), ("-aVR", "III", "V3", "V6")],
    "6x2": [("aVL", "V1"), ("I", "V2"), ("-aVR", "V3"), ("II", "V4"), ("aVF", "V5"), ("III", "V6")],
    "12x1": [(name,) for name in ("aVL", "I", "-aVR", "II", "aVF", "III", "V1", "V2", "V3", "V4", "V5", "V6")],
}


@pytest.mark.parametrize("grid", CABRERA_ROWS)
def test_cabrera_pages_put_each_lead_where_cabrera_printers_do(grid):
    printed = [sources for _, sources in PagePlan(grid, (), CABRERA_ORDER).rows()]
    assert printed == CABRERA_ROWS[grid]
    page = render_twelve_lead_page("normal", seed=0, grid=grid, rhythm_strips=(), lead_order=CABRERA_ORDER)
    standard = run_pipeline(page).layout
    cabrera = in_lead_order(standard, CABRERA_ORDER)
    standard_rows = [names for names, _ in PagePlan(grid, ()).rows()]
    for places, leads in zip(standard_rows, CABRERA_ROWS[grid], strict=True):
        for place, lead in zip(places, leads, strict=True):
            assert cabrera.boxes[lead.lstrip("-")] == standard.boxes[place], (place, lead)


def test_a_layout_is_named_from_the_standard_order_only():
    layout = in_lead_order(run_pipeline(render_twelve_lead_page("normal", seed=0)).layout, CABRERA_ORDER)
    assert in_lead_order(layout, CABRERA_ORDER) is layout
    with pytest.raises(ValueError, match="standard order"):
        in_lead_order(layout, STANDARD_ORDER)


def test_the_page_says_the_names_follow_the_chosen_order():
    page, _ = cabrera_page("3x4", ("II",))
    said = [w for w in run_pipeline(page, lead_order=CABRERA_ORDER).warnings if "order chosen" in w]
    assert said == ["The limb leads are named in the order chosen, Cabrera (aVL, I, -aVR, II, aVF, III), with -aVR "
                    "read as aVR; the printed labels were not checked."]
    assert not [w for w in run_pipeline(page).warnings if "order chosen" in w]


def test_prediction_rows_read_the_page_in_the_order_asked_for():
    page, _ = cabrera_page("3x4", ("II",))
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, "PNG")
    rows = {order: {row["model"]: row for row in file_rows("cabrera.png", buffer.getvalue(), "auto",
                                                            ("measurements",), lead_order=order)}
            for order in (CABRERA_ORDER, STANDARD_ORDER)}
    probabilities = {order: [v for k, v in rows[order]["measurements"].items() if k.startswith("p_")]
                     for order in rows}
    assert not rows[CABRERA_ORDER]["measurements"]["error"]
    assert not np.allclose(probabilities[CABRERA_ORDER], probabilities[STANDARD_ORDER], atol=1e-3)


def test_the_inverted_lead_is_turned_back_in_every_stage():
    page, _ = cabrera_page("3x4", ("II",))
    result = run_pipeline(page, lead_order=CABRERA_ORDER)
    avr = result.lead("aVR")
    assert np.array_equal(avr.raw, crop(result.grayscale, avr.box)[::-1])
    assert not np.array_equal(avr.raw, crop(result.grayscale, avr.box))
    # The box that holds aVR is the one a standard page has lead III in: the first column's third row.
    standard = run_pipeline(page)
    assert avr.box == standard.lead("III").box and result.lead("aVL").box == standard.lead("I").box


def test_an_unknown_lead_order_is_refused():
    with pytest.raises(ValueError, match="lead order"):
        run_pipeline(render_twelve_lead_page("normal", seed=0), lead_order="alphabetical")


def test_digitize_on_the_command_line_reads_a_cabrera_page_with_the_option(tmp_path):
    page, truth = cabrera_page("3x4", ("II",))
    image = tmp_path / "cabrera.png"
    cv2.imwrite(str(image), cv2.cvtColor(page, cv2.COLOR_RGB2BGR))
    found = {}
    for order in (CABRERA_ORDER, STANDARD_ORDER):
        out = tmp_path / order
        assert cli_main(["digitize", str(image), "--out", str(out), "--lead-order", order]) == 0
        table = pd.read_csv(next(out.glob("*.csv")))
        found[order] = snr_db(truth["aVR"], table["aVR"].to_numpy())
    assert found[CABRERA_ORDER] > 10.0 and not found[STANDARD_ORDER] > 3.0, found


def test_the_analyze_page_reads_a_cabrera_page_when_asked(monkeypatch):
    from .test_app import page as app_page
    from .test_app import texts
    from .test_app_analyze import state_handoff_key

    monkeypatch.delenv("ECG_MODELS_DIR", raising=False)
    buffer = io.BytesIO()
    Image.fromarray(cabrera_page("3x4", ("II",))[0]).save(buffer, "PNG")
    at = app_page("analyze")
    at.session_state[state_handoff_key()] = ("cabrera.png", buffer.getvalue())
    at.run()
    assert "Layout found: 3 x 4 leads of 2.5 s and 1 rhythm strip (confidence 1.00)." in texts(at.caption)
    at.radio(key="analyze_lead_order").set_value(CABRERA_ORDER).run()
    assert not at.exception and not at.error
    assert ("Layout found: 3 x 4 leads of 2.5 s in Cabrera order and 1 rhythm strip (confidence 1.00)."
            in texts(at.caption))
