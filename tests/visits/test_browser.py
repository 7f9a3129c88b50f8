"""A supervisor fills a whole checklist on a phone (390×844, real Chromium) with photos, loses the network
half-way, answers more, closes the page, comes back online, and submits: every answer and photo arrives."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.checklists import scoring
from surveyapp.checklists.definition import ItemKind
from surveyapp.db import db
from surveyapp.visits.models import Answer, Photo, Visit, VisitRevision, VisitStatus
from tests.browser import fits_width, log_in
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.browser

#: The answers given (the rest pass, count 0, full marks): two failures with photos, one remark.
FAILED = {"appearance.uniform": "fail", "safety.fire": "fail"}
REMARKS = {"appearance.uniform": "左胸未佩戴工号牌"}


def answer(page, item, value):
    """Tap the answer as a finger would: on the visible button of the radio."""
    page.locator(f'label.opt:has(> input[name="{item.key}"][value="{value}"])').click()


def fill_section(page, items, answers):
    for item in items:
        value = answers[item.key]
        if item.kind in (ItemKind.CHECK, ItemKind.SCALE):
            answer(page, item, str(value))
        elif item.kind is ItemKind.COUNT:
            page.fill(f'input[type=number][name="{item.key}"]', str(value))
        elif item.kind is ItemKind.STAFF:
            page.fill(f'input[name="{item.key}"]', ", ".join(value))
        if item.key in REMARKS:
            page.click(f'[id="item-{item.key}"] .cl-remark summary')
            page.fill(f'textarea[name="{item.key}.remark"]', REMARKS[item.key])


def photo(page, key, name):
    page.set_input_files(f'input[name="{key}.photos"]', files=[{"name": name, "mimeType": "image/jpeg",
                                                                "buffer": jpeg_bytes(1600, 1200)}])


def test_supervisor_fills_a_checklist_on_a_phone_through_a_network_outage(new_page, make_hall, make_user, make_staff,
                                                                         make_visit):
    hall = make_hall("H0101", "中山路营业厅")
    make_staff(hall, "1001", "张三")
    supervisor = make_user(Role.SUPERVISOR, units=[hall.unit], display_name="王建国")
    visit = make_visit(hall, "unannounced", supervisor, status="planned")
    definition = visit.checklist_version.definition
    items = scoring.applicable_items(definition, "unannounced", "self-run")
    given = {item.key: ("pass" if item.kind is ItemKind.CHECK else 0 if item.kind is ItemKind.COUNT
                        else item.points if item.kind is ItemKind.SCALE else ["1001"])
             for item in items if item.scored or item.required}
    given.update(FAILED)
    sections = [s for s in definition.sections if any(i.key in given for i in s.items)]

    page = new_page(phone=True)
    log_in(page, supervisor.username)
    assert page.url.endswith("/my/visits")
    page.click(f'a[href="/my/visits/{visit.uid}"]')
    page.click("button:has-text('开始检查')")
    page.wait_for_selector("#visit-form")
    assert fits_width(page, slack=1)
    assert page.locator(".section-index a").count() == len(sections) + 2  # the visit, each section, the end

    # One section at a time: the first shows the visit's own fields.
    page.select_option("select[name=scenario]", "缴费")
    assert not page.is_visible(f"#section-{sections[0].id}")
    half = len(sections) // 2
    for section in sections[:half]:
        page.click("#section-pager button[data-step='1']")
        assert page.is_visible(f"#section-{section.id}")
        fill_section(page, [i for i in section.items if i.key in given], given)
        if section.id == "appearance":
            photo(page, "appearance.uniform", "IMG_0001.JPG")
            page.wait_for_selector('[data-photos-for="appearance.uniform"] li[data-photo]')
    page.wait_for_selector("#fill-status:has-text('已于')")  # "saved at ..."
    answered = page.inner_text("#fill-progress-text")
    assert answered.startswith("已答 ") and not answered.startswith("已答 0 ")

    # The network goes: keep answering, take a photo; everything waits on the phone.
    context = page.context
    context.set_offline(True)
    for section in sections[half:]:
        page.click(f".section-index a[data-section='{section.id}']")
        fill_section(page, [i for i in section.items if i.key in given], given)
        if section.id == "safety":
            photo(page, "safety.fire", "IMG_0002.JPG")
            page.wait_for_selector('[data-photos-for="safety.fire"] li.pending')
    page.click(".section-index a[data-section='finish']")
    page.fill("textarea[name=impression]", "营业厅整体环境整洁，营业员态度热情，但个别员工未佩戴工号牌。")
    page.wait_for_selector("#fill-status:has-text('没有网络')")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 1  # the second waits on the phone

    # The supervisor closes the page; back online later, opens the visit again: everything is restored
    # from the phone and sent, the waiting photo too.
    page.close()
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"/my/visits/{visit.uid}")
    page.wait_for_selector("#fill-status:has-text('已恢复')")
    page.wait_for_selector('[data-photos-for="safety.fire"] li[data-photo]', state="attached")  # in a hidden section
    page.click(".section-index a[data-section='finish']")
    assert page.input_value("textarea[name=impression]").startswith("营业厅整体环境整洁")
    page.click("button[value=submit]")
    page.wait_for_url(f"**/my/visits/{visit.uid}")
    page.wait_for_selector("text=待审核")
    assert fits_width(page, slack=1)

    # On the server: every answer, the remark and both photos arrived, in one revision.
    db.session.expire_all()
    stored = db.session.get(Visit, visit.id)
    assert stored.status is VisitStatus.SUBMITTED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitRevision)) == 1
    received = {a.item.key: a.value for a in db.session.scalars(sa.select(Answer).where(Answer.visit_id == visit.id))}
    assert received == {key: (",".join(v) if isinstance(v, list) else str(v)) for key, v in given.items()}
    revision = stored.revisions[0]
    assert revision.content["answers"] == given
    assert revision.content["remarks"] == REMARKS and revision.content["scenario"] == "缴费"
    assert {k: len(v) for k, v in revision.content["photos"].items()} == {"appearance.uniform": 1, "safety.fire": 1}
    assert stored.redline is False and stored.score < 100


def test_session_end_and_refusals_on_the_phone_lose_nothing(new_page, make_hall, make_user, make_staff, make_visit):
    """The session ends during the visit: answers stay on the phone, a new login in another tab lets them
    through (with a fresh CSRF token). A submission the rules refuse shows each problem at its item."""
    from surveyapp.auth.models import UserSession

    hall = make_hall("H0102", "人民广场营业厅")
    make_staff(hall, "1001", "张三")
    supervisor = make_user(Role.SUPERVISOR, units=[hall.unit])
    visit = make_visit(hall, "unannounced", supervisor, status="in_progress")
    page = new_page(phone=True)
    log_in(page, supervisor.username)
    page.goto(f"/my/visits/{visit.uid}")
    page.click("#mode-switch button[data-mode=long]")  # everything on one page
    assert page.is_visible("#section-safety") and page.is_visible("#section-exterior")

    for session in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == supervisor.id)):
        session.revoked_at = session.created_at  # the session ends (e.g. idle too long)
    db.session.commit()
    page.locator('label.opt:has(> input[name="conduct.farewell"][value="fail"])').click()
    page.wait_for_selector("#fill-status:has-text('登录已失效')")
    login_link = page.locator("#fill-status a")
    assert login_link.get_attribute("target") == "_blank"

    other = page.context.new_page()  # the supervisor logs in again in another tab
    log_in(other, supervisor.username)
    other.close()
    page.evaluate("window.dispatchEvent(new Event('online'))")  # as when the page is shown again
    page.wait_for_selector("#fill-status:has-text('已于')")  # "saved at ..."
    db.session.expire_all()
    assert ["conduct.farewell", "fail"] in db.session.get(Visit, visit.id).draft["fields"]

    # Submitting now: the uniform fails without a photo and nothing else is answered: problems at the items.
    page.locator('label.opt:has(> input[name="appearance.uniform"][value="fail"])').click()
    page.click("button[value=submit]")
    page.wait_for_selector('[id="item-appearance.uniform"].invalid .js-error')
    assert "请拍照记录不符合的情况" in page.inner_text('[id="item-appearance.uniform"]')
    assert "必须" in page.inner_text('[id="item-exterior.signage"]')
    assert page.locator(".cl-item.invalid").count() > 30
    # The page is at the first problem in the form's order; the section bar counts the problems per section.
    first = page.locator(".cl-item.invalid, .field.invalid").first.bounding_box()
    assert 0 <= first["y"] < 844
    marks = page.locator("#section-index a.has-problems .section-problems").all_inner_texts()
    assert len(marks) > 3 and all(m.startswith("!") for m in marks)
    # Dealing with one item clears its mark; the refusal stays while problems are left, beside the autosave.
    page.locator('label.opt:has(> input[name="exterior.signage"][value="pass"])').click()
    page.wait_for_selector("#fill-status:has-text('已于')")
    assert "检查未提交" in page.inner_text("#fill-errors") and page.is_visible("#fill-errors")
    assert "invalid" not in page.get_attribute('[id="item-exterior.signage"]', "class")
    assert db.session.get(Visit, visit.id).status is VisitStatus.IN_PROGRESS
