"""Where photo files live: a local folder (the default) or an S3-compatible bucket; used only by
:mod:`surveyapp.photos`.

``PHOTO_STORAGE_URL`` chooses the store (README, "Photo storage"):

- unset: the folder ``UPLOAD_FOLDER/photos`` (one host, or a shared mount);
- ``s3://bucket/prefix?endpoint=https://minio:9000&region=cn-east-1&addressing=path&checksum=sha256``:
  any S3-compatible service (MinIO, Ceph RGW, Alibaba Cloud OSS, Tencent COS, AWS). Credentials come from
  boto3's standard sources (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``~/.aws/credentials``, a
  ``profile=`` parameter), never from the URL. Objects are private; nothing is ever served from the bucket.

Every file is written whole or not at all, with its SHA-256 checked by the store (``checksum=sha256``,
the default: ``x-amz-checksum-sha256``; ``checksum=md5`` for stores without it: ``Content-MD5``).
A store that cannot be reached raises :class:`StoreUnavailable`, which callers answer with a retryable 503.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import parse_qs, urlsplit


class StoreUnavailable(Exception):
    """The photo store cannot be reached or answered with a server error; trying again later may work."""


@dataclass(frozen=True)
class StoredFile:
    name: str
    modified: dt.datetime


class Store(Protocol):
    """A flat space of named files (``ab/cd/<key>.jpg``)."""

    def put(self, name: str, data: bytes) -> None: ...
    def open(self, name: str) -> IO[bytes]: ...  # FileNotFoundError when missing
    def delete(self, name: str) -> bool: ...
    def files(self) -> Iterator[StoredFile]: ...
    def describe(self) -> str: ...


class FolderStore:
    """Files under a local folder, written to a temporary name and renamed (a reader never sees half)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def open(self, name: str) -> IO[bytes]:
        return (self.root / name).open("rb")

    def delete(self, name: str) -> bool:
        path = self.root / name
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def files(self) -> Iterator[StoredFile]:
        for path in self.root.glob("*/*/*.jpg"):
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            yield StoredFile(path.relative_to(self.root).as_posix(), modified)

    def describe(self) -> str:
        return str(self.root)


class S3Store:
    """Objects in an S3-compatible bucket under a prefix, private, checksummed by the server on upload."""

    def __init__(self, url: str) -> None:
        import boto3
        from botocore.config import Config

        parts = urlsplit(url)
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if not parts.netloc:
            raise ValueError(f"PHOTO_STORAGE_URL {url!r} names no bucket (s3://bucket/prefix?endpoint=...)")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/") + "/" if parts.path.strip("/") else ""
        self.checksum = options.get("checksum", "sha256")
        if self.checksum not in ("sha256", "md5"):
            raise ValueError(f"PHOTO_STORAGE_URL: checksum must be sha256 or md5, not {self.checksum!r}")
        config = Config(
            region_name=options.get("region"),
            s3={"addressing_style": options.get("addressing", "path")},
            connect_timeout=float(options.get("connect_timeout", 3)),
            read_timeout=float(options.get("read_timeout", 20)),
            retries={"mode": "standard", "max_attempts": 2},
            # Only the checksums asked for here: several S3-compatible stores refuse boto3's default CRC32
            # trailers and chunked uploads.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = boto3.session.Session(profile_name=options.get("profile"))
        self.client = session.client("s3", endpoint_url=options.get("endpoint"), config=config)
        self.url = url

    def _call(self, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if error.get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise FileNotFoundError(kwargs.get("Key")) from exc
            if status >= 500 or error.get("Code") in ("SlowDown", "RequestTimeout"):
                raise StoreUnavailable(f"{method}: {error.get('Code')}") from exc
            raise
        except BotoCoreError as exc:  # connection refused or reset, timeouts, DNS: the store is not reachable
            raise StoreUnavailable(f"{method}: {exc.__class__.__name__}") from exc

    def put(self, name: str, data: bytes) -> None:
        if self.checksum == "sha256":
            check = {"ChecksumAlgorithm": "SHA256",
                     "ChecksumSHA256": base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")}
        else:
            check = {"ContentMD5": base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")}
        self._call("put_object", Key=self.prefix + name, Body=data, ContentType="image/jpeg", **check)

    def open(self, name: str) -> IO[bytes]:
        import io

        extra = {"ChecksumMode": "ENABLED"} if self.checksum == "sha256" else {}
        answer = self._call("get_object", Key=self.prefix + name, **extra)
        try:
            return io.BytesIO(answer["Body"].read())
        except Exception as exc:  # the connection broke while reading
            raise StoreUnavailable(f"get_object: {exc.__class__.__name__}") from exc

    def delete(self, name: str) -> bool:
        try:
            self._call("head_object", Key=self.prefix + name)
        except FileNotFoundError:
            return False
        self._call("delete_object", Key=self.prefix + name)
        return True

    def files(self) -> Iterator[StoredFile]:
        token: dict[str, str] = {}
        while True:
            page = self._call("list_objects_v2", Prefix=self.prefix, **token)
            for item in page.get("Contents", ()):
                yield StoredFile(item["Key"][len(self.prefix):], item["LastModified"])
            if not page.get("IsTruncated"):
                return
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def describe(self) -> str:
        endpoint = self.client.meta.endpoint_url
        return f"s3://{self.bucket}/{self.prefix} ({endpoint})"


def make_store(url: str | None, folder: Path) -> Store:
    """The store ``PHOTO_STORAGE_URL`` names; the folder when it is empty."""
    if not url:
        return FolderStore(folder)
    scheme = urlsplit(url).scheme
    if scheme == "s3":
        return S3Store(url)
    if scheme == "file":
        return FolderStore(Path(urlsplit(url).path))
    raise ValueError(f"PHOTO_STORAGE_URL must start with s3:// or file://, not {url!r}")
