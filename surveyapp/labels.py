"""Translated display labels for the domain's enumerations, available to templates."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from surveyapp import clock
from surveyapp.auth.models import Role
from surveyapp.org.models import HallType

ROLE = {
    Role.ADMIN: _l("Administrator"),
    Role.MARKET: _l("Market department"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.HALL_MANAGER: _l("Hall manager"),
}

HALL_TYPE = {
    HallType.SELF_RUN: _l("Self-run"),
    HallType.COOPERATIVE: _l("Cooperative"),
}


def role_label(role: Role | str) -> str:
    return str(ROLE[Role(role)])


def hall_type_label(value: HallType | str) -> str:
    return str(HALL_TYPE[HallType(value)])


def localtime(value: dt.datetime | None, seconds: bool = False) -> str:
    """A UTC timestamp as the company's local time, e.g. ``2026-11-05 10:20``."""
    if value is None:
        return ""
    return clock.local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def init_app(app: Flask) -> None:
    globals_: dict[str, Any] = {"role_label": role_label, "hall_type_label": hall_type_label}
    app.jinja_env.globals.update(globals_)
    app.jinja_env.filters["localtime"] = localtime
