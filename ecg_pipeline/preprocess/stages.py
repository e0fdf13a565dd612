"""The preprocessing stages: each a pure function, numpy in and numpy out."""

from __future__ import annotations

import cv2
import numpy as np
from skimage.morphology import skeletonize


def to_grayscale(rgb: np.ndarray) -> np.ndarray:
    """Luma (ITU-R BT.601) of an RGB ``uint8`` image, as ``uint8``.

    Examples
    --------
    >>> int(to_grayscale(np.full((2, 2, 3), 255, np.uint8))[0, 0])
    255
    """
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The part of ``image`` inside ``box`` = (top, bottom, left, right)."""
    top, bottom, left, right = box
    return image[top:bottom, left:right]


def gaussian_smooth(image: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Gaussian smoothing with standard deviation ``sigma`` pixels, as ``float32`` on the 0-255 scale.

    ``sigma=0`` returns the image unchanged (as float32).

    Examples
    --------
    >>> float(gaussian_smooth(np.full((5, 5), 200, np.uint8), 1.0)[2, 2])
    200.0
    """
    image = image.astype(np.float32)
    if sigma <= 0:
        return image
    return cv2.GaussianBlur(image, (0, 0), sigmaX=float(sigma), sigmaY=float(sigma),
                            borderType=cv2.BORDER_REPLICATE)


def shrink_by(image: np.ndarray, factor: int) -> np.ndarray:
    """``image`` made ``factor`` times smaller with area averaging: OpenCV's fast case of it.

    Examples
    --------
    >>> shrink_by(np.zeros((1572, 2213), np.uint8), 2).shape
    (786, 1106)
    """
    if factor <= 1:
        return image
    return cv2.resize(image, None, fx=1.0 / factor, fy=1.0 / factor, interpolation=cv2.INTER_AREA)


