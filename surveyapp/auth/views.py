"""Logging in and out, changing one's own password and the UI language; Flask-Login's user loader."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from surveyapp.auth import services, throttle
from surveyapp.auth.access import login_required, public
from surveyapp.auth.forms import ChangePasswordForm, LoginForm
from surveyapp.auth.labels import role_label
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.security import wants_json
from surveyapp.urls import local_path

bp = Blueprint("auth", __name__)
bp.add_app_template_global(role_label, "role_label")


def load_user(token: str) -> Any:
    """Flask-Login's user loader: the user of a live server-side session (the cookie carries its token)."""
    user = services.load_session_user(db.session, token, **services.session_limits(current_app.config))
    if db.session.dirty:
        # Only the session's last_seen_at (written at most once a minute): commit it before the view runs.
        db.session.commit()
    return user


def unauthorized() -> Any:
    """An anonymous request to a page that needs a login: the login page, or a JSON 401 for our scripts."""
    if wants_json():
        return jsonify(error=_("Your session has ended. Log in again; nothing you entered is lost.")), 401
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def _limits() -> throttle.Limits:
    config = current_app.config
    return throttle.Limits(config["LOGIN_FAILURES_PER_MINUTE"], config["LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE"])


def _back_to(target: str | None) -> Any:
    """A redirect to ``target`` when it is a page of this site (:func:`surveyapp.urls.local_path`), else home."""
    return redirect(local_path(target) or url_for("home.index"))


def _fresh_session() -> None:
    """Start the cookie session afresh, keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    """The login form; on success the session starts afresh with a new id."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        username, ip = form.username.data or "", request.remote_addr or "-"
        try:
            attempt = services.book_login(db.session, username, ip, _limits())
            db.session.commit()  # parallel attempts see the booking before this password is checked
            user = services.authenticate(db.session, attempt, username, form.password.data or "", ip,
                                         request.user_agent.string)
        except services.LoginRefused as refused:
            db.session.rollback()
            flash(refused.message, "error")
            if refused.retry_after is None:
                return render_template("auth/login.html", form=form), 401
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(refused.retry_after)}
        _fresh_session()
        login_user(user)
        db.session.commit()
        return _back_to(form.next.data)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Any:
    """End this session on the server too: a replayed cookie is rejected."""
    if current_user.session_token:
        services.revoke_session(db.session, current_user.session_token)
        db.session.commit()
    logout_user()
    _fresh_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    """A user changes their own password; their other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(db.session, current_user, form.current.data or "", form.new.data or "")
        except ValidationError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("Your password has been changed. Your other sessions have been logged out."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


@bp.post("/lang")
@public
def set_language() -> Any:
    """Switch the UI language (a POST: it changes state); a logged-in user keeps the choice on the account."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated and current_user.locale != lang:
            current_user.locale = lang
            db.session.commit()
    return _back_to(request.form.get("next"))
