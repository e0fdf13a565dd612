"""The two model families, side by side: a CNN and a CRNN over one lead image.

Both take the lead image (ink = 1) and which lead it is (one-hot), and return class probabilities.
Both end their convolutional part in a layer named ``conv4``, which Grad-CAM reads.
"""

from __future__ import annotations

import keras
from keras import layers

GRADCAM_LAYER = "conv4"


def conv_block(x, filters: int, name: str, pool: tuple[int, int] = (2, 2)):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)  # few steps per epoch: adapt fast
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    return layers.MaxPooling2D(pool, name=f"{name}_pool")(x)


def classifier(features, lead, n_classes: int):
    """The head both families share: pooled features and the lead identity -> class probabilities."""
    x = layers.Concatenate(name="with_lead")([features, lead])
    x = layers.Dense(64, activation="relu", name="dense")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    return layers.Dense(n_classes, activation="softmax", name="class_probs")(x)


def build_cnn(input_shape: tuple[int, int], n_leads: int, n_classes: int,
              filters: tuple[int, int, int, int] = (8, 16, 32, 64)) -> keras.Model:
    """A CNN: four convolution blocks, global pooling, the lead identity, a small classifier."""
    image = keras.Input(shape=(*input_shape, 1), name="lead_image")
    lead = keras.Input(shape=(n_leads,), name="lead_id")
    x = conv_block(image, filters[0], "conv1")
    x = conv_block(x, filters[1], "conv2")
    x = conv_block(x, filters[2], "conv3")
    x = layers.Conv2D(filters[3], 3, padding="same", activation="relu", name=GRADCAM_LAYER)(x)
    x = layers.Concatenate(name="pooled")(
        [layers.GlobalAveragePooling2D(name="avg")(x), layers.GlobalMaxPooling2D(name="max")(x)]
    )
    return keras.Model([image, lead], classifier(x, lead, n_classes), name="cnn")


def build_crnn(input_shape: tuple[int, int], n_leads: int, n_classes: int,
               filters: tuple[int, int, int, int] = (8, 16, 32, 64)) -> keras.Model:
    """A CRNN: convolutions that pool height but keep time, the image width read as a sequence by a
    bidirectional GRU, the lead identity, a small classifier."""
    image = keras.Input(shape=(*input_shape, 1), name="lead_image")
    lead = keras.Input(shape=(n_leads,), name="lead_id")
    x = conv_block(image, filters[0], "conv1", pool=(2, 2))
    x = conv_block(x, filters[1], "conv2", pool=(2, 2))
    x = conv_block(x, filters[2], "conv3", pool=(2, 1))
    x = layers.Conv2D(filters[3], 3, padding="same", activation="relu", name=GRADCAM_LAYER)(x)
    x = layers.MaxPooling2D((2, 1), name="conv4_pool")(x)
    height, steps, channels = x.shape[1], x.shape[2], x.shape[3]
    x = layers.Permute((2, 1, 3), name="time_first")(x)
    x = layers.Reshape((steps, height * channels), name="to_sequence")(x)
    x = layers.Dense(64, activation="relu", name="step_features")(x)
    x = layers.Bidirectional(layers.GRU(32, return_sequences=True), name="bigru")(x)
    x = layers.Concatenate(name="pooled")(
        [layers.GlobalAveragePooling1D(name="avg")(x), layers.GlobalMaxPooling1D(name="max")(x)]
    )
    return keras.Model([image, lead], classifier(x, lead, n_classes), name="crnn")


BUILDERS = {"cnn": build_cnn, "crnn": build_crnn}
#: Convolution widths per task: 12-lead pages are few (a small net overfits less); beats are many.
FILTERS: dict[str, tuple[int, int, int, int]] = {"twelve_lead": (16, 32, 64, 96), "beat": (16, 32, 64, 128)}
