"""Model inputs for whole data sets, through the same ``run_pipeline`` the app uses (no train/serve skew)."""

from __future__ import annotations

import hashlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from ..constants import TASK_SPECS, TWELVE_LEAD
from ..io.loading import load_image
from ..preprocess.distortions import random_distortion
from ..preprocess.pipeline import run_pipeline


def lead_inputs(path: str, task: str, sigma: float = 1.0, distortion_seed: int | None = None) -> np.ndarray:
    """Model inputs of every lead of one image, (n_leads, height, width) ``float16``.

    With ``distortion_seed`` the page first gets a random real-world distortion (augmentation).
    """
    image = load_image(path)
    if distortion_seed is not None:
        image = random_distortion(image, np.random.default_rng(distortion_seed))
    return run_pipeline(image, task=task, sigma=sigma).model_inputs.astype(np.float16)


def _job(args: tuple[str, str, float, int | None]) -> np.ndarray:
    return lead_inputs(*args)


def dataset_inputs(frame: pd.DataFrame, task: str, sigma: float = 1.0, copies: int = 0, seed: int = 0,
                   cache_dir: str | Path | None = None, workers: int = 2,
                   progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs and class indices of every image in ``frame`` (``path``, ``class``, ``sha256``).

    Parameters
    ----------
    copies : int
        Distorted copies of each image to add (0 = clean images only).

    Returns
    -------
    inputs : ndarray (n_images * (1 + copies), n_leads, height, width) float16
    labels : ndarray (n_images * (1 + copies),) int
    """
    spec = TASK_SPECS[task]
    key = hashlib.sha256(
        ("|".join(sorted(frame["sha256"])) + f"|{task}|{sigma}|{copies}|{seed}|{spec.input_shape}").encode()
    ).hexdigest()[:16]
    cache = Path(cache_dir) / f"{task}_{key}.npz" if cache_dir else None
    if cache is not None and cache.exists():
        stored = np.load(cache)
        return stored["inputs"], stored["labels"]
    jobs, labels = [], []
    for row_index, row in enumerate(frame.itertuples(index=False)):
        label = spec.classes.index(row[1])
        jobs.append((row[0], task, sigma, None))
        labels.append(label)
        for copy in range(copies):
            jobs.append((row[0], task, sigma, seed * 1_000_003 + row_index * 101 + copy))
            labels.append(label)
    chunk = max(1, len(jobs) // (workers * 16))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(_job, jobs, chunksize=chunk)
        if progress:
            from tqdm import tqdm

            results = tqdm(results, total=len(jobs), desc=f"preprocessing {task}", unit="img")
        inputs = np.stack(list(results))
    labels_array = np.asarray(labels, dtype=np.int64)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, inputs=inputs, labels=labels_array)
    return inputs, labels_array


def page_measurements(path: str, sigma: float = 1.0) -> dict[str, float]:
    """The clinical measurements of one 12-lead page as a flat row (``Measurements.features()``)."""
    from ..measure import measure_page

    return measure_page(run_pipeline(load_image(path), task=TWELVE_LEAD, sigma=sigma)).features()


def _measurement_job(args: tuple[str, float]) -> dict[str, float]:
    return page_measurements(*args)


def dataset_measurements(frame: pd.DataFrame, sigma: float = 1.0, cache_dir: str | Path | None = None,
                         workers: int = 2, progress: bool = True) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Measurements and class indices of every 12-lead page in ``frame`` (``path``, ``class``, ``sha256``).

    Returns
    -------
    features : ndarray (n_images, n_features), NaN where a value could not be measured
    labels : ndarray (n_images,) int
    names : list of str, the columns of ``features``
    """
    from ..measure import feature_names
    from .measurement_model import feature_matrix

    spec = TASK_SPECS[TWELVE_LEAD]
    names = feature_names()
    key = hashlib.sha256(("|".join(sorted(frame["sha256"])) + f"|{sigma}|" + "|".join(names)).encode()).hexdigest()[:16]
    cache = Path(cache_dir) / f"measurements_{key}.npz" if cache_dir else None
    labels = np.array([spec.classes.index(c) for c in frame["class"]], dtype=np.int64)
    if cache is not None and cache.exists():
        stored = np.load(cache)
        order = {h: i for i, h in enumerate(stored["sha256"])}
        return stored["features"][[order[h] for h in frame["sha256"]]], labels, names
    with ProcessPoolExecutor(max_workers=workers) as pool:
        rows = pool.map(_measurement_job, [(path, sigma) for path in frame["path"]], chunksize=4)
        if progress:
            from tqdm import tqdm

            rows = tqdm(rows, total=len(frame), desc="measuring pages", unit="img")
        features = feature_matrix(list(rows), names)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, features=features, sha256=frame["sha256"].to_numpy(dtype=str))
    return features, labels, names
