"""Training of one model on one task: tf.data input, ECG-safe augmentation, class weights, early stopping."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from sklearn.metrics import f1_score
from sklearn.utils.class_weight import compute_class_weight

from .. import tf_settings  # noqa: F401  (must precede TensorFlow)
from ..constants import TASK_SPECS
from .architectures import BUILDERS, FILTERS


def set_seeds(seed: int) -> None:
    keras.utils.set_random_seed(seed)


def augment_leads(images: tf.Tensor, max_shift: int) -> tf.Tensor:
    """ECG-safe augmentation of a batch of lead images (n, H, W, 1), each drawn independently: shift,
    scale, line thickness, blur, noise. No flips: a flip reverses time or polarity.

    Everything is one batched op per step (a projective transform per image, not a loop), because on two
    CPU cores a per-image Python-level map cost as much as the training step itself.
    """
    n = tf.shape(images)[0]
    height, width = float(images.shape[1]), float(images.shape[2])
    inverse_scale = 1.0 / tf.random.uniform([n], 0.9, 1.1)
    shift_x = tf.random.uniform([n], -max_shift, max_shift)
    shift_y = tf.random.uniform([n], -max_shift, max_shift)
    zeros = tf.zeros([n])
    # output (x, y) <- input (x / s + dx, y / s + dy), scaled about the image centre
    transforms = tf.stack([inverse_scale, zeros, width / 2 * (1 - inverse_scale) + shift_x,
                           zeros, inverse_scale, height / 2 * (1 - inverse_scale) + shift_y,
                           zeros, zeros], axis=1)
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.shape(images)[1:3],
        fill_value=0.0, interpolation="BILINEAR")
    choice = tf.random.uniform([n, 1, 1, 1])
    thicker = tf.nn.max_pool2d(images, 2, 1, "SAME")
    softer = tf.nn.avg_pool2d(images, 3, 1, "SAME")
    images = tf.where(choice < 0.2, thicker, tf.where(choice < 0.4, softer, images))
    noise_level = tf.random.uniform([n, 1, 1, 1], 0.0, 0.05)
    images = images + tf.random.normal(tf.shape(images)) * noise_level
    return tf.clip_by_value(images, 0.0, 1.0)


def image_dataset(inputs: np.ndarray, labels: np.ndarray, n_classes: int, batch_size: int, augment: bool,
                  seed: int, weights: np.ndarray | None = None) -> tf.data.Dataset:
    """A tf.data pipeline of ((lead images, lead ids), one-hot label[, sample weight]) batches, one
    element per image with all of its leads: (n_leads, H, W, 1) and (n_leads, n_leads)."""
    n_leads, height, width = inputs.shape[1:4]
    max_shift = max(2, width // 40)
    lead_ids = tf.eye(n_leads)
    columns = [inputs, labels] + ([weights] if weights is not None else [])
    ds = tf.data.Dataset.from_tensor_slices(tuple(columns))
    if augment:
        ds = ds.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)

    def to_batch(images, label, *weight):
        images = tf.cast(images, tf.float32)[..., None]
        if augment:
            flat = augment_leads(tf.reshape(images, (-1, height, width, 1)), max_shift)
            images = tf.reshape(flat, (-1, n_leads, height, width, 1))
        ids = tf.broadcast_to(lead_ids, (tf.shape(images)[0], n_leads, n_leads))
        example = ((images, ids), tf.one_hot(label, n_classes))
        return (*example, weight[0]) if weight else example

    return ds.batch(batch_size).map(to_batch, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


def image_model(lead_model: keras.Model, n_leads: int, input_shape: tuple[int, int]) -> keras.Model:
    """Wrap a per-lead model so that it is trained on whole images: every lead goes through the same
    per-lead model, and the loss is taken on the aggregated (mean) probabilities, exactly as they are
    computed at inference. Images are labelled, leads are not: a lead that looks normal on an infarct
    page is then not forced to say 'infarct'."""
    from keras import ops

    images = keras.Input(shape=(n_leads, *input_shape, 1), name="lead_images")
    leads = keras.Input(shape=(n_leads, n_leads), name="lead_ids")
    flat_images = ops.reshape(images, (-1, *input_shape, 1))
    flat_leads = ops.reshape(leads, (-1, n_leads))
    probs = ops.reshape(lead_model([flat_images, flat_leads]), (-1, n_leads, lead_model.output.shape[-1]))
    return keras.Model([images, leads], ops.mean(probs, axis=1), name=f"{lead_model.name}_over_leads")


class ImageLevelF1(keras.callbacks.Callback):
    """Macro-F1 over whole images (lead probabilities aggregated) on the validation split, each epoch."""

    def __init__(self, dataset: tf.data.Dataset, labels: np.ndarray):
        super().__init__()
        self.dataset, self.labels = dataset, labels

    def on_epoch_end(self, epoch, logs=None):
        probs = self.model.predict(self.dataset, verbose=0)
        f1 = f1_score(self.labels, probs.argmax(axis=1), average="macro")
        if logs is not None:
            logs["val_image_macro_f1"] = float(f1)
        print(f" - val_image_macro_f1: {f1:.4f}")


def halving_schedule(learning_rate: float, halve_at: tuple[int, ...]):
    """A learning rate that starts at ``learning_rate`` and halves at each epoch listed in ``halve_at``."""
    def rate(epoch: int, _current: float) -> float:
        return learning_rate * 0.5 ** sum(epoch >= at for at in halve_at)
    return rate


def train_model(task: str, kind: str, train: tuple[np.ndarray, np.ndarray],
                validation: tuple[np.ndarray, np.ndarray] | None, epochs: int = 30, batch_size: int = 8,
                learning_rate: float = 1e-3, patience: int = 8, seed: int = 0, class_weight_power: float = 1.0,
                initial_weights: list[np.ndarray] | None = None, halve_lr_at: tuple[int, ...] = (),
                verbose: int = 2) -> tuple[keras.Model, dict]:
    """Train one per-lead model on whole images; return it (best validation weights restored) and its history.

    ``train`` and ``validation`` are (inputs (n_images, n_leads, H, W), class indices).
    With ``validation=None`` (a final fit on train + validation, settings chosen beforehand) the model runs
    all ``epochs``, its learning rate halved at the epochs in ``halve_lr_at``, and the last weights are kept.
    ``class_weight_power`` softens the balanced class weights (1: fully balanced, 0.5: their square root,
    0: none); fully balanced weights on a 20:1 imbalance trade too much precision on the big classes.
    ``initial_weights`` continue training a saved model of the same architecture instead of starting afresh.
    """
    set_seeds(seed)
    spec = TASK_SPECS[task]
    n_leads, n_classes = len(spec.leads), len(spec.classes)
    model = BUILDERS[kind](spec.input_shape, n_leads, n_classes, FILTERS[task])
    if initial_weights is not None:
        model.set_weights(initial_weights)
    trainer = image_model(model, n_leads, spec.input_shape)
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="categorical_crossentropy",
                    metrics=["accuracy"])
    class_weights = compute_class_weight("balanced", classes=np.arange(n_classes), y=train[1]) ** class_weight_power
    weights = class_weights[train[1]].astype(np.float32)
    train_ds = image_dataset(*train, n_classes, batch_size, True, seed, weights)
    if validation is None:
        schedule = keras.callbacks.LearningRateScheduler(halving_schedule(learning_rate, halve_lr_at))
        history = trainer.fit(train_ds, epochs=epochs, callbacks=[schedule], verbose=verbose,
                              shuffle=False)  # image_dataset already reshuffles every epoch
        return model, {k: [float(v) for v in vals] for k, vals in history.history.items()}
    val_ds = image_dataset(*validation, n_classes, batch_size * 4, False, seed)
    callbacks = [
        ImageLevelF1(val_ds, validation[1]),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3, min_lr=1e-5),
        keras.callbacks.EarlyStopping(monitor="val_image_macro_f1", mode="max", patience=patience,
                                      restore_best_weights=True),
    ]
    history = trainer.fit(train_ds, validation_data=val_ds, epochs=epochs, callbacks=callbacks, verbose=verbose,
                          shuffle=False)  # image_dataset already reshuffles every epoch
    clean = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    return model, clean
