"""The simulated users: supervisors filling and submitting visits with photos (L1) and the market department
browsing, validating and exporting (L2). Every request is retried like the phone page does (same ids) on a
lost connection, a timeout or a 502/503/504, and 10 % of the answers are dropped on purpose (the client acts
as if it timed out and sends the request again)."""
from __future__ import annotations

import html
import io
import random
import re
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import requests
from PIL import Image

DROP = 0.10
RETRYABLE = {502, 503, 504}
GIVE_UP_AFTER = 90  # seconds of retrying one request


@dataclass
class Record:
    endpoint: str
    started: float
    seconds: float
    status: int  # 0: no answer (connection lost, timeout)


@dataclass
class Log:
    records: list[Record] = field(default_factory=list)
    submitted: dict[str, str] = field(default_factory=dict)  # submission id -> visit uid
    photos: set[str] = field(default_factory=set)  # client ids of photos uploaded
    #: When each submission and photo was acknowledged (``time.monotonic()``, "submission" or "photo").
    done: list[tuple[float, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)


def phone_jpegs(count: int) -> list[bytes]:
    """``count`` different 12-megapixel phone-like JPEGs of about 1.8 MB each: different pixels, so different
    SHA-256 and perceptual hashes, as real phones send (a photo sent again is what the evidence check flags, and
    its duplicate pairs grow with every reuse: three photos sent over and over made every submission with a photo
    check hundreds of pairs). Each is a coarse random pattern blended with one shared noise layer (for a real
    photo's size after JPEG): about 0.1 s of CPU each."""
    noise = Image.effect_noise((4032, 3024), 12).convert("RGB")
    out = []
    for seed in range(count):
        rng = random.Random(seed)
        coarse = Image.new("L", (8, 6))
        coarse.putdata([rng.randrange(256) for _ in range(48)])
        image = Image.blend(noise, coarse.resize((4032, 3024), Image.BILINEAR).convert("RGB"), 0.7)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=88)
        out.append(buffer.getvalue())
    return out


class Photos:
    """The photos the supervisors send, each in turn (a photo comes round again only after all the others)."""

    def __init__(self, photos: list[bytes]) -> None:
        self._photos, self._next, self._lock = photos, 0, threading.Lock()

    def take(self) -> bytes:
        with self._lock:
            photo = self._photos[self._next % len(self._photos)]
            self._next += 1
            return photo


class Client:
    def __init__(self, base: str, log: Log, stop: threading.Event) -> None:
        self.base, self.log, self.stop = base, log, stop
        self.http = requests.Session()
        self.csrf = ""

    def call(self, endpoint: str, method: str, path: str, ok: set[int], drop: bool = True,
             **kwargs: object) -> requests.Response:
        """Send until an answer in ``ok`` arrives (retrying lost answers and retryable statuses); with ``drop``,
        10 % of the good answers are ignored and the request sent again."""
        deadline = time.monotonic() + GIVE_UP_AFTER
        while True:
            started = time.monotonic()
            try:
                response = self.http.request(method, self.base + path, timeout=20, allow_redirects=False, **kwargs)
                status = response.status_code
            except requests.RequestException:
                response, status = None, 0
            self.log.add(Record(endpoint, started, time.monotonic() - started, status))
            if response is not None and status in ok and (not drop or random.random() >= DROP):
                return response
            if response is not None and status not in ok and status not in RETRYABLE:
                raise RuntimeError(f"{method} {path}: {status} {response.text[:200]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method} {path}: gave up after {GIVE_UP_AFTER} s (last {status})")
            time.sleep(0.2 if response is not None and status in ok else 1.0)

    def login(self, username: str, password: str) -> None:
        """Log in as a person does: a login whose answer was lost may have changed the session (and its CSRF
        token), so a refused form is filled in again from a fresh login page."""
        for _ in range(5):
            page = self.call("GET /login", "GET", "/login", {200}).text
            response = self.call("POST /login", "POST", "/login", {302, 400}, drop=False, data={
                "username": username, "password": password, "csrf_token": hidden(page, "csrf_token")})
            if response.status_code == 302:
                return
        raise RuntimeError(f"{username}: could not log in")

    def json_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "X-CSRFToken": self.csrf}


def hidden(page: str, name: str) -> str:
    """The value of the hidden input ``name`` of a page ("" if there is none)."""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return found[1] if found else ""
    return ""


