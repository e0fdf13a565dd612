"""Training of one model on one task: tf.data input, ECG-safe augmentation, class weights, early stopping."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from sklearn.metrics import f1_score
from sklearn.utils.class_weight import compute_class_weight

from . import tf_quiet  # noqa: F401  (must precede TensorFlow)
from .aggregation import aggregate_probabilities
from .architectures import BUILDERS
from .constants import TASK_SPECS


def set_seeds(seed: int) -> None:
    keras.utils.set_random_seed(seed)


def flatten_leads(inputs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images, n_leads, H, W) -> one row per lead: lead images, lead indices, labels."""
    n_images, n_leads = inputs.shape[:2]
    return (inputs.reshape(n_images * n_leads, *inputs.shape[2:]),
            np.tile(np.arange(n_leads), n_images),
            np.repeat(labels, n_leads))


def augment_lead(image: tf.Tensor, max_shift: int) -> tf.Tensor:
    """ECG-safe augmentation of one lead image: shift, scale, line thickness, blur, noise. No flips."""
    height, width = image.shape[0], image.shape[1]
    image = image[..., None]
    scale = tf.random.uniform([], 0.9, 1.1)
    size = tf.cast(tf.round(tf.cast([height, width], tf.float32) * scale), tf.int32)
    image = tf.image.resize(image, size, method="area")
    image = tf.image.resize_with_crop_or_pad(image, height + 2 * max_shift, width + 2 * max_shift)
    image = tf.image.random_crop(image, [height, width, 1])
    choice = tf.random.uniform([])
    pooled = tf.nn.max_pool2d(image[None], 2, 1, "SAME")[0]  # thicker lines
    blurred = tf.nn.avg_pool2d(image[None], 3, 1, "SAME")[0]  # softer lines
    image = tf.where(choice < 0.2, pooled, tf.where(choice < 0.4, blurred, image))
    image = image + tf.random.normal(tf.shape(image), 0.0, tf.random.uniform([], 0.0, 0.05))
    return tf.clip_by_value(image, 0.0, 1.0)


def lead_dataset(images: np.ndarray, leads: np.ndarray, labels: np.ndarray, n_leads: int, n_classes: int,
                 batch_size: int, augment: bool, seed: int, weights: np.ndarray | None = None) -> tf.data.Dataset:
    """A tf.data pipeline of ((lead_image, lead_id), one-hot label[, sample weight]) batches."""
    max_shift = max(2, images.shape[2] // 40)
    columns = [images, leads, labels] + ([weights] if weights is not None else [])
    ds = tf.data.Dataset.from_tensor_slices(tuple(columns))
    if augment:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)

    def to_example(image, lead, label, *weight):
        image = tf.cast(image, tf.float32)
        image = augment_lead(image, max_shift) if augment else image[..., None]
        example = ((image, tf.one_hot(lead, n_leads)), tf.one_hot(label, n_classes))
        return (*example, weight[0]) if weight else example

    return ds.map(to_example, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size).prefetch(2)


def predict_images(model: keras.Model, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Per-lead probabilities of a set of images: (n_images, n_leads, n_classes)."""
    n_images, n_leads = inputs.shape[:2]
    images, leads, _ = flatten_leads(inputs, np.zeros(n_images, int))
    one_hot = np.eye(n_leads, dtype=np.float32)[leads]
    probs = model.predict([images.astype(np.float32)[..., None], one_hot], batch_size=batch_size, verbose=0)
    return probs.reshape(n_images, n_leads, -1)


class ImageLevelF1(keras.callbacks.Callback):
    """Macro-F1 over whole images (lead probabilities aggregated) on the validation split, each epoch."""

    def __init__(self, inputs: np.ndarray, labels: np.ndarray):
        super().__init__()
        self.inputs, self.labels = inputs, labels

    def on_epoch_end(self, epoch, logs=None):
        probs = aggregate_probabilities(predict_images(self.model, self.inputs))
        f1 = f1_score(self.labels, probs.argmax(axis=1), average="macro")
        if logs is not None:
            logs["val_image_macro_f1"] = float(f1)
        print(f" - val_image_macro_f1: {f1:.4f}")


def train_model(task: str, kind: str, train: tuple[np.ndarray, np.ndarray],
                validation: tuple[np.ndarray, np.ndarray], epochs: int = 30, batch_size: int = 64,
                learning_rate: float = 1e-3, patience: int = 8, seed: int = 0,
                verbose: int = 2) -> tuple[keras.Model, dict]:
    """Train one model; return it (best validation weights restored) and its history."""
    set_seeds(seed)
    spec = TASK_SPECS[task]
    n_leads, n_classes = len(spec.leads), len(spec.classes)
    model = BUILDERS[kind](spec.input_shape, n_leads, n_classes)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    class_weights = compute_class_weight("balanced", classes=np.arange(n_classes), y=train[1])
    images, leads, labels = flatten_leads(*train)
    weights = class_weights[labels].astype(np.float32)
    train_ds = lead_dataset(images, leads, labels, n_leads, n_classes, batch_size, True, seed, weights)
    val_images, val_leads, val_labels = flatten_leads(*validation)
    val_ds = lead_dataset(val_images, val_leads, val_labels, n_leads, n_classes, 256, False, seed)
    callbacks = [
        ImageLevelF1(*validation),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3, min_lr=1e-5),
        keras.callbacks.EarlyStopping(monitor="val_image_macro_f1", mode="max", patience=patience,
                                      restore_best_weights=True),
    ]
    history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, callbacks=callbacks, verbose=verbose)
    clean = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    return model, clean
