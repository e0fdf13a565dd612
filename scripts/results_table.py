"""Print the models' results as Markdown tables, read from their cards; ``--write-readme`` also writes them into
the README and ``docs/results.md``.

    python scripts/results_table.py [--write-readme]
"""

from __future__ import annotations

import argparse

from ecg_pipeline.results import results_block, write_readme


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-readme", action="store_true", help="write README.md and docs/results.md")
    args = parser.parse_args(argv)
    if args.write_readme:
        write_readme()
    print(results_block())


if __name__ == "__main__":
    main()
