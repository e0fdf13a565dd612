"""Input and cards: images and PDF pages read safely, the data sets and their splits, model cards, the
printed heart rates, and patient fields blanked."""

from pathlib import Path

#: The project's folder, which holds ``models/`` and ``data/``.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
