"""The market department's results and policy pages in a real browser (Chromium), on a desk and on a phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from surveyapp.assessment import services
from surveyapp.auth.models import Role
from surveyapp.db import db
from tests.browser import fits_width, log_in


@pytest.mark.browser
def test_market_reads_the_ranking_and_changes_the_policy(make_unit, make_hall, make_scored_visit, make_user, new_page):
    branch = make_unit("B1", "城区分公司")
    for n, (unannounced, announced) in enumerate(((90, 60), (70, 95), (80, 80)), start=1):
        hall = make_hall(f"H{n}", f"第{n}营业厅", unit=branch)
        make_scored_visit(hall, "unannounced", unannounced)
        make_scored_visit(hall, "announced", announced)
    make_user(Role.MARKET, username="wang.market")
    page = new_page()
    log_in(page, "wang.market")
    page.goto("/assessment/results?period=2026-11")
    codes = page.locator("table.ranking tbody tr td:nth-child(2) .nowrap")
    assert codes.all_inner_texts() == ["H3", "H2", "H1"]  # 80, 79.375, 78.75
    page.locator("table.ranking th").get_by_role("link", name="得分", exact=True).click()
    expect(codes).to_have_text(["H3", "H2", "H1"])  # the highest score first
    page.locator("table.ranking th").get_by_role("link", name="得分 ▼").click()
    expect(codes).to_have_text(["H1", "H2", "H3"])  # (expect waits for the sorted page)

    page.goto("/assessment/policy/edit")
    page.fill("input[name=weight_announced]", "-0.5")
    page.click("button.primary")
    assert page.locator("#weight_announced-errors").inner_text() == "不能小于 0"
    assert page.locator("input[name=weight_announced]").input_value() == "-0.5"
    page.fill("input[name=weight_announced]", "0.9")
    page.fill("textarea[name=note]", "本季度以明查为主")
    page.click("button.primary")
    expect(page.locator(".flashes")).to_contain_text("已保存为考核办法第 2 版")
    page.goto("/assessment/results?period=2026-11")
    assert codes.all_inner_texts()[0] == "H2"  # announced visits now weigh most
    page.goto("/assessment/policy/history")
    assert "本季度以明查为主" in page.content() and services.current_policy(db.session).number == 2

    phone = new_page(phone=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto("/assessment/results?period=2026-11")
    # The wide table scrolls inside its frame; the page itself never scrolls sideways.
    assert fits_width(phone)
    assert phone.locator("table.ranking").is_visible()
