"""The README's figures are the cards' figures: the results table is generated, never typed in."""

import re

from .conftest import ROOT


def readme_block(name: str) -> str:
    """The README's text between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    block = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", (ROOT / "README.md").read_text(), re.S)
    assert block, f"README lacks the {name} block"
    return block.group(1).strip()


def test_readme_results_and_robustness_tables_are_generated_from_the_cards():
    from ecg_pipeline.results import results_block

    assert readme_block("results") == results_block().strip(), "run scripts/results_table.py --write-readme"


def test_the_results_page_is_generated_from_the_cards():
    from ecg_pipeline.results import results_document

    page = (ROOT / "docs" / "results.md").read_text()
    assert page == results_document(), "run scripts/results_table.py --write-readme"


def test_the_readme_speed_table_is_generated_from_the_benchmark_report():
    from ecg_pipeline.results import speed_block

    assert readme_block("speed") == speed_block().strip(), "run scripts/results_table.py --write-readme"


def test_the_speed_table_marks_each_target_met_or_not():
    from ecg_pipeline.results import speed_table

    report = {"repeats": 3, "cpu_cores": 2, "ratio_analyze_to_reference": 1.4, "predict_images_per_s": 20.0,
              "peak_rss_mb": 900.0, "median_ms": {"analyze, every model (from file bytes)": 150.0,
                                                  "reference recipe preprocessing (from file bytes)": 107.0,
                                                  "measure_page (the added measurements)": 45.0}}
    table = speed_table(report)
    assert "| analyze, every model (ms) | 150 | at most 200 | yes |" in table
    assert "| ratio to the reference recipe's preprocessing | 1.40 | at most 1 | no |" in table
    assert "| predict, every model (images/s) | 20 | at least 15 | yes |" in table
    assert "| upload to verdict (s) | not measured | at most 1.5 |  |" in table


def test_the_readme_digitization_table_is_generated_from_its_report():
    import json

    from ecg_pipeline.results import DIGITIZATION_REPORT, digitization_block
    from ecg_pipeline.synth.fidelity import fidelity_summary

    assert readme_block("digitization") == digitization_block().strip(), "run scripts/results_table.py --write-readme"
    report = json.loads(DIGITIZATION_REPORT.read_text())
    assert report["summary"] == fidelity_summary(report["leads"])  # the summary is the leads' figures, untouched
