"""Grad-CAM: which parts of a lead image raised the probability of a class.

Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization",
ICCV 2017.
"""

from __future__ import annotations

import cv2
import numpy as np

from .. import tf_quiet  # noqa: F401
from .architectures import GRADCAM_LAYER


def gradcam_heatmaps(loaded_model, inputs: np.ndarray, class_index: int) -> np.ndarray:
    """Grad-CAM of one class for each lead: (n_leads, H, W) in [0, 1], same size as the model input."""
    import keras
    import tensorflow as tf

    if not hasattr(loaded_model, "_gradcam"):
        model = loaded_model.model
        features_and_probs = keras.Model(model.inputs, [model.get_layer(GRADCAM_LAYER).output, model.output])

        # A compiled graph: run eagerly, the CRNN's recurrent layer makes this take seconds.
        @tf.function(input_signature=[tf.TensorSpec((None, *inputs.shape[1:3], 1), tf.float32),
                                      tf.TensorSpec((None, None), tf.float32), tf.TensorSpec((), tf.int32)],
                     autograph=False)  # autograph would write generated source files into the temp folder
        def class_activation(images, leads, index):
            with tf.GradientTape() as tape:
                features, probs = features_and_probs([images, leads], training=False)
                score = probs[:, index]
            grads = tape.gradient(score, features)
            weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
            return tf.nn.relu(tf.reduce_sum(weights * features, axis=-1))

        loaded_model._gradcam = class_activation
    images = tf.convert_to_tensor(np.asarray(inputs, np.float32)[..., None])
    leads = tf.convert_to_tensor(loaded_model.lead_ids(len(inputs)))
    with loaded_model._lock:
        cams = loaded_model._gradcam(images, leads, tf.constant(class_index, tf.int32)).numpy()
    height, width = inputs.shape[1:3]
    out = np.zeros((len(cams), height, width), np.float32)
    for i, cam in enumerate(cams):
        peak = cam.max()
        cam = cam / peak if peak > 0 else cam
        out[i] = cv2.resize(cam, (width, height), interpolation=cv2.INTER_LINEAR)
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
