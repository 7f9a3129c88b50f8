"""Translated display labels for the domain's enumerations, available to templates."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from surveyapp import clock
from surveyapp.auth.models import Role
from surveyapp.checklists.definition import EvidenceRule, ItemKind, VisitType
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


VISIT_TYPE = {
    VisitType.ANNOUNCED: _l("Announced inspection"),
    VisitType.UNANNOUNCED: _l("Unannounced visit"),
    VisitType.SUPERVISOR: _l("Social supervisor visit"),
}

ITEM_KIND = {
    ItemKind.CHECK: _l("Pass/fail"),
    ItemKind.COUNT: _l("Count"),
    ItemKind.SCALE: _l("Scale"),
    ItemKind.TEXT: _l("Text"),
    ItemKind.STAFF: _l("Job numbers"),
}

EVIDENCE = {
    EvidenceRule.NONE: _l("No photo"),
    EvidenceRule.OPTIONAL: _l("Photo optional"),
    EvidenceRule.ON_FAIL: _l("Photo if failed"),
    EvidenceRule.REQUIRED: _l("Photo required"),
}


def role_label(role: Role | str) -> str:
    return str(ROLE[Role(role)])


def hall_type_label(value: HallType | str) -> str:
    return str(HALL_TYPE[HallType(value)])


def visit_type_label(value: VisitType | str) -> str:
    return str(VISIT_TYPE[VisitType(value)])


def item_kind_label(value: ItemKind | str) -> str:
    return str(ITEM_KIND[ItemKind(value)])


def evidence_label(value: EvidenceRule | str) -> str:
    return str(EVIDENCE[EvidenceRule(value)])
def localtime(value: dt.datetime | None, seconds: bool = False) -> str:
    """A UTC timestamp as the company's local time, e.g. ``2026-11-05 10:20``."""
    if value is None:
        return ""
    return clock.local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def init_app(app: Flask) -> None:
    globals_: dict[str, Any] = {"role_label": role_label, "hall_type_label": hall_type_label}
    globals_.update(visit_type_label=visit_type_label, item_kind_label=item_kind_label, evidence_label=evidence_label)
    app.jinja_env.globals.update(globals_)
    app.jinja_env.filters["localtime"] = localtime
