"""Cross-cutting protection: sessions for Flask-Login, security headers, error pages without stack traces."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from surveyapp.audit.services import current_ip
from surveyapp.auth import services as auth_services
from surveyapp.db import db
from surveyapp.errors import DomainError
from surveyapp.extensions import login_manager

log = logging.getLogger("surveyapp")

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
    """Whether the client is our own JavaScript or an API caller rather than a page load."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: Any = None, errors: list[str] | None = None) -> Any:
    message = str(message or ERROR_TEXT.get(status, ERROR_TEXT[400]))
    if wants_json():
        return jsonify(error=message, errors=errors or []), status
    return render_template("errors/error.html", status=status, message=message, errors=errors or []), status


def _load_user(token: str) -> Any:
    user = auth_services.load_session_user(db.session, token, **auth_services.session_limits(current_app.config))
    if db.session.dirty:
        # Only the session's last_seen_at (written at most once a minute): commit it before the view runs.
        db.session.commit()
    return user


def _unauthorized() -> Any:
    if wants_json():
        return jsonify(error=_("Your session has ended. Log in again; nothing you entered is lost.")), 401
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


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

    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side and revocable instead
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)

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
        db.session.rollback()
        return error_response(exc.status, exc.message, getattr(exc, "errors", None))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        return error_response(exc.code, None if exc.code in ERROR_TEXT else exc.description)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        return error_response(500)
