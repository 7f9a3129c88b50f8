"""The decision box of a visit waiting for validation stays in reach of the answers it decides on."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.visits.models import VisitStatus
from tests.browser import fits_width, log_in


@pytest.mark.browser
def test_deciding_after_reading_every_answer(make_visit: Callable[..., Any], make_user: Callable[..., Any],
                                             new_page: Callable[..., Any]) -> None:
    visit = make_visit(status="submitted", answers={"conduct.farewell": "fail"}, remarks={"conduct.farewell": "未道别"})
    make_user(Role.MARKET, username="checker")
    db.session.commit()

    desk = new_page()
    desk.set_viewport_size({"width": 1366, "height": 900})
    log_in(desk, "checker", next_path=f"/visits/{visit.uid}")
    desk.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = desk.locator("aside.decision")
    desk.wait_for_function("document.querySelector('aside.decision').getBoundingClientRect().top >= 0")
    top = box.bounding_box()["y"]
    assert 0 <= top < 900 and box.locator("button[value=approve]").is_visible()  # at the bottom of the page too
    assert not desk.locator(".decision-again").is_visible()

    phone = new_page(phone=True)
    log_in(phone, "checker", next_path=f"/visits/{visit.uid}")
    assert fits_width(phone)
    phone.fill("input[name='item:conduct.farewell']", "是否确实未道别？请补充时间")
    again = phone.locator(".decision-again button[value=return]")
    again.scroll_into_view_if_needed()
    assert again.is_visible()
    with phone.expect_navigation():
        again.click()
    db.session.refresh(visit)
    assert visit.status is VisitStatus.RETURNED
    assert visit.events[-1].details["items"] == {"conduct.farewell": "是否确实未道别？请补充时间"}
