"""Each preprocessing stage on its own."""

import numpy as np
import pytest

from ecg_pipeline.preprocess.stages import (
    binarize,
    crop,
    gaussian_smooth,
    intensity_histogram,
    model_input,
    otsu_threshold,
    to_grayscale,
)


def test_grayscale_weights_green_most():
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[0, 1] = (0, 255, 0)
    rgb[0, 2] = (0, 0, 255)
    gray = to_grayscale(rgb)
    assert gray.shape == (2, 3) and gray.dtype == np.uint8
    assert gray[0, 1] > gray[0, 0] > gray[0, 2]


def test_crop_uses_top_bottom_left_right():
    image = np.arange(100).reshape(10, 10)
    assert crop(image, (2, 4, 5, 8)).tolist() == [[25, 26, 27], [35, 36, 37]]


def test_gaussian_smoothing_spreads_a_point_and_keeps_the_mean():
    image = np.zeros((21, 21), np.uint8)
    image[10, 10] = 255
    smooth = gaussian_smooth(image, sigma=2.0)
    assert smooth.dtype == np.float32
    assert smooth[10, 10] < 255 and smooth[10, 12] > 0
    assert smooth.sum() == pytest.approx(255, rel=1e-3)
    assert np.array_equal(gaussian_smooth(image, 0), image.astype(np.float32))
    assert gaussian_smooth(image, 3.0)[10, 10] < smooth[10, 10]


def test_otsu_separates_ink_from_paper():
    rng = np.random.default_rng(0)
    paper = rng.normal(230, 8, 5000)
    ink = rng.normal(40, 10, 300)
    image = np.clip(np.concatenate([paper, ink]), 0, 255).reshape(1, -1)
    threshold = otsu_threshold(image)
    assert 60 < threshold < 200
    binary = binarize(image, threshold)
    assert binary.sum() == pytest.approx(300, abs=3)


def test_otsu_matches_scikit_image():
    from skimage.filters import threshold_otsu

    rng = np.random.default_rng(1)
    image = np.concatenate([rng.integers(0, 90, 400), rng.integers(150, 256, 3000)]).astype(np.uint8)
    assert otsu_threshold(image) == pytest.approx(threshold_otsu(image, nbins=256), abs=1.5)


def test_histogram_counts_every_pixel():
    image = np.array([[0, 0, 255, 128]], np.uint8)
    counts, centres = intensity_histogram(image)
    assert counts.sum() == 4 and counts[0] == 2 and counts[255] == 1 and len(centres) == 256


def test_model_input_keeps_a_thin_line_visible():
    binary = np.zeros((300, 500), bool)
    binary[150, :] = True
    small = model_input(binary, (96, 192))
    assert small.shape == (96, 192) and small.dtype == np.float32
    assert small.max() > 0.2 and small.min() == 0.0
