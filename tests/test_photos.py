"""Photo evidence: only real photos get in, come out upright, small and clean, and are served safely.

Every test runs twice: with photos in the upload folder and in an S3 bucket (moto's server, a process of the
test session's own)."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from flask import Flask, request
from flask_babel import force_locale
from PIL import ExifTags, Image, ImageFile
from werkzeug.datastructures import FileStorage

from surveyapp import photos
from surveyapp.auth.access import login_required
from surveyapp.errors import NotFound, ValidationError
from tests.pdfcheck import read_pdf

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def in_a_request(photo_storage, app):
    """Photos arrive in requests, whose language the messages follow."""
    with app.test_request_context():
        yield


def picture(width: int, height: int) -> Image.Image:
    """A photo-like picture: noise over a gradient, red down the left edge (to check orientation)."""
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image = Image.blend(noise, gradient, 0.5)
    image.paste((230, 20, 20), (0, 0, max(1, width // 10), height))
    return image


def phone_exif(orientation: int = 1, taken: str | None = "2026:11:05 10:21:33", offset: str | None = "+08:00") -> Image.Exif:
    """EXIF as a phone writes it: camera, orientation, capture time and GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "SecretModel X"
    exif[ExifTags.Base.Orientation] = orientation
    details = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        details[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 13.0, 45.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 12.25)
    return exif


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def refused(data: bytes, app: Flask) -> str:
    with pytest.raises(ValidationError) as caught:
        photos.save_photo(data)
    return str(caught.value.message)


def stored_files(app: Flask) -> list[str]:
    """Every file in the photo store (and, for the folder, nothing else in the upload folder)."""
    names = sorted(f.name for f in photos.store(app).files())
    if not app.config.get("PHOTO_STORAGE_URL"):
        assert sorted(p.relative_to(photos.folder(app)).as_posix()
                      for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()) == names
    return names


