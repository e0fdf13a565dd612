"""Silence TensorFlow's start-up chatter (CUDA probing on a CPU machine) before it is imported.

TensorFlow 2.21 writes its oneDNN notice ("oneDNN custom operations are on ...") through absl before its log
level applies, so ``TF_CPP_MIN_LOG_LEVEL`` alone leaves two lines on every command's stderr. Turning the
oneDNN graph rewrites off removes them, for about a tenth more time per analysis on a 2-core CPU and the same
probabilities; a user who prefers the speed sets ``TF_ENABLE_ONEDNN_OPTS=1``.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
