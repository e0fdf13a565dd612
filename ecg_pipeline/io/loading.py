"""Safe image decoding: size limits, EXIF orientation, alpha, 16-bit, palette and CMYK images, PDF pages."""

from __future__ import annotations

import io
import os
import re
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..constants import (
    MAX_FILE_BYTES,
    MAX_PDF_PAGES,
    MAX_PIXELS,
    MIN_SIDE_PX,
    MM_PER_INCH,
    POINTS_PER_INCH,
    REFERENCE_PX_PER_MM,
)
from ..errors import ImageTooLargeError, ImageTooSmallError, InvalidImageError

ImageSource = bytes | bytearray | str | os.PathLike | np.ndarray | BinaryIO


def read_bytes(source: bytes | bytearray | str | os.PathLike | BinaryIO) -> bytes:
    """Return the raw bytes of a path, a bytes object or a binary file-like object.

    Raises ``ImageTooLargeError`` before reading a file larger than ``MAX_FILE_BYTES``.
    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        check_file(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:  # gone or locked between the check and the read
            raise InvalidImageError(f"The file '{source}' cannot be read ({exc.strerror or exc}).") from exc
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


def check_file(path: str | os.PathLike) -> None:
    """Refuse, without reading it, a path that is not a file, cannot be read or is over ``MAX_FILE_BYTES``, with
    the messages ``read_bytes`` gives.

    Raises
    ------
    InvalidImageError, ImageTooLargeError
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidImageError(f"No file at '{path}'.")
    if not os.access(path, os.R_OK):
        raise InvalidImageError(f"The file '{path}' cannot be read (no permission).")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImageTooLargeError(_too_large_file_message(path.stat().st_size))


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
    if is_pdf(data):
        pages = pdf_page_count(data)
        if pages > 1:
            raise InvalidImageError(f"This PDF has {pages} pages; choose one (pdf_page gives each page).")
        return pdf_page(data)
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
            fast = _decoded_jpeg(data, image)
            if fast is not None:
                return _check_size(fast)
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
            "This file is not an image that can be read (expected JPEG, PNG, BMP, TIFF, WebP, GIF or PDF)."
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImageError(
            "The image file is damaged or incomplete (cut off, or not saved to the end) and cannot be decoded."
        ) from exc
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block must not make a readable image unusable
        pass
    return _check_size(_to_rgb(image))


def _decoded_jpeg(data: bytes, image: Image.Image) -> np.ndarray | None:
    """A whole, upright RGB or grey JPEG decoded by OpenCV (the same pixels as Pillow's libjpeg-turbo, in a third
    of the time on a printout: 29 ms against 89 ms), or ``None`` for every other file, which Pillow decodes.
    A JPEG cut off before its end marker goes to Pillow, which reports it; OpenCV would fill it with grey."""
    import cv2

    if image.format != "JPEG" or image.mode not in ("RGB", "L") or not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        return None
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block: Pillow's path copes with it
        return None
    if orientation != 1:  # turned by its EXIF orientation: Pillow applies it
        return None
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION)


def file_pages(name: str, data: bytes) -> list[tuple[str, int | None]]:
    """The images a file holds, as ``(label, page number)``: ``(name, None)`` for an image, and
    ``(f"{name}#page={n}", n)`` for each page of a PDF (``page_image`` renders one).

    Raises
    ------
    InvalidImageError
        For a damaged, encrypted or over-long PDF.
    """
    if not is_pdf(data):
        return [(name, None)]
    return [(f"{name}#page={number}", number) for number in range(1, pdf_page_count(data) + 1)]


def page_image(data: bytes, number: int | None) -> bytes | np.ndarray:
    """What the pipeline reads for one entry of ``file_pages``: the image's bytes, or the rendered PDF page."""
    return data if number is None else pdf_page(data, number)


def is_pdf(data: bytes) -> bool:
    """Whether the bytes are a PDF document (by its signature, wherever the file came from)."""
    return data[:1024].lstrip().startswith(b"%PDF-")


def pdf_page_count(data: bytes) -> int:
    """How many pages a PDF has; a damaged or password-protected PDF raises ``InvalidImageError``."""
    with _PdfDocument(data) as document:
        return len(document)


def pdf_page(data: bytes, number: int = 1, px_per_mm: float = REFERENCE_PX_PER_MM) -> np.ndarray:
    """One page of a PDF (1-based), rendered with pypdfium2 as an RGB ``uint8`` array.

    The page is rendered at ``px_per_mm`` of its printed size (from its size in points), so that an ECG exported
    at paper size arrives at the scale of the printouts the models learnt from.

    Raises
    ------
    InvalidImageError
        A damaged, password-protected or empty PDF, one of more than ``MAX_PDF_PAGES`` pages, or no such page.
    ImageTooLargeError
        A page that would have more than ``MAX_PIXELS`` pixels.
    """
    scale = px_per_mm * MM_PER_INCH / POINTS_PER_INCH
    with _PdfDocument(data) as document:
        if not 1 <= number <= len(document):
            raise InvalidImageError(f"The PDF has {len(document)} pages; there is no page {number}.")
        page = document[number - 1]
        width, height = page.get_size()
        if width * height * scale * scale > MAX_PIXELS:
            raise ImageTooLargeError(
                f"Page {number} of the PDF measures {width / POINTS_PER_INCH * MM_PER_INCH:.0f} x "
                f"{height / POINTS_PER_INCH * MM_PER_INCH:.0f} mm: too large to render at the models' scale "
                f"(limit {MAX_PIXELS / 1e6:.0f} million pixels)."
            )
        bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255), rev_byteorder=True)
        return _check_size(np.ascontiguousarray(bitmap.to_numpy()[:, :, :3]))


def pdf_pages(data: bytes) -> Iterator[tuple[int, np.ndarray]]:
    """Every page of a PDF as ``(number, image)``, rendered one at a time (``pdf_page``)."""
    for number in range(1, pdf_page_count(data) + 1):
        yield number, pdf_page(data, number)


#: PDFium must not be called from two threads at once, even on different documents.
_PDFIUM_LOCK = threading.RLock()


class _PdfDocument:
    """A pypdfium2 document, opened and used under ``_PDFIUM_LOCK`` and closed on leaving, with the library's
    errors turned into messages for people."""

    def __init__(self, data: bytes):
        self.data = data

    def __enter__(self):
        import pypdfium2 as pdfium

        _PDFIUM_LOCK.acquire()
        try:
            self.document = pdfium.PdfDocument(self.data)
        except pdfium.PdfiumError as exc:
            _PDFIUM_LOCK.release()
            if "password" in str(exc).lower():
                raise InvalidImageError("This PDF is protected by a password; export the ECG without one.") from exc
            raise InvalidImageError(f"The PDF is damaged or incomplete and cannot be read ({exc}).") from exc
        pages = len(self.document)
        if pages == 0 or pages > MAX_PDF_PAGES:
            self.__exit__()
            raise InvalidImageError("The PDF has no pages." if pages == 0 else
                                    f"The PDF has {pages} pages; at most {MAX_PDF_PAGES} are read. Split it first.")
        return self.document

    def __exit__(self, *exc) -> None:
        try:
            self.document.close()
        finally:
            _PDFIUM_LOCK.release()


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
