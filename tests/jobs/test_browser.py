"""Watching a publish in a real browser, with a real worker: the progress page answers at once, the bar moves
through the stages, and the page hands over to the published revision (desktop, then a revision on a phone)."""
from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from surveyapp.auth.models import Role
from tests.browser import fits_width, log_in
from tests.notices.conftest import NOV, NOW, at

SHOTS = None  # set to a folder to keep screenshots of the progress page


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Any) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": NOW.isoformat(), "COMPANY_NAME": "某某供电公司",
            "JOBS_URL": "sqlite:///" + str(tmp_path / "jobs.sqlite")}


def watch(page: Any, name: str) -> list[int]:
    """The bar's values from the progress page until the page hands over to the revision."""
    expect(page.locator("#job progress")).to_be_visible()
    assert fits_width(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
    seen: list[int] = []
    deadline = time.monotonic() + 120
    while "/jobs/" in page.url and time.monotonic() < deadline:
        try:
            value = int(page.locator("#job progress").get_attribute("value", timeout=1000))
            if SHOTS and value and not any(seen):
                page.screenshot(path=f"{SHOTS}/{name}-running.png", full_page=True)
            seen.append(value)
        except Exception:  # noqa: BLE001 - the page moved on between the check and the read
            break
        time.sleep(0.05)
    page.wait_for_url("**/notices/revisions/*", timeout=120_000)
    return seen


@pytest.mark.browser
def test_the_market_department_watches_a_publish_on_desktop_and_on_a_phone(
        make_hall, make_visit, make_user, new_page, start_worker):
    for n in range(1, 4):
        make_visit(make_hall(f"H{n}"), "unannounced", answers={"appearance.uniform": "fail"}, visited_at=at(NOV))
    make_user(Role.MARKET, username="liu.market")

    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, "liu.market")
    page.goto("/notices/")
    page.fill("input[name=period]", NOV)
    page.get_by_role("button", name="起草通报").click()
    page.get_by_role("button", name="发布通报").click()
    expect(page.locator("#job h1")).to_have_text("发布通报")
    assert page.locator("#job li[data-stage]").count() == 5
    # no worker yet: the request answered at once and the page shows the job waiting at 0, and keeps polling
    page.wait_for_timeout(1500)
    assert page.locator("#job progress").get_attribute("value") == "0" and "/jobs/" in page.url
    start_worker()  # a worker comes up: the page follows the job to the published revision by itself
    watch(page, "publish-desktop")
    expect(page.locator(".flashes")).to_contain_text("第1版已发布")
    assert errors == [], "no CSP violation or script error"

    phone = new_page(phone=True)
    log_in(phone, "liu.market")
    phone.goto(f"/notices/{NOV}/compare")  # a revision is published from the comparison page
    phone.fill("textarea[name=reason]", "补充说明")
    phone.locator("form.publish-form button[type=submit]").click()
    watch(phone, "publish-phone")
    expect(phone.locator(".flashes")).to_contain_text("第2版已发布")
