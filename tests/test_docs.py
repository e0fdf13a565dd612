"""The README's figures are the cards' figures: the results table is generated, never typed in."""

import re

from .conftest import ROOT


def test_readme_results_and_robustness_tables_are_generated_from_the_cards():
    from ecg_pipeline.results import results_block

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- results:start -->\n(.*?)\n<!-- results:end -->", readme, re.S)
    assert block, "README lacks the results block"
    assert block.group(1).strip() == results_block().strip(), "run scripts/results_table.py --write-readme"


def test_the_results_page_is_generated_from_the_cards():
    from ecg_pipeline.results import results_document

    page = (ROOT / "docs" / "results.md").read_text()
    assert page == results_document(), "run scripts/results_table.py --write-readme"


def test_the_readme_speed_table_is_generated_from_the_benchmark_report():
    from ecg_pipeline.results import speed_block

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- speed:start -->\n(.*?)\n<!-- speed:end -->", readme, re.S)
    assert block, "README lacks the speed block"
    assert block.group(1).strip() == speed_block().strip(), "run scripts/results_table.py --write-readme"


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