def shrink(image: np.ndarray, scale: float) -> np.ndarray:
    """``image`` resized by ``scale`` (< 1) with area averaging, so thin lines fade rather than vanish.

    OpenCV's area resize is fast for whole-number factors and some twenty times slower for others, so
    the image is first shrunk by the largest whole factor, then by what is left.

    Examples
    --------
    >>> shrink(np.zeros((1572, 2213), np.uint8), 0.497).shape
    (781, 1100)
    """
    if scale >= 1:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = shrink_by(image, int(1.0 / scale))
    if image.shape[1::-1] == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def intensity_histogram(image: np.ndarray, nbins: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of intensities on 0-255 in ``nbins`` equal bins: ``(counts, bin_centres)``.

    Examples
    --------
    >>> counts, centres = intensity_histogram(np.array([[0, 0, 255]], np.uint8))
    >>> int(counts[0]), int(counts[255]), float(centres[0])
    (2, 1, 0.5)
    """
    image = np.ascontiguousarray(image, dtype=np.float32)
    # cv2.calcHist counts the same bins as np.histogram(range=(0, 256)), some twenty times faster
    counts = cv2.calcHist([image], [0], None, [nbins], [0.0, 256.0]).ravel().astype(np.int64)
    edges = np.linspace(0.0, 256.0, nbins + 1)
    return counts, (edges[:-1] + edges[1:]) / 2.0


def otsu_threshold(image: np.ndarray | None = None, nbins: int = 256, *,
                   hist: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Otsu's threshold: the intensity that maximises the between-class variance.

    Parameters
    ----------
    image : ndarray
        Intensities on the 0-255 scale.
    nbins : int
        Number of histogram bins.
    hist : (counts, bin_centres), optional
        The image's ``intensity_histogram``, when it is already at hand.

    Returns
    -------
    threshold : float
        Pixels darker than it are ink.

    References
    ----------
    N. Otsu, "A threshold selection method from gray-level histograms", IEEE Trans. Systems, Man and
    Cybernetics 9(1), 62-66, 1979.

    Examples
    --------
    >>> image = np.array([[10, 10, 240, 240]], np.uint8)
    >>> 10 < otsu_threshold(image) < 240
    True
    """
    counts, centres = hist if hist is not None else intensity_histogram(image, nbins)
    counts = counts.astype(np.float64)
    total = counts.sum()
    if total == 0 or np.count_nonzero(counts) < 2:
        # One grey level only: nothing is darker than the rest, so nothing is ink.
        return float(centres[np.argmax(counts)] - 128.0 / len(counts)) if total else 128.0  # that bin's left edge
    weight_low = np.cumsum(counts)
    weight_high = total - weight_low
    mean_low = np.cumsum(counts * centres) / np.maximum(weight_low, 1e-12)
    mean_high = (np.sum(counts * centres) - np.cumsum(counts * centres)) / np.maximum(weight_high, 1e-12)
    between = weight_low[:-1] * weight_high[:-1] * (mean_low[:-1] - mean_high[:-1]) ** 2
    index = int(np.argmax(between))
    # The boundary between bin ``index`` and the next: values at or below the bin are "dark".
    return float((centres[index] + centres[index + 1]) / 2.0)


#: Largest share of a lead that a trace covers. No lead of the 343 shared printouts is above 0.09 and no
#: single-beat image above 0.06; pages whose grid lines print dark (thick pens, dark scans) are at 0.10-0.26.
MAX_TRACE_INK_FRACTION = 0.10


def trace_threshold(hist: tuple[np.ndarray, np.ndarray], max_ink_fraction: float = MAX_TRACE_INK_FRACTION,
                    max_rounds: int = 2) -> float:
    """Otsu's threshold, taken again on the darker side while it leaves too much of the lead as ink.

    Otsu splits the histogram in two. On a clean printout the two are paper and trace; when the grid
    prints dark it is paper against grid-plus-trace, and the trace is the darkest part of the dark side.

    Parameters
    ----------
    hist : (counts, bin_centres)
        The lead's ``intensity_histogram``.
    max_ink_fraction : float
        Share of pixels above which the dark side is split again.
    max_rounds : int
        How many times at most.

    Returns
    -------
    threshold : float
        Pixels darker than it are ink.

    Examples
    --------
    >>> paper, grid, trace = np.full(800, 250), np.full(180, 170), np.full(20, 30)
    >>> lead = np.concatenate([paper, grid, trace]).astype(np.uint8)[None, :]
    >>> 170 < otsu_threshold(lead) < 250
    True
    >>> 30 < trace_threshold(intensity_histogram(lead)) < 170
    True
    """
    counts, centres = hist
    threshold = otsu_threshold(hist=hist)
    for _ in range(max_rounds):
        dark = centres < threshold
        if counts[dark].sum() <= max_ink_fraction * counts.sum() or np.count_nonzero(counts[dark]) < 2:
            break
        threshold = otsu_threshold(hist=(counts[dark], centres[dark]))
    return threshold


#: Stroke widths are measured on a lead scaled to this many rows, so that the two widths below keep their meaning
#: whatever size of lead image the models are given.
STROKE_REFERENCE_HEIGHT = 64
#: Typical width of a trace stroke in pixels of a lead ``STROKE_REFERENCE_HEIGHT`` rows tall: the median lead of
#: the 343 shared printouts is 0.97.
TYPICAL_STROKE_WIDTH = 1.0
#: Page-median stroke width (same pixels) above which the trace is thinned back to the typical width.
#: No shared printout is above 1.18; blurred or thick-pen pages are at 1.2-1.5.
MAX_STROKE_WIDTH = 1.2


def stroke_width(binary: np.ndarray) -> float:
    """Mean width of the ink strokes in pixels: ink area divided by the length of its skeleton.

    Examples
    --------
    >>> line = np.zeros((20, 50), bool)
    >>> line[8:11, 5:45] = True
    >>> round(stroke_width(line))
    3
    """
    rows, cols = np.flatnonzero(binary.any(axis=1)), np.flatnonzero(binary.any(axis=0))
    if len(rows) == 0:
        return 0.0
    # Skeletonize only the ink's bounding box (with a blank border): same skeleton, half the time on a lead.
    ink = binary[max(rows[0] - 1, 0):rows[-1] + 2, max(cols[0] - 1, 0):cols[-1] + 2]
    length = int(np.count_nonzero(skeletonize(ink)))
    return float(np.count_nonzero(ink)) / length if length else 0.0


def thinner_threshold(hist: tuple[np.ndarray, np.ndarray], threshold: float, factor: float) -> float:
    """The highest threshold below ``threshold`` that keeps at most ``factor`` of its ink.

    A blurred or thick stroke has a dark core and a lighter rim; a darker threshold keeps the core. The
    skeleton's length barely changes, so ink shrinks in proportion to the stroke's width.

    Parameters
    ----------
    hist : (counts, bin_centres)
        The lead's ``intensity_histogram``.
    threshold : float
        The current threshold: pixels darker than it are ink.
    factor : float
        Share of the current ink to keep, in (0, 1].

    Returns
    -------
    threshold : float

    Examples
    --------
    >>> core, rim, paper = np.full(50, 40), np.full(50, 150), np.full(900, 250)
    >>> hist = intensity_histogram(np.concatenate([core, rim, paper]).astype(np.uint8)[None, :])
    >>> 40 < thinner_threshold(hist, 200.0, 0.5) <= 150
    True
    """
    counts, centres = hist
    ink = np.cumsum(counts)  # ink[i]: pixels in bins 0..i, dark at any threshold above bin i
    target = factor * counts[centres < threshold].sum()
    keep = np.flatnonzero((ink <= target) & (centres < threshold))
    if len(keep) == 0:
        return threshold
    # Just above the last bin kept, so that every pixel of that bin stays ink.
    return float(min(centres[keep[-1]] + 0.5, threshold))


def binarize(image: np.ndarray, threshold: float) -> np.ndarray:
    """Ink mask: ``True`` where the image is darker than ``threshold``."""
    return image < threshold


def model_input(binary: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize a binary trace to a model's (height, width) as ``float32`` in [0, 1], ink = 1.

    Area interpolation keeps a thin trace visible when it shrinks.
    """
    height, width = shape
    return cv2.resize(binary.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA)
