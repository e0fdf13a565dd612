"""TensorFlow's process settings, made before it is imported: a quiet start-up on a CPU machine (no CUDA
probing), and oneDNN's CPU kernels.

TensorFlow turns oneDNN on by itself only on CPUs with AVX-512 VNNI or AMX. Asked for on this machine's AVX2
cores, it takes 40 % off the two networks on a page's 13 leads (CNN 29 -> 20 ms, CRNN 35 -> 21 ms on 2 cores,
as ``scripts/benchmark.py`` times them); their probabilities move by at most 2e-6 (no class changed on the
shared printouts checked).
"""

import os
import sys
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def import_tensorflow():
    """``tensorflow``, imported with its C++ start-up notices kept off the terminal.

    TensorFlow 2.21 prints "oneDNN custom operations are on" (and the CPU features it was built for) through
    absl before ``TF_CPP_MIN_LOG_LEVEL`` applies, so file descriptor 2 points at /dev/null for the import: a
    command's stderr is for its own messages. A Python error raised by the import still reaches the caller.
    """
    with _importing:  # two threads at once would save /dev/null as the real stderr
        if "tensorflow" not in sys.modules:
            sys.stderr.flush()
            saved = os.dup(2)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 2)
                    import tensorflow  # noqa: F401
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
    return sys.modules["tensorflow"]


_importing = threading.Lock()
