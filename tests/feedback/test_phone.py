"""A hall manager on a phone (390×844): findings as cards that open with one tap, deadlines in words, the
app's own photo picker with thumbnails, and an empty rectification stopped by the app's message."""
from __future__ import annotations

import pytest

from tests.browser import fits_width, log_in
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.browser


def test_a_hall_manager_reads_and_answers_findings_on_a_phone(new_page, released):
    setup = released()
    page = new_page(phone=True)
    log_in(page, setup.manager.username)
    page.goto("/feedback/hall")
    assert fits_width(page)
    cards = page.locator("table.findings tbody tr")
    assert cards.count() == 2 and not page.is_visible("table.findings thead")
    first = cards.first
    assert first.bounding_box()["width"] <= 390
    text = first.inner_text()
    assert "不符合" in text and "2 天后到期" in text  # the hall's answer, the deadline in words

    first.click(position={"x": 200, "y": 60})  # anywhere on the card opens the finding
    page.wait_for_url("**/feedback/findings/*")
    assert page.locator("#rectify-photos").count() == 1 and page.locator("#appeal-photos").count() == 1
    picker = page.locator("label.file-pick[for=rectify-photos]")
    assert picker.inner_text() == "选择照片"
    page.set_input_files("#rectify-photos", files=[{"name": "IMG_1.JPG", "mimeType": "image/jpeg",
                                                     "buffer": jpeg_bytes(800, 600)}])
    page.wait_for_selector("#rectify .picked li img")
    assert fits_width(page)
    with page.expect_navigation():
        page.click("#rectify button[type=submit]")
    assert "请说明采取了哪些整改措施。" in page.inner_text("#rectify")  # the app's message, not a browser tooltip
    assert fits_width(page)
