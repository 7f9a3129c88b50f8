"""The evidence flags in a real browser (Chromium): the validation queue, a visit's page and the month's report,
on a desk (1366 px) and on a phone (390 px)."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from surveyapp.auth.models import Role
from tests.browser import fits_width, log_in
from tests.insight.test_integrity import VISIT_TIME, jpeg, picture, trap, visit_by  # noqa: F401 (fixtures)

SHOTS = "/tmp/surveyapp-integrity-shots"


@pytest.mark.browser
def test_market_filters_the_queue_by_flag_and_reads_the_reasons(visit_by, make_user, new_page):  # noqa: F811
    first = visit_by(photo=jpeg(picture(11), VISIT_TIME))
    visit_by(photo=jpeg(picture(11), VISIT_TIME), visited_at=VISIT_TIME + dt.timedelta(days=2), awning="pass")
    visit_by(minutes=20, visited_at=VISIT_TIME + dt.timedelta(days=3))
    make_user(Role.MARKET, username="wang.market")
    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "wang.market")
    page.goto("/visits/queue")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(3)
    page.select_option("select[name=flag]", "integrity_answer")
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(1)
    assert fits_width(page)
    page.screenshot(path=f"{SHOTS}/queue-1366.png", full_page=True)
    rows.first.locator("a.badge").click()
    page.wait_for_load_state()
    flags = page.locator("#flags")
    expect(flags).to_contain_text("诚信题答错")
    expect(flags).to_contain_text("同一照片用于另一次检查")
    flags.get_by_role("link", name="另一次检查").first.click()
    page.wait_for_load_state()
    assert first.uid in page.url
    assert fits_width(page)

    page.goto("/insight/integrity/?period=2026-11")
    expect(page.locator("article.integrity-visit")).to_have_count(2)
    assert fits_width(page)
    page.screenshot(path=f"{SHOTS}/report-1366.png", full_page=True)

    phone = new_page(phone=True)
    phone.context.add_cookies(page.context.cookies())
    for path, name in (("/visits/queue", "queue"), ("/insight/integrity/?period=2026-11", "report"),
                       (f"/visits/{first.uid}", "visit")):
        phone.goto(path)
        assert fits_width(phone), path
        phone.screenshot(path=f"{SHOTS}/{name}-390.png", full_page=True)
