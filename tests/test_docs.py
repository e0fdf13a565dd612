"""The README's figures are the cards' figures: the results table is generated, never typed in."""

import re

from .conftest import ROOT


def test_readme_results_table_is_generated_from_the_cards():
    import runpy

    results_table = runpy.run_path(str(ROOT / "scripts" / "results_table.py"))["results_table"]
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- results:start -->\n(.*?)\n<!-- results:end -->", readme, re.S)
    assert block, "README lacks the results block"
    assert block.group(1).strip() == results_table().strip(), "run scripts/results_table.py and paste its output"
