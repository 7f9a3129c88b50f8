"""Feedback fixtures: a clock the tests move, a hall with its manager, and released visits with findings."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role, User
from surveyapp.db import db
from surveyapp.feedback.models import Finding
from surveyapp.org.models import Hall

#: Released on Thursday 5 November 2026 (company time): appeals until the 8th, appearance due the 7th,
#: other sections the 15th (the default policy: 3 days to appeal, 2 for appearance and conduct, 10 otherwise).
RELEASE = "2026-11-05T10:00:00+08:00"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": RELEASE}


def set_now(app: Any, when: str) -> None:
    """Move the app's clock (``surveyapp.clock`` reads ``FROZEN_NOW`` on every call)."""
    app.config["FROZEN_NOW"] = when


@dataclass
class Setup:
    hall: Hall
    manager: User
    market: User
    visit: Any

    def finding(self, key: str) -> Finding:
        return db.session.scalar(sa.select(Finding).where(Finding.visit_id == self.visit.id, Finding.item_key == key))


@pytest.fixture
def released(make_hall: Callable[..., Hall], make_user: Callable[..., User], make_visit: Callable[..., Any]) -> Callable[..., Setup]:
    """A hall, its manager and an announced visit (released on approval) failing ``appearance.uniform`` (due in
    2 days) and ``interior.zones`` (due in 10)."""

    def make(hall: Hall | None = None, manager: User | None = None, **kwargs: Any) -> Setup:
        hall = hall or make_hall()
        manager = manager or make_user(Role.HALL_MANAGER, halls=[hall])
        market = make_user(Role.MARKET)
        answers = {"appearance.uniform": "fail", "interior.zones": "fail", **kwargs.pop("answers", {})}
        visit = make_visit(hall=hall, type="announced", answers=answers, market=market,
                           remarks={"appearance.uniform": "两名营业员未穿工装"}, **kwargs)
        return Setup(hall, manager, market, visit)

    return make
