"""Notice tests run on 2 December 2026 (company time): November's visits are in, its notice is due."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.assessment.conftest import CST, at
from tests.test_pdf import bait  # noqa: F401 - the never-asked HTTP server, a fixture for the notice tests

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=CST)
NOV, OCT = "2026-11", "2026-10"

__all__ = ["NOV", "NOW", "OCT", "at"]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": NOW.isoformat(), "COMPANY_NAME": "某某供电公司"}
