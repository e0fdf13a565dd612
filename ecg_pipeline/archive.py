"""Archive scoring on Ray: the rows of ``cli.predict_files``, computed by a pool of Ray actors that each load the
models once.

Ray Data reads the files (``read_binary_files``) and streams them in batches through ``ImageScorer`` actors
(``map_batches``), one CPU each. Without an address a local Ray is started with one CPU per worker; with one
(``"auto"`` or ``"ray://host:10001"``) the run joins that cluster, whose nodes need this package and its
``models/`` installed where the driver has them. A file that cannot be read, or an image that cannot be analysed,
gets the same error rows as in-process.

Ray is optional (``pip install -e '.[ray]'``); ``RayUnavailableError`` says so when it is missing.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import tf_settings
from .constants import STANDARD_ORDER
from .errors import EcgError
from .rows import error_rows, file_rows

#: Files per actor call: enough to keep an actor busy, few enough that progress moves on a small run.
BATCH_FILES = 4


class RayUnavailableError(EcgError):
    """Ray, or its Data library, is not installed."""


class ArchiveScoringError(EcgError):
    """Ray failed during a run (an actor that could not start, a node lost)."""


def _ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise RayUnavailableError("Archive scoring needs Ray: pip install 'ray[data]' "
                                  "(or pip install -e '.[ray]' in the project).") from exc
    return ray


class ImageScorer:
    """A Ray Data actor: the models loaded once, then each batch of file bytes turned into its rows (as JSON, one
    string per file, since a PDF gives rows for each of its pages)."""

    def __init__(self, task: str, kinds: tuple[str, ...], anyway: bool, models_dir: str | None,
                 lead_order: str = STANDARD_ORDER) -> None:
        import cv2

        tf = tf_settings.import_tensorflow()

        # One OpenCV and one TensorFlow thread per actor: the actors, not the threads inside one, use the cores.
        # analyze still runs the networks beside the measurements: with 2 actors on 2 cores that scored 6.4
        # images/s, against 5.6 with all in one thread (whose 2 / 1 actor scaling read better, 1.96 against 1.59,
        # because one actor then used one core only).
        cv2.setNumThreads(1)
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        from .constants import TASK_SPECS, TASKS
        from .models.inference import load_model

        self.task, self.kinds, self.anyway, self.models_dir = task, kinds, anyway, models_dir
        self.lead_order = lead_order
        for each in TASKS if task == "auto" else (task,):
            for kind in (k for k in kinds if k in TASK_SPECS[each].model_kinds):
                try:
                    load_model(each, kind, models_dir)
                except EcgError:
                    continue  # its rows say why, as in-process

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = [json.dumps(file_rows(str(path), bytes(data), self.task, self.kinds, self.anyway, self.models_dir,
                                     self.lead_order))
                for path, data in zip(batch["path"], batch["bytes"], strict=True)]
        return {"path": batch["path"], "rows": np.array(rows, dtype=object)}


def start_ray(address: str | None, workers: int) -> None:
    """Join the cluster at ``address``, or start a local Ray with ``workers`` CPUs, quietly (a run already
    connected is reused)."""
    ray = _ray()
    if ray.is_initialized():
        return
    # Every Ray Data actor pool makes Ray's C++ core log a benign error line about constructor arguments
    # (ray-project/ray#53727); failures that matter reach Python as exceptions.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    options = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR,
               "configure_logging": True}
    if address:
        ray.init(address=address, **options)
    else:
        ray.init(num_cpus=workers, **options)
    for name in ("ray", "ray.data"):  # Ray Data configures its own logger: this run's stderr is for its rows' bar
        logging.getLogger(name).setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False


def score_archive(files: list[Path], task: str, kinds: tuple[str, ...], workers: int = 2,
                  address: str | None = None, anyway: bool = False,
                  models_dir: str | None = None, lead_order: str = STANDARD_ORDER) -> Iterator[tuple[int, list[dict]]]:
    """``(index in files, rows)`` of each file as its batch finishes, in no set order.

    Parameters
    ----------
    files : the image and PDF files to score (``io.data.find_images`` of the paths asked for)
    task, kinds, anyway, lead_order : as ``cli.predict_files``
    workers : actors, one CPU each
    address : a Ray cluster to join; ``None`` starts a local one

    Examples
    --------
    >>> rows = dict(score_archive([Path("a.jpg")], "auto", ("cnn",)))  # doctest: +SKIP
    """
    from .io.loading import check_file

    # Ray names each file by the path it read, which is the real path given; a file asked for twice (two
    # overlapping folders, a symlink) is read once and its rows given to every index that asked for it.
    indexes_of: dict[str, list[int]] = {}
    for index, path in enumerate(files):
        try:
            check_file(path)  # a missing, unreadable or oversized file is refused before Ray reads it
        except EcgError as exc:
            yield index, error_rows(str(path), task, kinds, str(exc))
            continue
        indexes_of.setdefault(os.path.realpath(path), []).append(index)
    if not indexes_of:
        return
    start_ray(address, workers)
    ray = _ray()
    # Reading is I/O: it takes no CPU from the actors, which would otherwise wait for it forever; one read
    # task at a time, since each starts a Python worker and scoring, not reading, is the bottleneck.
    dataset = ray.data.read_binary_files(list(indexes_of), include_paths=True, num_cpus=0, concurrency=1)
    scored = dataset.map_batches(ImageScorer, batch_size=BATCH_FILES, batch_format="numpy",
                                 compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1,
                                 fn_constructor_args=(task, tuple(kinds), anyway, models_dir, lead_order))
    try:
        for batch in scored.iter_batches(batch_size=None, batch_format="numpy"):
            for path, rows in zip(batch["path"], batch["rows"], strict=True):
                for index in indexes_of[_real_path(str(path), indexes_of)]:
                    # The rows carry Ray's name for the file; the table carries the name the user gave.
                    yield index, [{**row, "path": str(files[index]) + row["path"][len(str(path)):]}
                                  for row in json.loads(rows)]
    except ray.exceptions.RayError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArchiveScoringError(f"Ray could not finish the run ({type(exc).__name__}: {first_line[:300]}). "
                                  "Check that every node has this project, its models and the files at the "
                                  "same paths.") from exc


def _real_path(ray_path: str, known: dict[str, list[int]]) -> str:
    """The real path a Ray ``path`` column names (Ray may drop the leading slash of a local path)."""
    return ray_path if ray_path in known else "/" + ray_path.lstrip("/")
