"""Offline means offline: the service worker that keeps the supervisor's pages on the phone.

Served from the site's root (``/sw.js``) so its scope covers ``/my/visits``; its cache name carries the app
version and a digest of the static files, so a new release replaces the old copies. What it keeps, and how
answers and photos wait on the phone, is described in ``static/js/sw.js`` and ``static/js/visit.js``.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, render_template, url_for

import surveyapp
from surveyapp.auth.access import public

bp = Blueprint("offline", __name__)

#: Static files the checklist pages need, kept when the service worker is installed.
ASSETS = ("css/app.css", "js/app.js", "js/visit.js", "js/offline.js", "favicon.svg")


@functools.cache
def _digest(static_folder: str) -> str:
    digest = hashlib.sha256(surveyapp.__version__.encode())
    for name in ASSETS:
        digest.update(Path(static_folder, name).read_bytes())
    return digest.hexdigest()[:12]


def cache_name() -> str:
    """``surveyapp-<version>-<digest of the assets>``: a new release or a changed asset gets a fresh cache."""
    return f"surveyapp-{surveyapp.__version__}-{_digest(str(current_app.static_folder))}"


@bp.get("/sw.js")
@public
def service_worker() -> Any:
    """The service worker script (public: the browser fetches it by itself, and it holds nothing private)."""
    body = render_template("visits/sw.js", cache=cache_name(),
                           assets=[url_for("static", filename=name) for name in ASSETS],
                           home=url_for("my_visits.home"), prefix=url_for("my_visits.home").rsplit("/", 1)[0] + "/")
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response
