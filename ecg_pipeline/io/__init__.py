"""Input and cards: images and PDF pages read safely, the data sets and their splits, model cards, the
printed heart rates, and patient fields blanked."""

import os
from pathlib import Path

#: The project's folder, which holds ``models/`` and ``data/``: the checkout, since the package is installed
#: editable (``pip install -e .``, as the Makefile does). ``$ECG_PROJECT_ROOT`` points elsewhere, for a
#: package installed without its checkout.
PROJECT_ROOT = Path(os.environ.get("ECG_PROJECT_ROOT") or Path(__file__).resolve().parents[2])
