"""Photo processing: time and peak memory to check, clean and shrink a 12-megapixel phone photo.

Run with ``make bench`` (``bench_photos``) or on its own with ``python -m tests.bench.photos``. Each format is
measured in a fresh child process, so its peak resident memory is the photo's and not the test data's.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image, ImageCms, ImageFilter

WIDTH, HEIGHT = 4032, 3024  # a 12-megapixel phone camera


def phone_photo() -> Image.Image:
    """A 12 MP picture that compresses like a photo: smooth shapes, texture and sensor noise."""
    base = Image.effect_noise((WIDTH // 16, HEIGHT // 16), 90).convert("RGB").resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
    base = base.filter(ImageFilter.GaussianBlur(6))
    tint = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).convert("RGB")
    grain = Image.effect_noise((WIDTH, HEIGHT), 12).convert("RGB")
    return Image.blend(Image.blend(base, tint, 0.4), grain, 0.15)


def phone_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif[ExifTags.Base.Orientation] = 6
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = "2026:11:05 10:21:33"
    details[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 13.0, 45.5)
    return exif


def uploads(folder: Path) -> dict[str, Path]:
    """A phone JPEG (quality 92, sRGB profile, EXIF with GPS) and the same picture as HEIC."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    photo = phone_photo()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    files = {}
    for fmt, options in (("JPEG", {"quality": 92}), ("HEIF", {"quality": 80})):
        buffer = io.BytesIO()
        photo.save(buffer, fmt, exif=phone_exif(), icc_profile=icc, **options)
        files[fmt] = folder / f"phone.{fmt.lower()}"
        files[fmt].write_bytes(buffer.getvalue())
    return files


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not inherit the parent's peak)."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def child(path: str) -> None:
    """In a fresh process: the peak memory added by processing once, then the best of three timings."""
    from surveyapp.photos import process_photo

    data = Path(path).read_bytes()
    before = peak_rss_mb()
    start = time.perf_counter()
    photo = process_photo(data, max_bytes=15 * 2**20, max_pixels=50_000_000)
    first = time.perf_counter() - start
    peak = peak_rss_mb() - before
    best = first
    for _ in range(2):
        start = time.perf_counter()
        process_photo(data, max_bytes=15 * 2**20, max_pixels=50_000_000)
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"first": first, "best": best, "peak_mb": peak, "size": [photo.width, photo.height],
                      "out_kb": len(photo.jpeg) / 1024, "in_mb": len(data) / 2**20}))


def measurements() -> Iterator[tuple[str, float, str, str]]:
    """``(figure, value, unit, note)`` rows for a 12 MP JPEG and HEIC."""
    with tempfile.TemporaryDirectory() as folder:
        for fmt, path in uploads(Path(folder)).items():
            result = subprocess.run([sys.executable, "-m", "tests.bench.photos", "--child", str(path)],
                                    capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
            f = json.loads(result.stdout.strip().splitlines()[-1])
            note = (f"{f['in_mb']:.1f} MB {fmt} in, {f['size'][0]}x{f['size'][1]} JPEG of {f['out_kb']:.0f} KB out; "
                    f"first {f['first']:.2f} s")
            yield f"12 MP {fmt} photo, processing time", f["best"], "s", note + ", best of 3"
            yield f"12 MP {fmt} photo, peak memory added", f["peak_mb"], "MB", "resident, fresh process"


def bench_photos() -> Iterator[Any]:
    """For ``python -m tests.bench``."""
    from tests.bench import Figure

    for name, value, unit, note in measurements():
        yield Figure(name, "-", value, unit, note)


def main() -> None:
    print(f"photos: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for name, value, unit, note in measurements():
        print(f"photos: {name}: {value:.2f} {unit} ({note})", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main()
