"""Cross-cutting protection: security headers, the client address of each request, error pages without stack traces.

Infrastructure: knows no capability (Flask-Login's user loader is the accounts' own, :func:`surveyapp.auth.init_app`).
"""
from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app, jsonify, make_response, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from surveyapp.db import database_unavailable, db
from surveyapp.errors import DomainError

log = logging.getLogger("surveyapp")

#: The client address of the request being served (the audit trail records it), set for each request.
current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

ERROR_TEXT = {
    400: _l("The request could not be understood."),
    401: _l("Please log in."),
    403: _l("You do not have permission to see this page."),
    404: _l("This page does not exist, or you may not see it."),
    405: _l("This action is not allowed here."),
    409: _l("Someone else changed this first. Reload and try again."),
    413: _l("The upload is too large."),
    429: _l("Too many requests. Wait a minute and try again."),
    500: _l("Something went wrong on our side. The error has been logged."),
}


def wants_json() -> bool:
    """Whether the client is our own JavaScript or an API caller rather than a page load (it asks for JSON
    first, or it sent a JSON body)."""
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: Any = None, errors: list[str] | None = None) -> Any:
    try:
        message = str(message or ERROR_TEXT.get(status, ERROR_TEXT[400]))
        if wants_json():
            return jsonify(error=message, errors=errors or []), status
        return render_template("errors/error.html", status=status, message=message, errors=errors or []), status
    except Exception as exc:
        # The page's language and menu come from the user's account: with the database gone, say so instead.
        if database_unavailable(exc):
            return unavailable_response()
        raise


#: Seconds a client is asked to wait before trying again while the database is unreachable (the phone's
#: checklist page retries on its own every 15 seconds).
RETRY_AFTER = 15

UNAVAILABLE_TEXT = (
    _l("Service briefly unavailable"),
    _l("The database cannot be reached at the moment. Nothing you saved is lost. Try again in a minute; "
       "on the checklist page your answers stay on the phone and are sent by themselves."),
    _l("Try again"),
)


def unavailable_response() -> Any:
    """503 while the database cannot be reached, built without it: no user, no menu, no account language.
    The page speaks every UI language; JSON callers get the language kept in their session cookie."""
    languages = current_app.config["LANGUAGES"]
    texts = []
    for lang in languages:
        with force_locale(lang):
            texts.append((lang.replace("_", "-"), *(str(t) for t in UNAVAILABLE_TEXT)))
    if wants_json():
        chosen = session.get("lang")
        lang = chosen if chosen in languages else languages[0]
        response = jsonify(error=" ".join(texts[languages.index(lang)][1:3]), errors=[])
    else:
        page = current_app.jinja_env.get_template("errors/unavailable.html")
        response = make_response(page.render(texts=texts))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _add_headers(response: Any) -> Any:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    hsts = current_app.config.get("HSTS_SECONDS")
    if current_app.config.get("SECURE_COOKIES") and hsts:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(hsts)}")
    return response


def init_app(app: Flask) -> None:
    if app.config.get("TRUSTED_PROXIES"):
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    @app.before_request
    def remember_ip() -> None:
        current_ip.set(request.remote_addr)
        session.permanent = True

    app.after_request(_add_headers)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return error_response(400, _("This form has expired or was sent from another page. Go back, reload it and send it again."))

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        db.rollback_quietly()
        response = make_response(error_response(exc.status, exc.message, getattr(exc, "errors", None)))
        if exc.status == 503:
            response.headers["Retry-After"] = str(RETRY_AFTER)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        return error_response(exc.code, None if exc.code in ERROR_TEXT else exc.description)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        db.rollback_quietly()
        if database_unavailable(exc):
            # One line, not a traceback per request while the database restarts.
            log.warning("database unavailable on %s %s: %s", request.method, request.path, exc.__class__.__name__)
            return unavailable_response()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        return error_response(500)
