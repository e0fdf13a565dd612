"""Print the models' test-split results as a Markdown table, read from their cards (for the README).

    python scripts/results_table.py [--write-readme]

Nothing here is typed in: every figure comes from what scripts/evaluate.py stored in models/*.json, and a
test checks that the README's table is this script's output.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecg_pipeline.cards import read_card  # noqa: E402
from ecg_pipeline.constants import MODEL_KINDS, TASK_SPECS, TASKS  # noqa: E402


def results_table(models_dir: str | Path | None = None) -> str:
    """Task, model, accuracy, macro-F1, every class's recall, the weakest class and the training time."""
    lines = ["| task | model | test images | accuracy | macro-F1 | weakest class (F1, test images) | "
             "recall per class | training |",
             "|---|---|---|---|---|---|---|---|"]
    for task in TASKS:
        spec = TASK_SPECS[task]
        for kind in MODEL_KINDS:
            card = read_card(task, kind, models_dir) or {}
            evaluation = card.get("evaluation")
            if not evaluation:
                lines.append(f"| {task} | {kind.upper()} | not evaluated | | | | | |")
                continue
            per_class = evaluation["per_class"]
            weakest = min(per_class, key=lambda c: per_class[c]["f1"])
            recalls = ", ".join(f"{spec.display_names[c]} {per_class[c]['recall']:.3f}" for c in spec.classes)
            training = card.get("training", {})
            runs = [*training.get("previous_runs", []), training]
            epochs = sum(run.get("epochs_run") or 0 for run in runs)
            seconds = sum(run.get("training_seconds") or 0 for run in runs)
            lines.append(
                f"| {task} | {kind.upper()} | {evaluation['n_images']} | {evaluation['accuracy']:.3f} | "
                f"{evaluation['macro_f1']:.3f} | {spec.display_names[weakest]} ({per_class[weakest]['f1']:.3f}, "
                f"{per_class[weakest]['support']}) | {recalls} | {epochs} epochs, {seconds / 60:.0f} min |")
    return "\n".join(lines)


def write_readme(readme: Path) -> None:
    """Replace the block between the README's results markers with the current table."""
    text = readme.read_text()
    block = f"<!-- results:start -->\n{results_table()}\n<!-- results:end -->"
    readme.write_text(re.sub(r"<!-- results:start -->.*?<!-- results:end -->", lambda _: block, text, flags=re.S))


if __name__ == "__main__":
    if "--write-readme" in sys.argv[1:]:
        write_readme(Path(__file__).resolve().parent.parent / "README.md")
    print(results_table())
