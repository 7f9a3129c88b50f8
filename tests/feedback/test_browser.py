"""The whole loop in a real browser: a supervisor submits on a phone, the market department validates and
publishes the month, the hall manager rectifies one finding and appeals another, the market department upholds
the appeal, a revision is published with the hall's rank changed, and the first revision stays as it was."""
from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.checklists import scoring
from surveyapp.checklists.definition import ItemKind
from surveyapp.db import db
from surveyapp.feedback.models import Finding, FindingStatus
from surveyapp.notices import queries as notice_queries
from surveyapp.visits.models import Visit, VisitStatus
from tests.assessment.conftest import at
from tests.browser import log_in
from tests.conftest import jpeg_bytes
from tests.visits.test_browser import fill_section, photo

pytestmark = pytest.mark.browser

NOV = "2026-11"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": "2026-11-28T10:00:00+08:00"}


def test_supervisor_market_and_hall_through_a_revised_notice(new_page, make_hall, make_user, make_staff, make_visit):
    h1, h2 = make_hall("H0101", "中山路营业厅"), make_hall("H0102", "人民广场营业厅")
    make_staff(h2, "1001", "张三")
    market, checker = make_user(Role.MARKET, display_name="李经理"), make_user(Role.MARKET, display_name="周主管")
    manager = make_user(Role.HALL_MANAGER, halls=[h2], display_name="陈厅长")
    # H1 lost a few points in November already; H2's mystery visit is still to be done.
    make_visit(h1, "unannounced", answers={"conduct.greeting": "fail"}, visited_at=at(NOV, 10), market=checker)
    supervisor = make_user(Role.SUPERVISOR, units=[h2.unit], display_name="王建国")
    visit = make_visit(h2, "unannounced", supervisor, status="planned")
    definition = visit.checklist_version.definition
    given = {item.key: ("pass" if item.kind is ItemKind.CHECK else 0 if item.kind is ItemKind.COUNT
                        else item.points if item.kind is ItemKind.SCALE else ["1001"])
             for item in scoring.applicable_items(definition, "unannounced", "self-run") if item.scored or item.required}
    given.update({"appearance.uniform": "fail", "interior.zones": "fail"})

    # The supervisor, on a phone.
    page = new_page(phone=True)
    log_in(page, supervisor.username)
    page.goto(f"/my/visits/{visit.uid}")
    page.click("button:has-text('开始检查')")
    page.wait_for_selector("#visit-form")
    page.click("#mode-switch button[data-mode=long]")
    page.select_option("select[name=scenario]", "缴费")
    fill_section(page, [i for s in definition.sections for i in s.items if i.key in given], given)
    photo(page, "appearance.uniform", "IMG_0001.JPG")
    page.wait_for_selector('[data-photos-for="appearance.uniform"] li[data-photo]')
    page.fill("textarea[name=impression]", "营业厅整体环境整洁，但营业员未统一着装，功能分区标识缺失。")
    page.click("button[value=submit]")
    page.wait_for_selector("text=待审核")

    # The market department validates it and publishes November's notice.
    page = new_page()
    log_in(page, market.username)
    page.goto(f"/visits/{visit.uid}")
    page.click("button[name=action][value=approve]")
    page.wait_for_selector("text=审核通过")
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status is VisitStatus.VALIDATED
    page.goto("/notices/")
    page.fill("input[name=period]", NOV)
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"**/notices/{NOV}")
    assert "尚未结束" in page.inner_text(".publish-panel")  # 28 November: publishing early is a decision
    page.check("input[name=confirm_open]")
    page.click(".publish-form button[type=submit]")
    page.wait_for_url("**/notices/revisions/*")
    db.session.expire_all()
    first = notice_queries.latest_revision(db.session, NOV)
    first_pdf, first_sha = first.pdf, first.sha256
    assert notice_queries.hall_line(first, h2.id)["rank"] == 2

    # The hall manager: the home page shows the line and the findings; rectify one, appeal the other.
    hall_page = new_page()
    log_in(hall_page, manager.username)
    assert hall_page.url.endswith("/feedback/hall")
    line = hall_page.inner_text(".notice-line")
    assert "2026-11" in line and re.search(r"(名次|排名)\s*2 / 2", line)
    assert "王建国" not in hall_page.content()  # never who did a mystery visit
    hall_page.click("text=统一着装")
    hall_page.wait_for_selector("#rectify")
    assert "王建国" not in hall_page.content()
    hall_page.fill("textarea[name=text]", "已为全体营业员配发备用工装，每日班前检查。")
    hall_page.set_input_files("input[name=photos]", files=[{"name": "after.jpg", "mimeType": "image/jpeg",
                                                             "buffer": jpeg_bytes(1200, 900)}])
    hall_page.click("button:has-text('提交整改')")
    hall_page.wait_for_selector(".flash-success")
    hall_page.wait_for_selector("#rectify", state="detached")
    hall_page.goto("/feedback/hall")
    hall_page.click(f"a:has-text('{definition.item('interior.zones').text[:6]}')")
    hall_page.fill("textarea[name=reason]", "检查当日功能分区标识在更换，已提前报备，附报备单。")
    hall_page.click("button:has-text('提交申诉')")
    hall_page.wait_for_selector(".flash-success")

    # The market department hears of it in the inbox and upholds the appeal.
    page.goto("/inbox/")
    assert page.locator(".nav-badge").count() == 1
    page.goto("/feedback/findings?show=appeals")
    page.click("table.findings a")
    page.check("input[name=corrected_to][value=pass]")
    page.fill("textarea[name=reason]", "报备单属实。")
    page.click("button[name=action][value=uphold]")
    page.wait_for_selector(".flash-success")
    db.session.expire_all()
    zones = db.session.scalar(sa.select(Finding).where(Finding.visit_id == visit.id, Finding.item_key == "interior.zones"))
    assert zones.status is FindingStatus.WITHDRAWN
    assert notice_queries.get_notice(db.session, NOV).revision_pending

    hall_page.goto("/feedback/hall")
    assert "待修订" in hall_page.inner_text(".notice-line")

    page.goto(f"/notices/{NOV}")  # the published revision; a revision is published from the comparison page
    page.click("a:has-text('如发布修订版将有哪些变化')")
    assert "申诉成立" in page.inner_text("table.changes")
    page.fill("textarea[name=reason]", "申诉成立：人民广场营业厅功能分区一项更正")
    page.check("input[name=confirm_open]")
    page.click(".publish-form button[type=submit]")
    page.wait_for_url("**/notices/revisions/*")
    db.session.expire_all()
    second = notice_queries.latest_revision(db.session, NOV)
    assert second.number == 2 and notice_queries.hall_line(second, h2.id)["rank"] == 1

    hall_page.goto("/feedback/hall")
    assert re.search(r"(名次|排名)\s*1 / 2", hall_page.inner_text(".notice-line"))
    notices_text = hall_page.inner_text(".notice-list")
    assert "第 2 版" in notices_text and "申诉成立" in notices_text
    # The first revision still downloads byte for byte as it was published; the hall's letter of the second too.
    old_pdf = hall_page.request.get(hall_page.get_attribute(f'.notice-list a[href$="/revisions/{first.id}.pdf"]', "href"))
    assert old_pdf.ok and old_pdf.body() == first_pdf and hashlib.sha256(old_pdf.body()).hexdigest() == first_sha
    letter = hall_page.request.get(f"/notices/revisions/{second.id}/halls/{h2.id}.pdf")
    assert letter.ok and letter.body().startswith(b"%PDF")
    assert hall_page.request.get(f"/notices/revisions/{second.id}/halls/{h1.id}.pdf").status == 404
