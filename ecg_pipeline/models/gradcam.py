"""Grad-CAM: which parts of a lead image raised the probability of a class.

Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization",
ICCV 2017.
"""

from __future__ import annotations

import cv2
import numpy as np

from .. import tf_settings  # noqa: F401
from .architectures import GRADCAM_LAYER


def class_activation_graph(model, input_shape: tuple[int, int]):
    """A compiled function (images, lead ids, class index) -> Grad-CAM maps at the ``GRADCAM_LAYER``'s
    resolution, before normalising. Run eagerly, the CRNN's recurrent layer makes this take seconds."""
    import keras
    import tensorflow as tf

    features_and_probs = keras.Model(model.inputs, [model.get_layer(GRADCAM_LAYER).output, model.output])

    @tf.function(input_signature=[tf.TensorSpec((None, *input_shape, 1), tf.float32),
                                  tf.TensorSpec((None, None), tf.float32), tf.TensorSpec((), tf.int32)],
                 autograph=False)  # autograph would write generated source files into the temp folder
    def class_activation(images, leads, index):
        with tf.GradientTape() as tape:
            features, probs = features_and_probs([images, leads], training=False)
            score = probs[:, index]
        grads = tape.gradient(score, features)
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        return tf.nn.relu(tf.reduce_sum(weights * features, axis=-1))

    return class_activation


def heatmaps(cams: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Each map scaled to peak at 1 and resized to ``shape`` (height, width): (n, H, W) in [0, 1].

    Examples
    --------
    >>> float(heatmaps(np.array([[[0.0, 2.0]]]), (2, 4)).max())
    1.0
    """
    height, width = shape
    out = np.zeros((len(cams), height, width), np.float32)
    for i, cam in enumerate(cams):
        peak = cam.max()
        cam = cam / peak if peak > 0 else cam
        out[i] = cv2.resize(np.asarray(cam, np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    return out

def overlay_heatmap(gray_crop: np.ndarray, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """Draw a [0, 1] heatmap (any size) in colour over a grayscale lead crop; returns RGB ``uint8``."""
    height, width = gray_crop.shape[:2]
    heat = cv2.resize(heatmap.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    colour = cv2.applyColorMap((np.clip(heat, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_JET)
    colour = cv2.cvtColor(colour, cv2.COLOR_BGR2RGB).astype(np.float32)
    base = np.repeat(gray_crop[:, :, None], 3, axis=2).astype(np.float32)
    weight = alpha * heat[:, :, None]
    return np.clip(base * (1 - weight) + colour * weight, 0, 255).astype(np.uint8)
