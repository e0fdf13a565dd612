"""The Analyze page's per-lead digitization confidence: a table of every lead's confidence and its three factors,
and, when a lead was read poorly, a sentence naming it and saying what to do; the JSON download carries the same."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ecg_pipeline.constants import LEAD_NAMES
from ecg_pipeline.preprocess.pipeline import run_pipeline
from ecg_pipeline.preprocess.trace_quality import LOW_CONFIDENCE, LeadQuality, page_quality

from .conftest import SAMPLES
from .test_app import empty_models, no_models, page, texts  # noqa: F401  (fixtures)

REAL_SAMPLE = "real_twelve_lead_normal_1.jpg"
SYNTHETIC_SAMPLE = "twelve_lead_history_of_mi_1.jpg"
HEADING = "How well each lead was read"
COLUMNS = ["lead", "confidence", "coverage", "continuity", "overlap"]
#: What the forced case gives two leads: confidence 0.42 (a gap) and 0.55 (a neighbour's trace crossing in).
DEGRADED = {"V1": LeadQuality(coverage=0.6, continuity=0.7, overlap=0.0),
            "V2": LeadQuality(coverage=1.0, continuity=1.0, overlap=0.45)}


def quality_table(at):
    tables = [d.value for d in at.dataframe if list(d.value.columns) == COLUMNS]
    assert len(tables) == 1
    return tables[0].set_index("lead")


def analysed(sample: str):
    at = page("analyze").run()
    at.selectbox(key="analyze_sample").select(sample).run()
    assert not at.exception
    return at


@pytest.mark.usefixtures("no_models")
@pytest.mark.parametrize("sample", [REAL_SAMPLE, SYNTHETIC_SAMPLE])
def test_a_sample_shows_every_leads_confidence_and_no_advice(sample):
    at = analysed(sample)
    assert HEADING in [s.value for s in at.subheader]
    table = quality_table(at)
    expected = page_quality(run_pipeline((SAMPLES / sample).read_bytes()))
    assert list(table.index) == list(expected) == list(LEAD_NAMES)
    for lead, quality in expected.items():
        assert table.loc[lead].to_dict() == pytest.approx(quality.to_dict(), abs=1e-3)
    assert (table["confidence"] >= LOW_CONFIDENCE).all()
    assert "low confidence" not in texts(at.warning)
    assert f"All {len(LEAD_NAMES)} leads were read with confidence {LOW_CONFIDENCE:.2f} or more" in texts(at.caption)


@pytest.mark.usefixtures("no_models")
def test_leads_read_poorly_get_advice_naming_them(monkeypatch):
    from dashboard import state

    analyze_bytes = state.analyze_bytes  # wrapped, not the cached analysis changed: other tests see the real one

    def degraded(*args, **kwargs):
        analysis = analyze_bytes(*args, **kwargs)
        return replace(analysis, lead_quality={**analysis.lead_quality, **DEGRADED})

    monkeypatch.setattr(state, "analyze_bytes", degraded)
    at = analysed(REAL_SAMPLE)
    advice = [w.value for w in at.warning if "low confidence" in w.value]
    assert len(advice) == 1
    assert advice[0].startswith("Leads V1, V2 were read with low confidence (0.42, 0.55): retake the photo straight "
                                "on and without shadow")
    table = quality_table(at)
    assert table.loc["V1", "confidence"] == pytest.approx(0.42) and table.loc["V2", "overlap"] == pytest.approx(0.45)
    assert "or more" not in texts(at.caption)  # the all-well line is not shown beside the advice


def test_the_json_download_carries_each_leads_quality():
    from dashboard import tables
    from ecg_pipeline.models.inference import analyze

    analysis = analyze((SAMPLES / REAL_SAMPLE).read_bytes(), models=())
    document = json.loads(tables.probabilities_json(analysis, REAL_SAMPLE, 1.0, "otsu"))
    assert document["lead_quality"] == {lead: q.to_dict() for lead, q in analysis.lead_quality.items()}
    assert list(document["lead_quality"]) == list(LEAD_NAMES) and document["low_confidence_leads"] == []
    poor = replace(analysis, lead_quality={**analysis.lead_quality, **DEGRADED})
    document = json.loads(tables.probabilities_json(poor, REAL_SAMPLE, 1.0, "otsu"))
    assert document["low_confidence_leads"] == ["V1", "V2"]
    assert document["lead_quality"]["V1"] == {"confidence": 0.42, "coverage": 0.6, "continuity": 0.7, "overlap": 0.0}
