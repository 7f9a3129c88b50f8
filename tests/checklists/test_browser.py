"""The checklist preview in a real Chromium on a phone-sized screen."""
from __future__ import annotations

import pytest

from surveyapp.auth.models import Role
from tests.browser import fits_width, log_in

pytestmark = pytest.mark.browser


def test_the_preview_fits_a_phone_and_its_buttons_are_easy_to_tap(new_page, make_user, make_checklist):
    make_checklist()
    user = make_user(Role.MARKET)
    page = new_page(phone=True)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    log_in(page, user.username, next_path="/checklists/hall-etiquette/v1/preview")
    assert page.url.endswith("/preview")
    assert page.locator(".cl-item").count() == 47
    assert fits_width(page)
    heights = page.eval_on_selector_all(".opt span", "spans => spans.map(s => s.getBoundingClientRect().height)")
    assert len(heights) > 100 and min(heights) >= 44
    assert page.locator("#item-conduct\\.taboo .badge.red").inner_text() == "红线"
    page.locator("#item-conduct\\.taboo details.cl-guidance summary").click()
    assert "服务禁语" in page.locator("#item-conduct\\.taboo .cl-guidance p").inner_text()
    assert page.locator("input[type=radio]:not([disabled])").count() == 0
    assert problems == []
