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
