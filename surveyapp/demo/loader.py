"""Loading the demo data: one loader function per capability, run in order, each idempotent."""
from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

import surveyapp
from surveyapp import bulk, clock
from surveyapp.auth.models import User
from surveyapp.demo import data
from surveyapp.users import services as users_services


@dataclass(frozen=True)
class Loader:
    name: str
    load: Callable[[Session], str]
    order: int


_loaders: dict[str, Loader] = {}


def register(name: str, order: int = 100) -> Callable[[Callable[[Session], str]], Callable[[Session], str]]:
    """Decorator: ``load(session) -> summary`` adds a capability's demo data (run by ``flask demo load``)."""

    def decorator(load: Callable[[Session], str]) -> Callable[[Session], str]:
        _loaders[name] = Loader(name, load, order)
        return load

    return decorator


def discover() -> list[Loader]:
    """Every registered loader in order, after importing each capability's ``demo`` module."""
    for module in pkgutil.iter_modules(surveyapp.__path__):
        if module.ispkg and importlib.util.find_spec(f"surveyapp.{module.name}.demo") is not None:
            importlib.import_module(f"surveyapp.{module.name}.demo")
    return sorted(_loaders.values(), key=lambda loader: (loader.order, loader.name))


def _apply(session: Session, kind: str, rows: list[dict[str, str]]) -> bulk.Report:
    """Feed rows through the same code as a file import (so loading twice changes nothing)."""
    # Imports register the file formats; the org and users packages register theirs on import.
    from surveyapp.org import imports as _org_imports  # noqa: F401
    from surveyapp.users import imports as _users_imports  # noqa: F401

    report = bulk.Report(kind=kind, rows=len(rows))
    bulk.KINDS[kind].apply(session, None, [bulk.Row(n, values) for n, values in enumerate(rows, start=2)], report)
    return report


def _summary(report: bulk.Report) -> str:
    return f"{report.kind} {report.rows} (+{report.created} new, {report.updated} updated)"


@register("org", order=10)
def load_org(session: Session) -> str:
    """The unit tree, 66 halls and their staff, opened a year and more ago (before the demo's visits and its
    published notice: a hall added after a month closed is not that month's)."""
    config = current_app.config
    before = config.get("FROZEN_NOW")
    config["FROZEN_NOW"] = clock.now() - dt.timedelta(days=400)
    try:
        reports = [
            _apply(session, "units", [{"code": c, "name": n, "parent": p} for c, n, p in data.units()]),
            _apply(session, "halls", [{"code": h.code, "name": h.name, "type": h.type, "unit": h.unit,
                                       "address": h.address} for h in data.halls()]),
            _apply(session, "staff", [{"job_number": j, "name": n, "hall": h} for j, n, h in data.staff()]),
        ]
    finally:
        config["FROZEN_NOW"] = before
    return ", ".join(_summary(r) for r in reports)


@register("users", order=20)
def load_users(session: Session) -> str:
    """Accounts for every role, with the demo password (set once: a password changed since is kept)."""
    people = data.users()
    report = _apply(session, "users", [
        {"username": u.username, "display_name": u.display_name, "role": u.role, "halls": ";".join(u.halls),
         "units": ";".join(u.units), "external": "1" if u.external else "0"} for u in people])
    names = [u.username for u in people]
    for user in session.scalars(sa.select(User).where(User.username.in_(names), User.password_hash.is_(None))):
        users_services.reset_password(session, None, user, data.DEMO_PASSWORD)
    return _summary(report)
