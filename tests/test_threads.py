"""Kept thread pools are usable in a forked child."""

import multiprocessing

from ecg_pipeline.threads import KeptThreads

KEPT = KeptThreads("test", 2)


def _in_child(_: int) -> int:
    return KEPT.submit(sum, [1, 2, 3]).result(timeout=20)


def test_a_forked_child_gets_working_threads():
    assert KEPT.submit(sum, [0]).result() == 0  # the parent's pool has started its threads
    with multiprocessing.get_context("fork").Pool(2) as pool:
        assert pool.map(_in_child, range(4), chunksize=1) == [6, 6, 6, 6]  # hung before the pool was renewed
