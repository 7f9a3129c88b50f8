"""The market department's calendar: a month of visit dates and due dates, with the visit list's filters."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from surveyapp.checklists.definition import VisitType
from surveyapp.planning import calendar
from tests.browser import fits_width, log_in
from tests.visits.conftest import PLANNING_NOW

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": PLANNING_NOW}


@pytest.fixture
def november(planning_org, make_visit):
    """Visits of November 2026 (today is the 20th): done, under way, planned, overdue and cancelled."""
    org = planning_org
    n1, n2, s1 = org["halls"][0], org["halls"][1], org["halls"][6]
    return {
        # Done on the 5th at 00:30 Shanghai time (the 4th in UTC): it sits on the 5th.
        "validated": make_visit(n1, "unannounced", org["inspector_n"], visited_at=dt.datetime(2026, 11, 5, 0, 30, tzinfo=SHANGHAI)),
        "started": make_visit(n2, "announced", org["inspector_city"], status="in_progress"),
        "planned": make_visit(s1, "supervisor", org["social_s"], status="planned", due=(dt.date(2026, 11, 23), dt.date(2026, 11, 29))),
        "overdue": make_visit(n2, "unannounced", org["social_n"], status="planned", due=(dt.date(2026, 11, 9), dt.date(2026, 11, 15))),
        "cancelled": make_visit(s1, "unannounced", org["inspector_city"], status="cancelled", due=(dt.date(2026, 11, 2), dt.date(2026, 11, 8))),
        "december": make_visit(n1, "announced", org["inspector_n"], status="planned", due=(dt.date(2026, 12, 1), dt.date(2026, 12, 7))),
    }


def cell(page: str, day: str) -> str:
    """The calendar cell of ``day`` (YYYY-MM-DD)."""
    match = re.search(rf'<li class="cal-day[^"]*" data-day="{day}">(.*?)</li>\s*(?=<li class="cal-day|</ol>)', page, re.DOTALL)
    assert match, day
    return match.group(1)


def test_the_month_shows_each_visit_on_its_day(client, login_en, november):
    login_en("market")
    page = client.get("/visits/calendar/?month=2026-11").get_data(as_text=True)
    assert "Calendar 2026-11" in page
    assert "N1" in cell(page, "2026-11-05") and "北区督导" in cell(page, "2026-11-05")
    assert "N2" in cell(page, "2026-11-20") and "市督导" in cell(page, "2026-11-20")  # started today
    planned = cell(page, "2026-11-29")
    assert "S1" in planned and "status-planned" in planned and "Overdue" not in planned
    overdue = cell(page, "2026-11-15")
    assert "N2" in overdue and "Overdue" in overdue
    # Planned visits count as open on every day of their window; cancelled ones are left out.
    assert "1 open" in cell(page, "2026-11-23") and "2 open" not in page
    assert "S1" not in cell(page, "2026-11-08")
    # The weeks run Monday to Sunday: November 2026 starts on a Sunday.
    assert re.search(r'data-day="2026-10-26"', page) and re.search(r'data-day="2026-12-06"', page)
    assert f'href="/visits/{november["validated"].uid}"' in page
    december = client.get("/visits/calendar/?month=2026-12").get_data(as_text=True)
    assert "N1" in cell(december, "2026-12-07")


def test_the_calendar_has_the_filters_of_the_visit_list(client, login_en, planning_org, november):
    login_en("market")
    by_unit = client.get(f"/visits/calendar/?month=2026-11&unit={planning_org['south'].id}").get_data(as_text=True)
    assert "S1" in cell(by_unit, "2026-11-29") and "N2" not in by_unit.split('class="cal"')[1]
    by_type = client.get("/visits/calendar/?month=2026-11&type=announced").get_data(as_text=True)
    assert "N2" in cell(by_type, "2026-11-20") and "N1" not in cell(by_type, "2026-11-05")
    by_supervisor = client.get(f"/visits/calendar/?month=2026-11&supervisor={planning_org['social_n'].id}").get_data(as_text=True)
    assert "N2" in cell(by_supervisor, "2026-11-15") and "N2" not in cell(by_supervisor, "2026-11-20")
    cancelled = client.get("/visits/calendar/?month=2026-11&status=cancelled").get_data(as_text=True)
    assert "S1" in cell(cancelled, "2026-11-08") and "status-cancelled" in cancelled
    by_hall = client.get(f"/visits/calendar/?month=2026-11&hall={planning_org['halls'][6].id}").get_data(as_text=True)
    assert "S1" in cell(by_hall, "2026-11-29") and "N1" not in cell(by_hall, "2026-11-05")
    # Moving to the next month keeps the filters.
    assert f'/visits/calendar/?month=2026-12&amp;unit={planning_org["south"].id}' in by_unit


def test_a_days_full_list(client, login_en, november):
    login_en("market")
    page = client.get("/visits/calendar/?month=2026-11&day=2026-11-05").get_data(as_text=True)
    listing = page.split('id="day"')[1]
    assert "N1 城北1号营业厅" in listing and "2026-11-05 00:30" in listing and "Validated" in listing
    empty = client.get("/visits/calendar/?month=2026-11&day=2026-11-06").get_data(as_text=True)
    assert "No visit on this day matches." in empty
    assert client.get("/visits/calendar/?month=junk&day=junk").status_code == 200


def test_many_visits_on_a_day_link_to_the_days_list(app, planning_org, make_visit):
    org = planning_org
    for hall in org["halls"][:6]:
        for kind in ("announced", "unannounced"):
            make_visit(hall, kind, org["inspector_city"], status="planned", due=(dt.date(2026, 11, 24), dt.date(2026, 11, 25)))
    from surveyapp import clock
    from surveyapp.db import db
    from surveyapp.visits.queries import VisitFilter

    weeks = calendar.month(db.session, VisitFilter(), dt.date(2026, 11, 1), dt.date(2026, 11, 30), clock.company_tz())
    day = next(d for week in weeks for d in week if d.date == dt.date(2026, 11, 25))
    assert len(day.entries) == 12 and day.open == 12
    assert {e.type for e in day.entries} == {VisitType.ANNOUNCED, VisitType.UNANNOUNCED}


@pytest.mark.browser
def test_on_a_phone_the_calendar_is_a_list_of_days(new_page, planning_org, november):
    for phone in (True, False):
        page = new_page(phone=phone, locale="zh-CN")
        log_in(page, "market1")
        page.goto("/visits/calendar/?month=2026-11")
        assert fits_width(page)
        days = page.locator(".cal-day:visible")
        if phone:
            # Only days with visits, one under the other, with their weekday.
            assert days.count() == 4
            boxes = [days.nth(i).bounding_box() for i in range(days.count())]
            assert all(b["x"] == boxes[0]["x"] for b in boxes) and boxes[1]["y"] > boxes[0]["y"]
            assert "11-05 周四" in days.first.inner_text()
        else:
            assert days.count() == 30  # every day of November in a grid (other months' days are blanks)
            monday, tuesday = days.nth(1).bounding_box(), days.nth(2).bounding_box()  # 2 and 3 November
            assert monday["y"] == tuesday["y"] and tuesday["x"] > monday["x"]
        page.locator(".cal-visit a").first.click()
        page.wait_for_url(re.compile(r"/visits/[0-9a-f-]{36}$"))  # the visit's page, not the calendar
