"""Assessment tests run at a fixed "now" late in November 2026, so visits of September to November can exist."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

#: The company's time zone (Asia/Shanghai, UTC+8).
CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=CST)


def at(period: str, day: int = 10, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment of ``period`` (``YYYY-MM``) in the company's time zone."""
    year, month = map(int, period.split("-"))
    return dt.datetime(year, month, day, hour, minute, tzinfo=CST)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": NOW.isoformat()}