def form(page: str, css_class: str) -> dict[str, str]:
    """The hidden and text inputs of the form with this class, as the browser sends them (checkboxes left out)."""
    found = re.search(rf'<form[^>]*class="{css_class}"[^>]*>(.*?)</form>', page, re.DOTALL)
    if found is None:
        raise RuntimeError(f"no form {css_class} on the page")
    fields = {}
    for tag in re.findall(r"<input[^>]*>", found[1]):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag:
            fields[name[1]] = html.unescape(value[1]) if value else ""
    return fields


def supervisor(base: str, log: Log, stop: threading.Event, username: str, password: str, jobs: list,
               photos: Photos, photo_share: float, schedule: list[float]) -> None:
    """L1: log in, then for each visit, not before its time in ``schedule`` (``time.monotonic()``; the offered
    load) or as soon as the previous one is done if it is late: start, open the phone page, maybe upload a
    photo, submit."""
    client = Client(base, log, stop)
    try:
        client.login(username, password)
        client.csrf = client.call("GET /my/csrf-token", "GET", "/my/csrf-token", {200}).json()["token"]
        for job, due in zip(jobs, schedule, strict=True):
            if stop.wait(max(0.0, due - time.monotonic())):
                return
            client.call("POST /my/visits/<uid>/start", "POST", f"/my/visits/{job.uid}/start", {302, 409},
                        headers={"X-CSRFToken": client.csrf})
            client.call("GET /my/visits/<uid>", "GET", f"/my/visits/{job.uid}", {200})
            if random.random() < photo_share:
                client_id = str(uuid.uuid4())
                client.call("POST /my/visits/<uid>/photos", "POST", f"/my/visits/{job.uid}/photos", {200, 201},
                            headers=client.json_headers(), data={"item": "", "client_id": client_id},
                            files={"file": ("IMG_0001.JPG", photos.take(), "image/jpeg")})
                with log.lock:
                    log.photos.add(client_id)
                    log.done.append((time.monotonic(), "photo"))
            submission = str(uuid.uuid4())
            client.call("POST /my/visits/<uid>/submit", "POST", f"/my/visits/{job.uid}/submit", {200},
                        headers=client.json_headers(), json={"submission_id": submission, "fields": job.fields})
            with log.lock:
                log.submitted[submission] = job.uid
                log.done.append((time.monotonic(), "submission"))
    except RuntimeError as exc:
        with log.lock:
            log.failures.append(f"{username}: {exc}")


def market(base: str, log: Log, stop: threading.Event, username: str, password: str) -> None:
    """L2: log in, then browse the results, the validation queue and a visit, approve it, export."""
    client = Client(base, log, stop)
    try:
        client.login(username, password)
        while not stop.is_set():
            client.call("GET /assessment/results", "GET", "/assessment/results", {200})
            queue = client.call("GET /visits/queue", "GET", "/visits/queue", {200}).text
            found = re.search(r'href="/visits/([0-9a-f-]{36})"', queue)
            if found:
                page = client.call("GET /visits/<uid>", "GET", f"/visits/{found[1]}", {200}).text
                if hidden(page, "version"):
                    client.call("POST /visits/<uid>/decide", "POST", f"/visits/{found[1]}/decide", {302, 409},
                                data={"action": "approve", "version": hidden(page, "version"),
                                      "csrf_token": hidden(page, "csrf_token")})
            client.call("GET /assessment/results.xlsx", "GET", "/assessment/results.xlsx", {200})
            time.sleep(0.5)
    except RuntimeError as exc:
        with log.lock:
            log.failures.append(f"{username}: {exc}")


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def summary(records: list[Record], seconds: float) -> list[tuple]:
    """Per endpoint: requests, requests/s, p50/p95/p99 (ms) of answered requests, 5xx, no answer."""
    by_endpoint: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_endpoint[record.endpoint].append(record)
    rows = []
    for endpoint, items in sorted(by_endpoint.items()):
        times = sorted(r.seconds * 1000 for r in items if r.status)
        rows.append((endpoint, len(items), len(items) / seconds, *(percentile(times, q) for q in (0.50, 0.95, 0.99)),
                     sum(1 for r in items if r.status >= 500), sum(1 for r in items if not r.status)))
    return rows
