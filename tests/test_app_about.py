"""Classes and models: each class described beside one real example of it, from the built-in samples."""

from __future__ import annotations

import pandas as pd

from .conftest import SAMPLES
from .test_app import empty_models, no_models, page  # noqa: F401  (fixtures)
from .test_app_explorer import image_captions


def test_each_class_has_a_real_example_beside_it(no_models):  # noqa: F811
    at = page("about").run()
    assert not at.exception
    manifest = pd.read_csv(SAMPLES / "manifest.csv")
    real = manifest[manifest.origin == "real"]
    expected = [f"A real example ({group.iloc[0].original_file}, test split)"
                for _, group in real.groupby(["task", "class"], sort=False)]
    captions = image_captions(at)
    assert expected and all(caption in captions for caption in expected)
