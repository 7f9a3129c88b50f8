"""The notice in a real browser (Chromium): the market department drafts, edits and publishes; a hall manager
downloads the notice and the hall's letter, on a phone."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.notices.models import NoticeRevision
from surveyapp.visits.models import Visit, VisitStatus
from tests.browser import fits_width, log_in
from tests.notices.conftest import NOV, at
from tests.pdfcheck import read_pdf
from tests.test_pdf import squeeze


@pytest.mark.browser
def test_market_publishes_and_a_hall_manager_downloads(make_hall, make_visit, make_user, new_page):
    hall = make_hall("H1", "人民路营业厅")
    make_visit(hall, "unannounced", answers={"appearance.uniform": "fail"}, visited_at=at(NOV),
               remarks={"appearance.uniform": "营业员未按规定着装"})
    make_visit(make_hall("H2", "解放路营业厅"), "announced", visited_at=at(NOV))
    make_user(Role.MARKET, username="liu.market")
    make_user(Role.HALL_MANAGER, username="zhang.hall", halls=[hall])

    page = new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, "liu.market")
    page.goto("/notices/")
    page.fill("input[name=period]", NOV)
    page.get_by_role("button", name="起草通报").click()
    assert page.locator("article.notice-doc h1").inner_text() == "关于2026年11月营业厅服务质量明查暗访情况的通报"
    assert page.locator("article.notice-doc svg.chart").count() == 1  # one month of history: no trend chart
    page.wait_for_load_state()  # the evidence photos included
    assert page.locator("article.notice-doc .photos img").first.evaluate("img => img.naturalWidth") > 0
    page.get_by_role("link", name="编辑正文").click()
    page.fill("textarea[name=overview]", "本月服务质量总体平稳，个别营业厅仪容仪表不规范。")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flashes")).to_contain_text("已保存")
    page.get_by_role("button", name="发布通报").click()
    expect(page.locator(".flashes")).to_contain_text("第1版已发布")  # not the last page's "saved"
    assert errors == [], "no CSP violation or script error"

    phone = new_page(phone=True)
    log_in(phone, "zhang.hall")
    phone.goto("/notices/")
    with phone.expect_download() as notice:
        phone.get_by_role("link", name="通报（PDF）").click()
    revision = db.session.scalar(sa.select(NoticeRevision))
    assert Path(notice.value.path()).read_bytes() == revision.pdf
    with phone.expect_download() as letter:
        phone.get_by_role("link", name="人民路营业厅反馈函").click()
    text = squeeze(read_pdf(Path(letter.value.path()).read_bytes()).text)
    assert "人民路营业厅" in text and "营业员未按规定着装" in text and "解放路营业厅" not in text
    assert fits_width(phone)


@pytest.mark.browser
def test_choosing_typical_cases_by_hall_with_a_filter_and_an_english_ui(make_hall, make_visit, make_user, new_page):
    for code, name in (("H1", "火车站营业厅"), ("H2", "人民路营业厅"), ("H3", "解放路营业厅")):
        make_visit(make_hall(code, name), answers={"appearance.uniform": "fail", "conduct.farewell": "fail"},
                   visited_at=at(NOV), remarks={"appearance.uniform": f"{name}营业员未穿工装",
                                                "conduct.farewell": "客户离开时营业员未起身"})
    make_user(Role.MARKET, username="liu.market")
    page = new_page(locale="en-US")
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "liu.market")
    page.goto("/notices/")
    page.fill("input[name=period]", NOV)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    if page.locator("button[name=lang][value=en]").count():
        page.click("button[name=lang][value=en]")
    # the English UI previews the notice as the PDF will print it: in Chinese, charts readable
    assert page.locator("article.notice-doc[lang=zh-CN] h2").first.inner_text() == "一、总体情况"
    label = page.locator("article.notice-doc svg.chart text").first.bounding_box()
    assert label["height"] >= 9
    page.goto(f"/notices/{NOV}/edit")
    assert page.locator("fieldset.case-group").count() == 3
    page.uncheck("input[name=auto_cases]")
    for box in page.locator("input[name=cases]").all():  # the automatic choice was one per hall
        box.uncheck()
    page.fill("[data-case-filter]", "火车站")
    assert page.locator("fieldset.case-group:visible").count() == 1
    page.locator("fieldset.case-group:visible li:has-text('未穿工装') input").check()
    page.fill("[data-case-filter]", "")
    assert page.locator("fieldset.case-group:visible").count() == 3
    page.locator("main button.primary").click()
    page.wait_for_load_state()
    cases = page.locator("article.notice-doc .case")
    assert cases.count() == 1 and "火车站营业厅营业员未穿工装" in cases.inner_text()
    assert "未做到" in cases.inner_text()
    assert fits_width(page)


@pytest.mark.browser
def test_the_publish_page_and_the_comparison_at_desktop_and_phone_width(make_hall, make_visit, make_user, new_page,
                                                                        tmp_path):
    """The publish form names what is open and needs the box ticked; after a late visit is counted the comparison
    explains the changed line; both pages read right at 1366 px and 390 px (screenshots in ``tmp_path``)."""
    h1, h2 = make_hall("H1", "人民路营业厅"), make_hall("H2", "解放路营业厅")
    make_visit(h1, "unannounced", visited_at=at(NOV, 3))
    make_visit(h2, "announced", visited_at=at(NOV, 4))
    make_visit(h2, "announced", status="submitted", visited_at=at(NOV, 28), answers={"interior.clean": "fail"})
    make_user(Role.MARKET, username="liu.market")
    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "liu.market")
    page.goto("/notices/")
    page.fill("input[name=period]", NOV)
    page.get_by_role("button", name="起草通报").click()
    expect(page.locator(".publish-panel")).to_contain_text("1 次检查待审核")
    page.screenshot(path=tmp_path / "publish-1366.png", full_page=False)
    assert fits_width(page)
    page.get_by_role("button", name="发布通报").click()
    expect(page.locator("#confirm_open-errors")).to_contain_text("仍要发布")
    page.get_by_label("我已了解本月仍未完成的事项，仍要发布").check()
    page.get_by_role("button", name="发布通报").click()
    expect(page.locator(".flashes")).to_contain_text("第1版已发布")

    waiting = db.session.scalar(sa.select(Visit).where(Visit.status == VisitStatus.SUBMITTED))
    page.goto(f"/visits/{waiting.uid}")
    expect(page.locator(".decision")).to_contain_text("已结账的 2026-11")
    page.get_by_label(f"我决定将这次迟到检查计入已结账的 {NOV}").check()
    with page.expect_navigation():
        page.locator(".decision button[value=approve]").click()
    page.goto(f"/notices/{NOV}")
    page.get_by_role("link", name="如发布修订版将有哪些变化").click()
    row = page.locator("table.changes tbody tr").filter(has_text="解放路营业厅（H2）")
    expect(row).to_contain_text("结账后审核通过")
    page.screenshot(path=tmp_path / "compare-1366.png", full_page=False)
    assert fits_width(page)

    phone = new_page(phone=True)
    log_in(phone, "liu.market")
    for path, name in ((f"/notices/{NOV}/compare", "compare-390.png"), (f"/notices/{NOV}", "month-390.png")):
        phone.goto(path)
        phone.screenshot(path=tmp_path / name, full_page=False)
        assert fits_width(phone), path
    # on the phone each changed line is a card as wide as the screen, not a squeezed three-column table
    phone.goto(f"/notices/{NOV}/compare")
    expect(phone.locator("table.changes thead")).to_be_hidden()
    card = phone.locator("table.changes tbody tr").filter(has_text="解放路营业厅（H2）")
    assert card.bounding_box()["width"] > 300
    # the editor's fields take the full width, one under the other
    phone.goto(f"/notices/{NOV}/edit")
    phone.screenshot(path=tmp_path / "edit-390.png", full_page=True)
    assert fits_width(phone)
    assert phone.locator("#version").count() == 1  # the draft's version once (it was rendered twice, one id for two)
    boxes = [phone.locator(f"[name={name}]").bounding_box() for name in ("doc_number", "issuing_unit", "main_to", "overview")]
    assert all(box["width"] > 280 for box in boxes) and boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"] < boxes[3]["y"]
