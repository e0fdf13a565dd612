"""Safe image decoding: size limits, EXIF orientation, alpha, 16-bit, palette and CMYK images."""

from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .constants import MAX_FILE_BYTES, MAX_PIXELS, MIN_SIDE_PX
from .errors import ImageTooLargeError, ImageTooSmallError, InvalidImageError

ImageSource = bytes | bytearray | str | os.PathLike | np.ndarray | BinaryIO


def read_bytes(source: bytes | bytearray | str | os.PathLike | BinaryIO) -> bytes:
    """Return the raw bytes of a path, a bytes object or a binary file-like object.

    Raises ``ImageTooLargeError`` before reading a file larger than ``MAX_FILE_BYTES``.
    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InvalidImageError(f"No file at '{path}'.")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImageTooLargeError(_too_large_file_message(path.stat().st_size))
        data = path.read_bytes()
    elif hasattr(source, "getvalue"):
        data = source.getvalue()
    elif hasattr(source, "read"):
        data = source.read()
    else:
        raise InvalidImageError(f"Cannot read an image from a {type(source).__name__}.")
    if len(data) > MAX_FILE_BYTES:
        raise ImageTooLargeError(_too_large_file_message(len(data)))
    if not data:
        raise InvalidImageError("The file is empty.")
    return data


def decode_image(data: bytes) -> np.ndarray:
    """Decode image bytes into an RGB ``uint8`` array of shape (height, width, 3).

    Parameters
    ----------
    data : bytes
        The encoded file (JPEG, PNG, BMP, TIFF, WebP, GIF).

    Returns
    -------
    rgb : ndarray of uint8, shape (H, W, 3)
        EXIF orientation applied, transparency composited on white, 16-bit scaled to 8 bits,
        palette and CMYK converted.

    Examples
    --------
    >>> import io; from PIL import Image
    >>> buf = io.BytesIO(); Image.new("L", (40, 40), 255).save(buf, "PNG")
    >>> decode_image(buf.getvalue()).shape
    (40, 40, 3)
    """
    if data[:5] == b"%PDF-":
        raise InvalidImageError("This is a PDF document, not an image. Export the ECG page as PNG or JPEG.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageTooLargeError(
                    f"The image claims {width} x {height} pixels; the limit is {MAX_PIXELS / 1e6:.0f} "
                    "million pixels. Downscale it before uploading."
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(claimed.group(1)) / 1e6:,.0f} million pixels" if claimed else "too many pixels"
        raise ImageTooLargeError(
            f"The image claims {size}; the limit is {MAX_PIXELS / 1e6:.0f} million pixels. "
            "Downscale it before uploading."
        ) from exc
    except UnidentifiedImageError as exc:
        raise InvalidImageError(
            "This file is not an image that can be read (expected JPEG, PNG, BMP, TIFF, WebP or GIF)."
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImageError(
            f"The image file is damaged or incomplete and cannot be decoded ({exc})."
        ) from exc
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block must not make a readable image unusable
        pass
    return _check_size(_to_rgb(image))


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        top = array.max() if array.max() > 255 else 255.0
        gray = np.clip(array / max(top, 1.0) * 255.0, 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if image.mode == "F":
        array = np.asarray(image, dtype=np.float64)
        lo, hi = float(array.min()), float(array.max())
        gray = ((array - lo) / (hi - lo if hi > lo else 1.0) * 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("LA", "PA", "RGBA", "La", "RGBa"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def _check_size(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    if min(height, width) < MIN_SIDE_PX:
        raise ImageTooSmallError(
            f"The image is only {width} x {height} pixels; at least {MIN_SIDE_PX} pixels on each side "
            "are needed."
        )
    return rgb


def array_to_rgb(array: np.ndarray) -> np.ndarray:
    """Convert a grayscale, RGB or RGBA array (uint8, uint16 or float in [0, 1]) to RGB ``uint8``."""
    array = np.asarray(array)
    if array.dtype == np.uint16:
        array = (array / 257.0).astype(np.uint8)
    elif array.dtype.kind == "f":
        array = (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        raise InvalidImageError(f"Cannot use an image array of type {array.dtype}.")
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    elif array.ndim == 3 and array.shape[2] == 4:
        alpha = array[:, :, 3:4].astype(np.float32) / 255.0
        array = (array[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    elif array.ndim == 3 and array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    elif not (array.ndim == 3 and array.shape[2] == 3):
        raise InvalidImageError(f"Cannot use an image array of shape {array.shape}.")
    if array.shape[0] * array.shape[1] > MAX_PIXELS:
        raise ImageTooLargeError(f"The image has more than {MAX_PIXELS / 1e6:.0f} million pixels.")
    return _check_size(np.ascontiguousarray(array))


def load_image(source: ImageSource) -> np.ndarray:
    """Load an image from bytes, a path, a file-like object or an array as RGB ``uint8``.

    Raises
    ------
    InvalidImageError, ImageTooLargeError, ImageTooSmallError
        With a message a person can act on.
    """
    if isinstance(source, np.ndarray):
        return array_to_rgb(source)
    return decode_image(read_bytes(source))


def _too_large_file_message(n_bytes: int) -> str:
    return (
        f"The file is {n_bytes / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB. "
        "Export the ECG at a lower resolution."
    )
