"""The calibration page in a real browser (Chromium), on a desk and on a phone 390 px wide."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from surveyapp.auth.models import Role
from tests.browser import fits_width, log_in


@pytest.mark.browser
def test_market_finds_the_lenient_supervisor_and_opens_their_visits(rated_months, make_user, new_page):
    scenario = rated_months(("2026-10", "2026-11"))
    make_user(Role.MARKET, username="wang.market")
    page = new_page()
    log_in(page, "wang.market")
    page.get_by_role("navigation").get_by_text("考核", exact=True).click()  # the menu group
    page.get_by_role("navigation").get_by_role("link", name="评分校准").click()
    page.wait_for_load_state()
    page.select_option("select[name=months]", "2")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.calibration-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("lenient.sup")
    expect(rows.first).to_contain_text("偏宽松")
    expect(rows.last).to_contain_text("偏严格")
    assert page.locator("figure svg.chart circle").count() == 3  # one dot per supervisor with a severity
    expect(page.locator(".flag-list")).to_contain_text("评分比其他监督员高")
    assert fits_width(page)

    rows.first.get_by_role("link", name="检查").click()
    page.wait_for_load_state()
    assert "supervisor=" + str(scenario.supervisors["lenient.sup"].id) in page.url
    assert page.locator("input[name=since]").input_value() == "2026-10"
    listed = page.locator("main table tbody tr")
    expect(listed).to_have_count(12)  # 6 odd halls × 2 months

    phone = new_page(phone=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto("/insight/calibration/?period=2026-11&months=2")
    assert fits_width(phone)  # the chart scales down; the table scrolls inside its frame
    assert phone.locator("figure svg.chart").is_visible()
    assert phone.locator("table.calibration-table").is_visible()
