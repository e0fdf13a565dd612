"""Safe loading: odd but valid formats decode; unusable input raises a typed error with a clear message."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from ecg_pipeline.errors import ImageTooLargeError, ImageTooSmallError, InvalidImageError
from ecg_pipeline.io.loading import load_image

from .conftest import SAMPLES


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def test_rgba_is_composited_on_white():
    image = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    image.putpixel((10, 10), (0, 0, 0, 255))
    rgb = load_image(encode(image, "PNG"))
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0].tolist() == [255, 255, 255]
    assert rgb[10, 10].tolist() == [0, 0, 0]


def test_16_bit_grayscale_is_scaled_to_8_bits():
    array = np.full((40, 40), 65535, np.uint16)
    array[5, 5] = 0
    rgb = load_image(encode(Image.fromarray(array), "PNG"))
    assert rgb[0, 0].tolist() == [255, 255, 255]
    assert rgb[5, 5].tolist() == [0, 0, 0]


def test_palette_gif_and_cmyk_are_converted():
    palette = Image.new("P", (50, 40), 0)
    palette.putpalette([255, 255, 255, 10, 10, 10] + [0] * 762)
    palette.putpixel((3, 3), 1)
    rgb = load_image(encode(palette, "GIF"))
    assert rgb[0, 0].tolist() == [255, 255, 255] and rgb[3, 3].tolist() == [10, 10, 10]
    cmyk = Image.new("CMYK", (50, 40), (0, 0, 0, 0))
    assert load_image(encode(cmyk, "JPEG")).mean() > 250


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (80, 40), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    rgb = load_image(encode(image, "JPEG", exif=exif))
    assert rgb.shape[:2] == (80, 40)


def test_paths_file_objects_and_arrays(tmp_path):
    data = encode(Image.new("L", (40, 40), 128), "PNG")
    path = tmp_path / "x.png"
    path.write_bytes(data)
    assert load_image(path).shape == (40, 40, 3)
    assert load_image(str(path)).shape == (40, 40, 3)
    assert load_image(io.BytesIO(data)).shape == (40, 40, 3)
    assert load_image(np.zeros((40, 40), np.uint8)).shape == (40, 40, 3)
    assert load_image(np.zeros((40, 40, 4), np.uint8)).shape == (40, 40, 3)


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        (b"hello, this is text, not an image\n" * 10, "not an image"),
        (b"%PDF-1.7\n%...", "PDF"),
    ],
)
def test_not_an_image(data, words):
    with pytest.raises(InvalidImageError, match=words):
        load_image(data)


def test_truncated_jpeg():
    data = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300, 3), np.uint8)), "JPEG")
    with pytest.raises(InvalidImageError, match="damaged or incomplete"):
        load_image(data[: len(data) // 2])


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(
        b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ImageTooLargeError, match="3,600 million pixels"):
        load_image(png_header_only(60000, 60000))


def test_tiny_image():
    with pytest.raises(ImageTooSmallError, match="1 x 1"):
        load_image(encode(Image.new("RGB", (1, 1)), "PNG"))


def test_file_size_limit(tmp_path, monkeypatch):
    import ecg_pipeline.io.loading as loading

    monkeypatch.setattr(loading, "MAX_FILE_BYTES", 100)
    with pytest.raises(ImageTooLargeError, match="MB"):
        loading.load_image(encode(Image.new("RGB", (100, 100)), "BMP"))


@pytest.mark.parametrize("options", [{"quality": 90}, {"quality": 85, "progressive": True},
                                     {"quality": 90, "subsampling": 0}, {"mode": "L"}])
def test_jpegs_decoded_by_opencv_have_pillows_pixels(options):
    from ecg_pipeline.io.loading import _decoded_jpeg, decode_image

    page = Image.open(SAMPLES / "real_twelve_lead_normal_1.jpg").convert(options.pop("mode", "RGB"))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", **options)
    data = buffer.getvalue()
    assert _decoded_jpeg(data, Image.open(io.BytesIO(data))) is not None  # the fast path is the one taken
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert np.array_equal(decode_image(data), expected)


def test_a_jpeg_whose_exif_cannot_be_parsed_still_decodes(monkeypatch):
    from ecg_pipeline.io.loading import decode_image

    def broken(self):
        raise SyntaxError("not a TIFF file")  # what Pillow raises for some damaged EXIF blocks

    monkeypatch.setattr(Image.Image, "getexif", broken)
    data = (SAMPLES / "real_twelve_lead_normal_1.jpg").read_bytes()
    assert decode_image(data).shape[2] == 3
