"""Accounts: who a user is (login, server-side sessions, throttling), what their role lets them open, their own
password and language. Administering other people's accounts is :mod:`surveyapp.users`."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Flask-Login finds each request's user through the server-side session its cookie names."""
    from surveyapp.auth.views import load_user, unauthorized
    from surveyapp.extensions import login_manager

    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side and revocable instead
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
