"""A local S3-speaking server (moto's server mode) in a process of its own, for the photo store's tests and
the load suite; nothing here talks to a real cloud."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

BUCKET = "surveyapp-test"
#: Credentials moto accepts; the app reads them the standard way (environment variables).
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def moto_server(port: int | None = None) -> Iterator[str]:
    """Run ``moto_server`` on a free port until the block ends; yields its endpoint URL."""
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def make_bucket(endpoint: str, bucket: str = BUCKET) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", ())}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    client.close()


def storage_url(endpoint: str, bucket: str = BUCKET) -> str:
    """A ``PHOTO_STORAGE_URL`` under a fresh prefix: each test sees an empty store."""
    return f"s3://{bucket}/{uuid.uuid4().hex}?endpoint={endpoint}&region=us-east-1"
