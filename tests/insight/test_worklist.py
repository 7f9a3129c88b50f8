"""The market department's home is its work list: numbers that agree with the lists they link to."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.feedback import services as feedback
from surveyapp.feedback.models import Finding
from tests.browser import fits_width, log_in

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": "2026-11-17T10:00:00+08:00"}


@pytest.fixture
def month(app: Any, make_unit: Callable[..., Any], make_hall: Callable[..., Any], make_user: Callable[..., Any],
          make_visit: Callable[..., Any]) -> dict[str, Any]:
    """November 2026 seen on the 20th: one visit waiting since the 17th, one planned, one cancelled, two
    released visits whose findings are overdue, under appeal and rectified."""
    city, county = make_unit("U1", "城区分公司"), make_unit("U2", "临江县分公司")
    north, river = make_hall("H1", "城北营业厅", unit=city), make_hall("H2", "江边营业厅", unit=county)
    manager = make_user(Role.HALL_MANAGER, halls=[north])
    visited = dt.datetime(2026, 11, 16, 10, tzinfo=SHANGHAI)
    make_visit(hall=north, status="submitted", visited_at=visited)
    make_visit(hall=river, type="supervisor", status="planned", visited_at=visited)
    make_visit(hall=river, status="cancelled", visited_at=visited)
    failing = make_visit(hall=north, type="announced", answers={"appearance.uniform": "fail", "interior.zones": "fail"},
                         visited_at=visited)
    make_visit(hall=north, type="announced", answers={"appearance.uniform": "fail"}, visited_at=visited)
    findings = {f.item_key + str(f.visit_id == failing.id): f for f in db.session.scalars(sa.select(Finding))}
    feedback.appeal(db.session, manager, findings["interior.zonesTrue"], None, "分区标识当天已按新标准更换")
    feedback.rectify(db.session, manager, findings["appearance.uniformTrue"], None, "已统一工装并拍照存档")
    db.session.commit()
    app.config["FROZEN_NOW"] = "2026-11-20T11:00:00+08:00"
    return {"city": city, "county": county}


def test_the_work_list_counts_what_waits_and_links_to_it(month: dict[str, Any], client: Any,
                                                          login_as: Callable[..., Any]) -> None:
    login_as(Role.MARKET)
    page = client.get("/home/market")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert client.get("/").headers["Location"].endswith("/home/market")
    # one visit waits since the 17th; one appeal; one rectification; the other uniform finding (due the 19th) is late
    assert 'href="/visits/queue"' in html and "最早的已等 3 天" in html
    for show, count in (("appeals", 1), ("rectified", 1), ("overdue", 1)):
        assert f'href="/feedback/findings?show={show}"' in html
        assert f"共 {count} 个问题" in client.get(f"/feedback/findings?show={show}").get_data(as_text=True)
    assert [int(n) for n in _counts(html)] == [1, 1, 1, 1]
    # November: 4 visits planned (the cancelled one left out), 3 done (submitted or validated)
    assert "2026-11 检查进度：已完成 3 / 计划 4" in html
    assert f'href="/visits/?month=2026-11&amp;unit={month["county"].id}"' in html
    assert "0 / 1" in html and "3 / 3" in html


def _counts(html: str) -> list[str]:
    import re

    return re.findall(r'<span class="task-count">(\d+)</span>', html)


def test_the_work_list_is_only_for_the_market_department(month: dict[str, Any], client: Any,
                                                          login_as: Callable[..., Any]) -> None:
    login_as(Role.SUPERVISOR)
    assert client.get("/home/market").status_code == 403


@pytest.mark.browser
def test_the_work_list_and_grouped_menu_on_desktop_and_phone(month: dict[str, Any], make_user: Callable[..., Any],
                                                            new_page: Callable[..., Any]) -> None:
    make_user(Role.MARKET, username="market")
    db.session.commit()
    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "market")
    assert page.url.endswith("/home/market")
    # the menu is six groups and the inbox, not sixteen links in two rows
    assert page.locator(".nav-group").count() >= 3
    assert page.locator(".nav > a").count() <= 4
    assert page.locator("header.topbar").bounding_box()["height"] < 60
    page.click("summary:text('检查与审核')")
    assert page.locator(".nav-group[open] .nav-panel a:text('审核')").is_visible()
    page.keyboard.press("Escape")
    assert page.locator(".nav-group[open]").count() == 0
    with page.expect_navigation():
        page.click(".task:has-text('项申诉待裁决')")
    assert "show=appeals" in page.url

    phone = new_page(phone=True)
    log_in(phone, "market")
    assert fits_width(phone)
    phone.click("summary[aria-label]")
    phone.click("summary:text('检查与审核')")
    with phone.expect_navigation():
        phone.click(".nav-panel a:text('审核')")
    assert phone.url.endswith("/visits/queue")
    assert fits_width(phone)


def test_only_long_menus_are_grouped(client: Any, login_as: Callable[..., Any]) -> None:
    login_as(Role.HALL_MANAGER)
    hall_page = client.get("/feedback/hall").get_data(as_text=True)
    assert "nav-group" not in hall_page and 'href="/feedback/findings"' in hall_page  # seven links or fewer: one row
    login_as(Role.MARKET)
    market_page = client.get("/home/market").get_data(as_text=True)
    assert market_page.count('<details class="nav-group">') >= 3
