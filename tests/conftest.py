import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED_DATA = ROOT.parent / "shared" / "data"
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="session")
def normal_page() -> np.ndarray:
    from ecg_pipeline.synth import render_twelve_lead_page

    return render_twelve_lead_page("normal", seed=3)


@pytest.fixture(scope="session")
def sample_manifest():
    import pandas as pd

    return pd.read_csv(SAMPLES / "manifest.csv")


def sample_path(manifest, task: str, class_id: str | None = None) -> Path:
    rows = manifest[manifest.task == task]
    if class_id is not None:
        rows = rows[rows["class"] == class_id]
    return SAMPLES / rows.iloc[0]["file"]


@pytest.fixture
def progress_lines(monkeypatch) -> list:
    """Every text a Streamlit progress bar shows during the test, in order."""
    from streamlit.elements.progress import ProgressMixin

    shown = []
    original = ProgressMixin.progress

    def recording(self, value, text=None):
        shown.append(text)
        return original(self, value, text=text)

    monkeypatch.setattr(ProgressMixin, "progress", recording)
    return shown
