"""Helpers for the visits tests."""
from __future__ import annotations

from typing import Any

import pytest


def english(client: Any) -> Any:
    """Show ``client`` the English pages (call after logging in: logging in starts a new session)."""
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


@pytest.fixture
def login_en(login_as: Any, client: Any) -> Any:
    """``login_as`` with the pages in English."""

    def do(role: Any, **kwargs: Any) -> Any:
        user = login_as(role, **kwargs)
        english(client)
        return user

    return do


# --- planning: an organisation for the month plan, the calendar and imports ---------------------------

#: "Now" in the planning tests: 20 November 2026, 10:00 in the company's time zone.
PLANNING_NOW = "2026-11-20T10:00:00+08:00"


@pytest.fixture
def planning_org(app: Any, make_unit: Any, make_hall: Any, make_user: Any, make_staff: Any, make_checklist: Any) -> dict[str, Any]:
    """A city with two districts: six halls in the north, four in the south, one deactivated; internal
    inspectors for the north and the whole city, a social supervisor for each district; both shipped
    checklists; a market user."""
    city = make_unit("C", "市公司")
    north = make_unit("N", "城北分公司", parent=city)
    south = make_unit("S", "城南分公司", parent=city)
    halls = [make_hall(f"N{i}", f"城北{i}号营业厅", unit=north) for i in range(1, 7)]
    halls += [make_hall(f"S{i}", f"城南{i}号营业厅", unit=south, type="cooperative") for i in range(1, 5)]
    make_hall("N9", "城北停业营业厅", unit=north, active=False)
    for hall in halls:
        make_staff(hall, f"{hall.code}01")
        make_staff(hall, f"{hall.code}02")
    people = {
        "inspector_n": make_user("supervisor", username="insp_n", display_name="北区督导", units=[north]),
        "inspector_city": make_user("supervisor", username="insp_c", display_name="市督导", units=[city]),
        "social_n": make_user("supervisor", username="soc_n", display_name="北区社会监督员", units=[north], external=True),
        "social_s": make_user("supervisor", username="soc_s", display_name="南区社会监督员", units=[south], external=True),
    }
    return {"city": city, "north": north, "south": south, "halls": halls, **people,
            "market": make_user("market", username="market1", display_name="刘敏"),
            "etiquette": make_checklist("hall-etiquette"), "social": make_checklist("social-supervisor")}
