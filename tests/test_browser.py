"""Key journeys in a real Chromium: each role's home page and menu, switching language, importing a
halls file with a bad row, and the supervisor's phone."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.org.models import Hall
from tests.browser import fits_width, log_in

pytestmark = pytest.mark.browser

HOME = {Role.ADMIN: "/home/admin", Role.MARKET: "/home/market", Role.SUPERVISOR: "/my/visits", Role.HALL_MANAGER: "/feedback/hall"}
#: Menu entries (Chinese) each role must see; every other role must not see them.
MENU = {Role.ADMIN: {"用户", "单位", "营业厅", "营业员", "导入", "审计日志"}, Role.MARKET: {"单位", "营业厅", "营业员", "导入", "检查", "审核"},
        Role.SUPERVISOR: {"我的检查"}, Role.HALL_MANAGER: {"检查结果", "我的营业厅"}}
ALL_ENTRIES = set().union(*MENU.values())


def test_each_role_sees_its_home_page_and_only_its_menu(new_page, make_user, make_hall):
    for role in Role:
        user = make_user(role, halls=[make_hall()] if role is Role.HALL_MANAGER else [])
        page = new_page()
        log_in(page, user.username)
        assert page.url.endswith(HOME[role])
        assert user.display_name in page.inner_text(".nav-user")
        # long menus are grouped into drop-downs: their entries count as the role's menu too
        entries = {a.text_content().strip() for a in page.query_selector_all("nav.nav > a, nav.nav .nav-panel a")}
        assert MENU[role] <= entries and not (ALL_ENTRIES - MENU[role]) & entries, (role, entries)
        page.click("text=退出")
        page.wait_for_url("**/login")


def test_switching_language(new_page, make_user):
    user = make_user(Role.MARKET)
    page = new_page()
    log_in(page, user.username)
    page.goto("/org/halls")
    assert page.inner_text("h1") == "营业厅"
    page.click("button[name=lang][value=en]")
    expect(page.locator("h1")).to_have_text("Halls")  # expect waits for the page the switch reloads
    assert page.url.endswith("/org/halls") and page.get_attribute("html", "lang") == "en"
    page.click("button[name=lang][value=zh_CN]")
    expect(page.locator("h1")).to_have_text("营业厅")


def test_import_halls_with_one_bad_row_shows_the_row_and_writes_nothing(new_page, make_user, make_unit, tmp_path):
    make_unit("JZ01", "江州市区分公司")
    user = make_user(Role.MARKET)
    path = tmp_path / "halls.csv"
    path.write_text("\ufeff编码,名称,类型,单位\nH0101,中山路营业厅,自办,JZ01\nH0102,火车站合作营业厅,合作,JZ99\n"
                    "H0103,人民广场营业厅,自办,JZ01\n", encoding="utf-8")
    page = new_page()
    log_in(page, user.username)
    page.click("nav.nav summary:text('基础数据')")
    page.click("nav.nav .nav-group[open] .nav-panel >> text=导入")
    page.click(".tabs >> text=营业厅")
    page.set_input_files("input[type=file]", str(path))
    page.click("button[type=submit].primary")
    expect(page.locator(".import-errors")).to_contain_text("第 3 行：单位编码 JZ99 不存在")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Hall)) == 0
    page.goto("/org/halls")
    assert "没有符合条件的营业厅" in page.inner_text("main")


def test_supervisor_on_a_phone(new_page, make_user):
    user = make_user(Role.SUPERVISOR, display_name="王建国")
    page = new_page(phone=True)
    page.goto("/login")
    assert fits_width(page)
    log_in(page, user.username)
    assert page.url.endswith("/my/visits") and fits_width(page)
    # The menu folds behind a button and opens on a tap, with items large enough to hit.
    logout = page.locator("text=退出")
    assert not logout.is_visible()
    page.tap("summary[aria-label=菜单]")
    assert logout.is_visible()
    box = page.locator(".nav-user a").first.bounding_box()
    assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.click(".nav-user >> text=密码")
    page.wait_for_url("**/account/password")
    assert fits_width(page)


def test_administration_pages_fit_a_phone(new_page, make_user, make_hall, make_staff):
    hall = make_hall("H0101", "江州中山路营业厅")
    person = make_staff(hall)
    admin = make_user(Role.ADMIN)
    page = new_page(phone=True)
    log_in(page, admin.username)
    for path in ("/users/", f"/users/{admin.id}/edit", "/users/new", "/org/units/", f"/org/units/{hall.unit_id}/edit",
                 "/org/halls", f"/org/halls/{hall.id}", "/org/halls/new", "/org/staff/", f"/org/staff/{person.id}/edit",
                 "/import?kind=halls", "/audit/"):
        page.goto(path)
        assert fits_width(page), path
