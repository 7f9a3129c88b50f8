"""Languages: Chinese by default, English second; the choice is kept in the session and on the account (the
switch itself is the accounts' page, ``auth.set_language``: it stores the choice on the account)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, session
from flask_babel import get_locale
from flask_login import current_user

from surveyapp.extensions import babel


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs speak the default language
        return languages[0]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return languages[0]


def is_chinese() -> bool:
    """Whether the UI speaks Chinese now (used to pick ``text`` over ``text_en`` in data)."""
    return str(get_locale()).startswith("zh")


def localized(zh: str | None, en: str | None) -> str:
    """The Chinese or English variant of a data label, falling back to the other one."""
    if is_chinese():
        return zh or en or ""
    return en or zh or ""


def init_app(app: Flask) -> None:
    # Every capability keeps its own catalog in ``<package>/translations``; Flask-Babel merges them.
    root = Path(app.root_path)
    dirs = ";".join(str(d) for d in [root / "translations", *sorted(root.glob("*/translations"))] if d.is_dir())
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", dirs)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["LANGUAGES"][0])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(localized=localized, is_chinese=is_chinese)
