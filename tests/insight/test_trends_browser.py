"""The trend and heat-map pages in a real browser (Chromium), on a desk (1366 px) and on a phone (390 px)."""
from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from surveyapp.auth.models import Role
from tests.browser import fits_width, log_in
from tests.insight.conftest import at

SHOTS = os.environ.get("SURVEYAPP_SHOTS")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.browser
def test_market_follows_a_branch_over_the_year_and_finds_where_it_fails(trend_months, make_user, new_page):
    make_user(Role.MARKET, username="wang.market")
    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "wang.market")
    page.click("nav.nav summary:text('考核')")  # the menu's 考核 group holds it
    page.get_by_role("navigation").get_by_role("link", name="趋势分析").click()
    page.fill("input[name=period]", "2026-11")
    page.select_option("select[name=unit]", "N")
    page.click("form.filters button[type=submit]")
    expect(page.locator("table.trend-table tbody tr").first).to_contain_text("100.0")  # November, newest first
    expect(page.locator("table.trend-table")).to_contain_text("82.5")
    assert page.locator("figure svg.chart").count() == 3  # the branch, and its two sections
    assert fits_width(page)
    shot(page, "trends-desk")

    page.click("nav.nav summary:text('考核')")  # the menu's 考核 group holds it
    page.get_by_role("navigation").get_by_role("link", name="问题热力图").click()
    page.fill("input[name=span]", "2026-Q4")
    page.click("form.filters button[type=submit]")
    expect(page.locator("table.heat-table tbody tr").first).to_contain_text("统一着装")
    expect(page.locator("table.heat-table tbody tr").first).to_contain_text("50%")
    assert fits_width(page)
    shot(page, "heatmap-desk")

    phone = new_page(phone=True)
    phone.context.add_cookies(page.context.cookies())
    for url, name in (("/insight/trends/?period=2026-11&unit=N", "trends-phone"),
                      ("/insight/trends/heatmap?span=2026-Q4", "heatmap-phone")):
        phone.goto(url)
        assert fits_width(phone), url  # charts scale down; wide tables scroll inside their labelled frame
        assert phone.locator("figure svg.chart").first.is_visible()
        assert phone.get_by_role("region").first.is_visible()
        shot(phone, name)


@pytest.mark.browser
def test_staff_pages_fit_a_desk_and_a_phone(make_hall, make_staff, make_visit, make_user, new_page):
    hall = make_hall("H1", "城北营业厅")
    make_staff(hall, "1001", "李娜")
    for day in (3, 10, 17):
        make_visit(hall=hall, visited_at=at("2026-11", day))
    make_user(Role.MARKET, username="wang.market")
    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "wang.market")
    page.click("nav.nav summary:text('考核')")  # the menu's 考核 group holds it
    page.get_by_role("navigation").get_by_role("link", name="星级营业员").click()
    page.get_by_role("link", name="1001").click()
    expect(page.locator("table.staff-months tbody tr").first).to_contain_text("2026-11")
    assert fits_width(page)
    shot(page, "staff-desk")
    phone = new_page(phone=True)
    phone.context.add_cookies(page.context.cookies())
    for url in ("/insight/staff/?period=2026-11", "/insight/staff/1001?period=2026-11"):
        phone.goto(url)
        assert fits_width(phone), url
    shot(phone, "staff-phone")