def test_a_phone_jpeg_comes_out_upright_resized_with_its_capture_time_and_without_gps(app):
    original = picture(3000, 2000)
    upload = FileStorage(io.BytesIO(encode(original, "JPEG", quality=92, exif=phone_exif(orientation=6))),
                         filename="IMG_0001.JPG", content_type="image/jpeg")
    stored = photos.save_photo(upload.stream)

    # Orientation 6: the camera was turned, the picture is shown rotated a quarter turn clockwise.
    assert (stored.width, stored.height) == (1365, 2048)
    assert stored.taken_at == dt.datetime(2026, 11, 5, 10, 21, 33, tzinfo=SHANGHAI) and stored.taken_at_offset_known
    assert stored.source_format == "JPEG"
    with photos.open_photo(stored.key) as f:
        data = f.read()
    assert stored.size == len(data) and re.fullmatch(r"[0-9a-f]{64}", stored.sha256)
    assert hashlib.sha256(data).hexdigest() == stored.sha256
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (1365, 2048)
    red, green, _ = image.getpixel((image.width // 2, 20))
    assert red > 180 and green < 80, "the red left edge is now at the top"
    assert not image.getexif() and "icc_profile" not in image.info and "comment" not in image.info
    for secret in (b"GPS", b"PhoneMaker", b"SecretModel", b"2026:11:05", b"Exif"):
        assert secret not in data
    with photos.open_photo(stored.key, thumbnail=True) as f:
        assert max(Image.open(f).size) == photos.THUMBNAIL_SIDE


def test_a_heic_photo_is_accepted_and_its_time_without_offset_is_read_in_the_company_zone(app):
    from pillow_heif import register_heif_opener

    register_heif_opener()  # to write the test's HEIC; photos registers its own reader
    data = encode(picture(640, 480), "HEIF", quality=80, exif=phone_exif(taken="2026:11:30 23:50:00", offset=None))
    stored = photos.save_photo(data)
    assert stored.source_format == "HEIF" and (stored.width, stored.height) == (640, 480)
    assert stored.taken_at == dt.datetime(2026, 11, 30, 23, 50, tzinfo=SHANGHAI)
    assert not stored.taken_at_offset_known
    with photos.open_photo(stored.key) as f:
        assert Image.open(f).format == "JPEG"


def test_the_content_decides_not_the_name_or_declared_type(app):
    png = encode(Image.new("RGBA", (300, 200), (0, 0, 255, 0)), "PNG")
    upload = FileStorage(io.BytesIO(png), filename="photo.jpg", content_type="image/jpeg")
    stored = photos.save_photo(upload.stream)
    assert stored.source_format == "PNG"
    with photos.open_photo(stored.key) as f:
        image = Image.open(f)
        assert image.format == "JPEG" and image.getpixel((10, 10)) == (255, 255, 255), "transparency on white"

    text = FileStorage(io.BytesIO(b"just some text, not a photo\n" * 20), filename="photo.jpg", content_type="image/jpeg")
    for data in (text.stream.read(),
                 b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                 b"<html><body><img src=x onerror=alert(1)></body></html>",
                 encode(picture(50, 50), "GIF"), encode(picture(50, 50), "BMP"), encode(picture(50, 50), "WEBP"),
                 b"%PDF-1.4\n" + encode(picture(50, 50), "JPEG")):
        assert refused(data, app) == "该文件不是 JPEG、PNG 或 HEIC 格式的照片。"
    assert stored_files(app) == sorted(photos._name(stored.key, t) for t in (False, True))


def test_a_polyglot_loses_everything_but_its_pixels(app):
    jpeg = encode(picture(400, 300), "JPEG", comment=b"<script>alert('com')</script>",
                  xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>31,13.7N</exif:GPSLatitude></x:xmpmeta>')
    payload = b"<html><script>alert('tail')</script></html>PK\x03\x04zipped"
    stored = photos.save_photo(jpeg + payload)
    with photos.open_photo(stored.key) as f:
        data = f.read()
    for trace in (b"<script", b"alert", b"PK\x03\x04", b"xmpmeta", b"GPSLatitude"):
        assert trace not in data


def test_a_photo_with_broken_or_no_exif_is_kept_without_a_capture_time(app):
    broken = encode(picture(300, 200), "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff garbage")
    plain = encode(picture(300, 200), "PNG")
    for data in (broken, plain):
        stored = photos.save_photo(data)
        assert (stored.width, stored.height, stored.taken_at) == (300, 200, None)


def _png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(encode(picture(64, 48), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def test_decompression_bombs_are_refused_before_decoding(app):
    # 9,000 × 9,000 zero pixels compress to 80 KB: a real bomb, over our cap but under Pillow's own limit.
    bomb = _png(9000, 9000, zlib.compress(b"\x00" * (9001 * 9000), 9))
    assert len(bomb) < 100_000
    for data in (bomb, _png(60000, 60000, zlib.compress(b"\x00" * 1000)), _jpeg_claiming(65000, 65000),
                 _jpeg_claiming(8000, 7000)):
        assert refused(data, app) == "照片像素过多，请上传不超过 50 百万像素的照片。"
    assert stored_files(app) == []


def test_damaged_empty_and_oversized_files_are_refused_with_a_clear_message(app, make_app):
    import weasyprint  # noqa: F401  (it tells Pillow to accept truncated images, process-wide)

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    jpeg = encode(picture(800, 600), "JPEG")
    png = encode(picture(800, 600), "PNG")
    for data in (jpeg[: len(jpeg) // 2], png[: len(png) // 2], jpeg[:200]):
        assert refused(data, app) in {"照片无法读取：文件已损坏或不完整。", "该文件不是 JPEG、PNG 或 HEIC 格式的照片。"}
    assert refused(jpeg[: len(jpeg) // 2], app) == "照片无法读取：文件已损坏或不完整。"
    assert refused(b"", app) == "文件是空的。"
    assert ImageFile.LOAD_TRUNCATED_IMAGES, "PDFs still get what WeasyPrint asked for"
    oversized = jpeg + b"\x00" * (15 * 1024 * 1024 + 1 - len(jpeg))
    assert refused(oversized, app) == "照片超过 15 MB，请上传更小的照片。"
    with make_app(PHOTO_MAX_BYTES=1024 * 1024).test_request_context(), pytest.raises(ValidationError, match="1 MB"):
        photos.save_photo(io.BytesIO(encode(picture(50, 50), "JPEG") + b"\x00" * 1024 * 1024))
    assert stored_files(app) == []


def test_animated_images_are_refused_but_a_phones_multi_picture_jpeg_keeps_its_main_picture(app):
    frames = [picture(120, 90), Image.new("RGB", (120, 90), "blue")]
    apng = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert refused(apng, app) == "不接受动图或多页图片，请上传单张照片。"
    mpo = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    stored = photos.save_photo(mpo)
    assert stored.source_format == "JPEG" and (stored.width, stored.height) == (120, 90)


def test_messages_follow_the_language(app):
    with force_locale("en"):
        assert refused(b"hello", app) == "This file is not a JPEG, PNG or HEIC photo."


def test_stored_names_are_random_and_sharded_and_keys_cannot_walk_out(app):
    first = photos.save_photo(encode(picture(100, 100), "JPEG"))
    second = photos.save_photo(encode(picture(100, 100), "JPEG"))
    assert first.key != second.key and re.fullmatch(r"[0-9a-f]{32}", first.key)
    assert f"{first.key[:2]}/{first.key[2:4]}/{first.key}.jpg" in stored_files(app)
    assert sorted(photos.stored_keys()) == sorted([first.key, second.key])
    for bad in ("../../../etc/passwd", first.key.upper(), first.key + "/", "", "0" * 32):
        with pytest.raises(NotFound):
            photos.open_photo(bad)
    assert photos.delete_photo(first.key) and not photos.delete_photo(first.key)
    with pytest.raises(NotFound):
        photos.open_photo(first.key)
    assert list(photos.stored_keys()) == [second.key]


def test_photos_saved_in_a_failed_block_are_deleted(app):
    with pytest.raises(RuntimeError), photos.deleted_on_error() as keys:
        keys.append(photos.save_photo(encode(picture(100, 100), "JPEG")).key)
        raise RuntimeError("the commit failed")
    assert stored_files(app) == []


@pytest.fixture
def photo_app(make_app):
    """An app with a view that serves any photo (the real views check access first)."""
    app = make_app()

    @app.get("/test-photo/<key>")
    @login_required
    def serve(key: str):
        return photos.send_photo(key, download_name=request.args.get("name"), thumbnail="thumbnail" in request.args)

    return app


def test_photos_are_served_as_jpeg_attachments_with_nosniff_and_a_safe_name(photo_app, make_user, login):
    client = photo_app.test_client()
    with photo_app.app_context():
        stored = photos.save_photo(encode(picture(600, 400), "JPEG"))
        login(make_user(), into=client)
    with client.get(f"/test-photo/{stored.key}?name=../../evil\".html") as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "private, max-age=604800, immutable"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "filename=evil.jpg" in disposition, disposition
        assert Image.open(io.BytesIO(response.data)).size == (600, 400)
        etag = response.headers["ETag"]
    with client.get(f"/test-photo/{stored.key}", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
    with client.get(f"/test-photo/{stored.key}?name=营业厅H001-仪容仪表") as chinese:
        assert ("filename*=UTF-8''%E8%90%A5%E4%B8%9A%E5%8E%85H001-%E4%BB%AA%E5%AE%B9%E4%BB%AA%E8%A1%A8.jpg"
                in chinese.headers["Content-Disposition"])
    with client.get(f"/test-photo/{stored.key}?thumbnail=1") as thumb:
        assert Image.open(io.BytesIO(thumb.data)).size == (480, 320)
    assert client.get("/test-photo/" + "0" * 32).status_code == 404
    assert client.get("/test-photo/..%2F..%2Fsetup.cfg").status_code == 404


def test_thumbnails_go_into_pdfs_as_data_uris(app):
    from surveyapp.pdf import render_pdf

    stored = photos.save_photo(encode(picture(1600, 1200), "JPEG"))
    uri = photos.data_uri(stored.key)
    assert uri.startswith("data:image/jpeg;base64,")
    assert Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).size == (480, 360)
    with app.test_request_context():
        html = app.jinja_env.from_string(
            '{% extends "pdf/base.html" %}{% block content %}<p>现场照片</p>'
            '<div class="photos"><img src="{{ uri }}" alt="照片"></div>{% endblock %}').render(title="照片", uri=uri)
    pdf = read_pdf(render_pdf(html))
    assert "现场照片" in pdf.text
