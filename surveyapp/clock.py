"""The one source of "now": real UTC time, or ``FROZEN_NOW`` for demonstrations and tests."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def now() -> dt.datetime:
    """The current time in UTC (timezone-aware)."""
    frozen = current_app.config.get("FROZEN_NOW") if has_app_context() else None
    if frozen:
        value = frozen if isinstance(frozen, dt.datetime) else dt.datetime.fromisoformat(frozen)
        return value.astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC)


def company_tz() -> ZoneInfo:
    """The company's time zone (setting ``TIMEZONE``)."""
    name = current_app.config.get("TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def local(value: dt.datetime) -> dt.datetime:
    """A UTC timestamp in the company's time zone."""
    return value.astimezone(company_tz())


def today() -> dt.date:
    """Today's date in the company's time zone."""
    return local(now()).date()
