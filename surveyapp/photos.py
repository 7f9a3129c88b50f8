"""Photo evidence: check, clean and store uploaded photos; open, serve and delete them.

An upload is accepted only if its *content* is a single-frame JPEG, PNG or HEIC image (the name and the
declared type are ignored), no larger than ``PHOTO_MAX_BYTES`` and ``PHOTO_MAX_PIXELS``. It is decoded,
turned upright (EXIF orientation), converted to sRGB, shrunk to at most 2048 px on its longest side and
re-encoded as a fresh JPEG, so nothing of the original file survives but its pixels: no GPS or other
metadata, no trailing payload, no second image. The capture time (EXIF ``DateTimeOriginal`` with
``OffsetTimeOriginal``) and the GPS position are returned to the caller as data (the position only for a check
at upload: callers keep a verdict, never the coordinates), with a perceptual hash of the pixels (``imagehash``
pHash, 64 bits as 16 hex digits) that survives re-encoding and resizing, so reused photos can be found. Files are
stored under random names ``ab/cd/<key>.jpg`` with a 480 px thumbnail beside them, in the store
``PHOTO_STORAGE_URL`` names (:mod:`surveyapp.photo_store`: ``UPLOAD_FOLDER/photos`` by default, or an
S3-compatible bucket).

This module knows nothing of visits or halls: the calling view checks who may see a photo, stores the
key on its own model, and serves it with :func:`send_photo`.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import logging
import re
import secrets
import struct
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import imagehash
import sqlalchemy as sa
from flask import Flask, Response, current_app, request, send_file
from flask_babel import gettext as _
from PIL import ExifTags, Image, ImageCms, ImageFile, UnidentifiedImageError
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp import clock
from surveyapp.errors import NotFound, Unavailable, ValidationError
from surveyapp.photo_store import Store, StoreUnavailable, make_store

log = logging.getLogger("surveyapp")

#: Longest side of a stored photo and of its thumbnail, in pixels.
MAX_SIDE = 2048
THUMBNAIL_SIDE = 480
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
#: Pillow's names of the formats accepted (HEIC is "HEIF"; MPO is a phone JPEG with extra frames).
FORMATS = ("JPEG", "PNG", "HEIF")
_KEY = re.compile(r"^[0-9a-f]{32}$")
#: A perceptual hash is cut into this many slices for an index: hashes differing in fewer bits than there are
#: slices share at least one slice exactly (pigeonhole), so near-duplicates are found by exact lookups.
PHASH_BANDS = 4
_BAND_BITS = 16
_heif_registered = threading.Event()
_strict_lock = threading.Lock()


@dataclass(frozen=True)
class ProcessedPhoto:
    """A cleaned photo in memory, ready to store."""

    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int
    #: When the photo was taken (EXIF); in the company's time zone when the camera gave no offset.
    taken_at: dt.datetime | None
    #: Whether ``taken_at`` carries the camera's own UTC offset (``False``: the company zone was assumed).
    taken_at_offset_known: bool
    #: Pillow's name of the uploaded format: ``JPEG``, ``PNG`` or ``HEIF``.
    source_format: str
    source_bytes: int
    #: SHA-256 of the upload as received (a repeated upload of the same file has the same one).
    source_sha256: str
    #: Perceptual hash of the cleaned pixels (16 hex digits); near-identical pictures differ in few bits.
    phash: str = ""
    #: ``(latitude, longitude)`` in degrees from the EXIF GPS data, or ``None``: never to be stored.
    position: tuple[float, float] | None = None

    @property
    def sha256(self) -> str:
        """SHA-256 of the stored JPEG."""
        return hashlib.sha256(self.jpeg).hexdigest()


@dataclass(frozen=True)
class StoredPhoto:
    """A photo written to the photo store; ``key`` is what a model stores."""

    key: str
    sha256: str
    width: int
    height: int
    #: Size of the stored JPEG in bytes.
    size: int
    taken_at: dt.datetime | None
    taken_at_offset_known: bool
    source_format: str
    source_bytes: int
    source_sha256: str
    phash: str = ""
    position: tuple[float, float] | None = None

    def columns(self) -> dict[str, object]:
        """What a photo model (visit evidence, rectification or appeal photo) stores of it."""
        return {"key": self.key, "sha256": self.sha256, "size": self.size, "width": self.width,
                "height": self.height, "taken_at": self.taken_at}


#: Where :class:`PhotoColumns` sit among a photo model's columns (SQLAlchemy ``sort_order``; the owner's own are 0).
FILE_COLUMNS = 1
UPLOAD_COLUMNS = 3


class PhotoColumns:
    """The columns every photo model (visit evidence, rectification or appeal photo) keeps of a stored photo:
    :meth:`Stored.columns` fills the first six, the upload's time and uploader the rest. A mixin of the
    capability's model, which adds its own id, owner and relationships.

    ``sort_order`` keeps each table's columns where its migration created them: the owner's first columns
    (0), the stored file's (:data:`FILE_COLUMNS`), the owner's further ones, then the upload's
    (:data:`UPLOAD_COLUMNS`)."""

    #: The key this module stored the cleaned JPEG under (random; never the client's file name); ``photo_key``
    #: marks it for :func:`referenced_keys`.
    key: Mapped[str] = mapped_column(sa.String(32), unique=True, info={"photo_key": True}, sort_order=FILE_COLUMNS)
    #: SHA-256 (hex) of the stored JPEG, its size in bytes and pixels.
    sha256: Mapped[str] = mapped_column(sa.String(64), sort_order=FILE_COLUMNS)
    size: Mapped[int] = mapped_column(sort_order=FILE_COLUMNS)
    width: Mapped[int] = mapped_column(sort_order=FILE_COLUMNS)
    height: Mapped[int] = mapped_column(sort_order=FILE_COLUMNS)
    #: Capture time from the photo's EXIF data, when it had one.
    taken_at: Mapped[dt.datetime | None] = mapped_column(sort_order=FILE_COLUMNS)
    uploaded_at: Mapped[dt.datetime] = mapped_column(sort_order=UPLOAD_COLUMNS)
    #: Named by table only: this floor module knows no accounts model.
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), sort_order=UPLOAD_COLUMNS)


def phash_bands(phash: str) -> list[int]:
    """The :data:`PHASH_BANDS` slices (16 bits each) of a 16-hex-digit perceptual hash."""
    value = int(phash, 16)
    return [(value >> (_BAND_BITS * n)) & ((1 << _BAND_BITS) - 1) for n in range(PHASH_BANDS)]


def _register_heif() -> None:
    """Teach Pillow to open HEIC, once per process."""
    if not _heif_registered.is_set():
        from pillow_heif import register_heif_opener

        register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
        _heif_registered.set()


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Make Pillow refuse truncated data while an upload is decoded. WeasyPrint, imported for PDFs, tells
    Pillow to accept truncated images for the whole process; uploads must not be, so this turns it off
    for the duration (and photos are decoded one at a time in a process)."""
    with _strict_lock:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _read_capped(upload: bytes | IO[bytes], max_bytes: int) -> bytes:
    if isinstance(upload, bytes):
        data = upload
    else:
        data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(_("The photo is larger than %(limit)d MB; upload a smaller one.",
                                limit=max_bytes // (1024 * 1024)))
    if not data:
        raise ValidationError(_("The file is empty."))
    return data


def _too_many_pixels(max_pixels: int) -> ValidationError:
    return ValidationError(_("The photo has too many pixels; upload one of at most %(limit)d megapixels.",
                             limit=max_pixels // 1_000_000))


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Identify the format from the content and refuse what is not one plain photo, before decoding."""
    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. corrupt EXIF: dealt with in _exif_facts
            # Pillow warns above its own limit (89 MP) and refuses above twice that: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(_("This file is not a JPEG, PNG or HEIC photo.")) from exc
    if image.width * image.height > max_pixels:
        raise _too_many_pixels(max_pixels)
    if getattr(image, "is_animated", False) and image.format != "MPO":
        raise ValidationError(_("Animated or multi-page images are not accepted; upload a single photo."))
    return image


def _exif_facts(image: Image.Image) -> tuple[int, dt.datetime | None, bool]:
    """EXIF orientation and capture time (with whether the camera recorded its UTC offset). Malformed EXIF
    counts as none: the pixels may still be fine."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Pillow only warns about some corrupt EXIF
            exif = image.getexif()
            orientation = exif.get(ExifTags.Base.Orientation, 1)
            details = exif.get_ifd(ExifTags.IFD.Exif)
    except (OSError, SyntaxError, ValueError, KeyError, struct.error, Warning):
        return 1, None, False
    return orientation, *_taken_at(details.get(ExifTags.Base.DateTimeOriginal), details.get(ExifTags.Base.OffsetTimeOriginal))


def _position(image: Image.Image) -> tuple[float, float] | None:
    """Latitude and longitude from the EXIF GPS data, or ``None`` when absent or malformed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
            lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
            lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    except (OSError, SyntaxError, ValueError, KeyError, TypeError, ZeroDivisionError, struct.error, Warning):
        return None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _degrees(parts: object, ref: object, negative: str) -> float | None:
    """Degrees, minutes, seconds (EXIF rationals) as signed decimal degrees."""
    if not isinstance(parts, tuple) or len(parts) != 3:
        return None
    value = float(parts[0]) + float(parts[1]) / 60 + float(parts[2]) / 3600
    return -value if str(ref).strip().upper() == negative else value


def _taken_at(raw: object, offset: object) -> tuple[dt.datetime | None, bool]:
    """``DateTimeOriginal`` ("2026:11:05 10:21:33") with ``OffsetTimeOriginal`` ("+08:00") if there is one;
    without it the company's time zone is assumed."""
    if not isinstance(raw, str):
        return None, False
    try:
        taken = dt.datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, False
    match = re.fullmatch(r"([+-])(\d\d):(\d\d)", offset.strip("\x00 ")) if isinstance(offset, str) else None
    if match:
        sign = 1 if match[1] == "+" else -1
        minutes = sign * (int(match[2]) * 60 + int(match[3]))
        if abs(minutes) < 24 * 60:
            return taken.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes))), True
    return taken.replace(tzinfo=clock.company_tz()), False


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


#: How to turn the stored pixels upright for each EXIF orientation (1 is upright already).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _reduction(image: Image.Image) -> int:
    """The integer factor that brings the longest side to between 90 % and 100 % of MAX_SIDE or above
    (a 4032 px photo becomes 2016 px): integer reductions are fast and need no filter afterwards."""
    return int(max(image.size) // (MAX_SIDE * 0.9))


def _upright_srgb(image: Image.Image, orientation: int) -> Image.Image:
    """Decode at a reduced scale where the format allows, shrink to at most MAX_SIDE, flatten transparency
    onto white, turn upright (EXIF orientation) and convert to sRGB (phones often record Display P3)."""
    icc = image.info.get("icc_profile")
    if image.format in ("JPEG", "MPO") and _reduction(image) >= 2:
        # libjpeg decodes straight at 1/2, 1/4 or 1/8 scale: a quarter of the time and memory or less.
        factor = _reduction(image)
        image.draft("RGB", (image.width // factor, image.height // factor))
    image.load()
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    if _reduction(image) >= 2:
        image = image.reduce(_reduction(image))
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    if orientation in _UPRIGHT:
        image = image.transpose(_UPRIGHT[orientation])
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if "sRGB" not in ImageCms.getProfileDescription(source):
                image = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the pixels as they are
    image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
    # Pillow writes some of the source's info (a JPEG comment, for one) into the new file: drop it all.
    image.info = {}
    return image


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def process_photo(upload: bytes | IO[bytes], *, max_bytes: int, max_pixels: int) -> ProcessedPhoto:
    """Check an upload and return the cleaned JPEG, its thumbnail and its metadata (no file is written).

    :raise ValidationError: with a message the uploader can act on, for anything but one plain photo
        within the limits.
    """
    data = _read_capped(upload, max_bytes)
    with _strict_decoding():
        image = _open(data, max_pixels)
        source_format = "JPEG" if image.format == "MPO" else str(image.format)
        try:
            orientation, taken_at, offset_known = _exif_facts(image)
            position = _position(image)
            clean = _upright_srgb(image, orientation)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            # Truncated data, corrupt chunks, lying headers: Pillow raises one of these while decoding.
            raise ValidationError(_("The photo could not be read: the file is damaged or incomplete.")) from exc
    thumbnail = clean.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        jpeg=_jpeg(clean, JPEG_QUALITY), thumbnail=_jpeg(thumbnail, THUMBNAIL_QUALITY),
        width=clean.width, height=clean.height, taken_at=taken_at, taken_at_offset_known=offset_known,
        source_format=source_format, source_bytes=len(data), source_sha256=hashlib.sha256(data).hexdigest(),
        phash=str(imagehash.phash(thumbnail)), position=position,
    )


# --- storage ---------------------------------------------------------------------------------------


def store(app: Flask | None = None) -> Store:
    """This app's photo store (``PHOTO_STORAGE_URL``, else the upload folder), made once per process."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    made = app.extensions.get("surveyapp.photo_store")
    if made is None:
        made = app.extensions["surveyapp.photo_store"] = make_store(app.config.get("PHOTO_STORAGE_URL"), folder(app))
    return made


def folder(app: Flask) -> Path:
    """The upload folder's photo directory (the store when no ``PHOTO_STORAGE_URL`` is set)."""
    return Path(app.config["UPLOAD_FOLDER"]) / "photos"


def _name(key: str, thumbnail: bool = False) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise NotFound(_("This photo does not exist."))
    return f"{key[:2]}/{key[2:4]}/{key}.thumb.jpg" if thumbnail else f"{key[:2]}/{key[2:4]}/{key}.jpg"


def _key_of(name: str) -> str | None:
    """The key a stored file belongs to (its photo or its thumbnail), ``None`` for anything else."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".jpg").removesuffix(".thumb")
    return stem if _KEY.match(stem) and name == _name(stem, name.endswith(".thumb.jpg")) else None


def _unavailable(exc: StoreUnavailable) -> Unavailable:
    log.warning("photo store unavailable: %s", exc)
    return Unavailable(_("Photos cannot be stored or read at the moment. Nothing was saved with this photo; "
                         "try again in a minute (the checklist page sends it again by itself)."))


@contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except StoreUnavailable as exc:
        raise _unavailable(exc) from exc


def save_photo(upload: bytes | IO[bytes]) -> StoredPhoto:
    """Check, clean and store an upload (limits from the settings) under a new random key.

    :raise ValidationError: when the upload is not one plain photo within the limits.
    :raise Unavailable: when the photo store cannot be reached (nothing is stored; try again later).
    """
    config = current_app.config
    photo = process_photo(upload, max_bytes=config["PHOTO_MAX_BYTES"], max_pixels=config["PHOTO_MAX_PIXELS"])
    key = secrets.token_hex(16)
    try:
        with _reachable():
            store().put(_name(key, thumbnail=True), photo.thumbnail)
            store().put(_name(key), photo.jpeg)
    except BaseException:
        with suppress(Unavailable):
            delete_photo(key)
        raise
    return StoredPhoto(
        key=key, sha256=photo.sha256, width=photo.width, height=photo.height, size=len(photo.jpeg),
        taken_at=photo.taken_at, taken_at_offset_known=photo.taken_at_offset_known,
        source_format=photo.source_format, source_bytes=photo.source_bytes, source_sha256=photo.source_sha256,
        phash=photo.phash, position=photo.position,
    )


def open_photo(key: str, thumbnail: bool = False) -> IO[bytes]:
    """The stored JPEG (or its thumbnail), open for reading; the caller closes it.

    :raise NotFound: for a malformed key or a photo that is not there.
    :raise Unavailable: when the photo store cannot be reached.
    """
    name = _name(key, thumbnail)
    try:
        with _reachable():
            return store().open(name)
    except FileNotFoundError as exc:
        raise NotFound(_("This photo does not exist.")) from exc


def delete_photo(key: str) -> bool:
    """Remove a photo and its thumbnail; ``False`` if there was nothing to remove."""
    with _reachable():
        removed = [store().delete(_name(key, thumbnail)) for thumbnail in (False, True)]
    return any(removed)


@contextmanager
def deleted_on_error() -> Iterator[list[str]]:
    """Delete the photos whose keys the block appends to the yielded list if the block raises (for
    example when the database commit that records them fails), so no file outlives a failed save.
    (With the store unreachable a file may stay behind: ``flask photos sweep`` removes it later.)"""
    keys: list[str] = []
    try:
        yield keys
    except BaseException:
        for key in keys:
            with suppress(Unavailable):
                delete_photo(key)
        raise


def data_uri(key: str) -> str:
    """The thumbnail as a ``data:`` URI, the way photos go into PDFs (the PDF fetcher reads nothing else)."""
    with open_photo(key, thumbnail=True) as f:
        return "data:image/jpeg;base64," + base64.b64encode(f.read()).decode("ascii")


def safe_download_name(name: str | None, key: str) -> str:
    """A file name safe in a Content-Disposition header: no path, no control or quoting characters, ``.jpg``."""
    stem = re.sub(r"[\x00-\x1f\x7f\"'\\/:*?<>|;%]+", "_", Path(name or "").stem).strip(" ._")[:80]
    return f"{stem or 'photo-' + key[:8]}.jpg"


def send_photo(key: str, *, download_name: str | None = None, thumbnail: bool = False) -> Response:
    """Serve a stored photo to a user the calling view has already checked (from the folder or through
    the app from the bucket: a bucket's objects are never public).

    Always an attachment: ``<img src>`` still shows it, while opening the URL downloads the file instead
    of rendering anything in the app's origin. ``nosniff`` and a sandboxing CSP make sure a browser
    treats the bytes as nothing but a JPEG. Photos never change under a key, so the browser may keep them.

    :raise NotFound: for a malformed key or a photo that is not there.
    """
    etag = f"{key}-t" if thumbnail else key
    if request.if_none_match.contains(etag) and _KEY.match(key):
        # The browser has it: no need to fetch it from the store (the caller has checked access).
        response = Response(status=304)
        response.set_etag(etag)
    else:
        response = send_file(
            open_photo(key, thumbnail), mimetype="image/jpeg", as_attachment=True,
            download_name=f"thumbnail-{key[:8]}.jpg" if thumbnail else safe_download_name(download_name, key),
            etag=etag, conditional=True,
        )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    response.headers["Cache-Control"] = "private, max-age=604800, immutable"
    return response


def stored_keys() -> Iterator[str]:
    """Every photo key in the store (for a clean-up of photos no record points to)."""
    with _reachable():
        for found in store().files():
            if not found.name.endswith(".thumb.jpg") and _key_of(found.name):
                yield _key_of(found.name)  # type: ignore[misc]


# --- keeping the store tidy and moving it -----------------------------------------------------------


#: ``flask photos sweep`` leaves files younger than this: an upload's row may not be committed yet.
SWEEP_MIN_AGE = dt.timedelta(days=1)


def referenced_keys(session: Any) -> set[str]:
    """Every photo key a row points to: the columns marked ``info={"photo_key": True}`` in any model."""
    from surveyapp.db import Model

    keys: set[str] = set()
    for table in Model.metadata.sorted_tables:
        for column in table.columns:
            if column.info.get("photo_key"):
                keys.update(session.scalars(sa.select(column)))
    return keys


def sweep(session: Any, now: dt.datetime, *, dry_run: bool = False) -> list[str]:
    """Remove stored files (photos and thumbnails) that no row references and that are older than
    :data:`SWEEP_MIN_AGE`; return their names (with ``dry_run``, only list them)."""
    with _reachable():
        files = list(store().files())
        referenced = referenced_keys(session)
        orphans = sorted(f.name for f in files
                         if _key_of(f.name) not in referenced and f.modified <= now - SWEEP_MIN_AGE)
        if not dry_run:
            for name in orphans:
                store().delete(name)
    return orphans


@dataclass
class Migration:
    copied: int = 0
    already: int = 0
    #: Names whose copy did not read back with the source's SHA-256.
    mismatched: list[str] = field(default_factory=list)


def migrate_folder(app: Flask, progress: Callable[..., None] | None = None) -> Migration:
    """Copy every photo file of the upload folder into the configured store, verifying each copy's SHA-256
    by reading it back. Files already there with the same SHA-256 are skipped, so an interrupted run can be
    started again; the folder is left as it was. ``progress("copy", done, total)`` hears of each file."""
    source = make_store(None, folder(app))
    target = store(app)
    if target.describe() == source.describe():
        raise ValueError("PHOTO_STORAGE_URL names no other store than the upload folder")
    result = Migration()
    files = sorted(source.files(), key=lambda f: f.name)
    for done, found in enumerate(files, start=1):
        if progress is not None:
            progress("copy", done, len(files))
        with source.open(found.name) as f:
            data = f.read()
        digest = hashlib.sha256(data).hexdigest()
        if _stored_sha256(target, found.name) == digest:
            result.already += 1
            continue
        target.put(found.name, data)
        if _stored_sha256(target, found.name) == digest:
            result.copied += 1
        else:
            result.mismatched.append(found.name)
    return result


def _stored_sha256(target: Store, name: str) -> str | None:
    try:
        with target.open(name) as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return None
