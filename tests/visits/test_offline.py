"""Offline means offline: a visit opened once is reloaded with no network (the service worker keeps the page,
its scripts and styles), filled with a photo, submitted offline, and arrives exactly once when the network
is back. My visits, offline, says which visits are on the phone."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.visits.models import Photo, Visit, VisitRevision, VisitStatus
from tests.browser import log_in
from tests.conftest import full_marks
from tests.visits.test_browser import fill_section, photo

pytestmark = pytest.mark.browser


def test_a_visit_reloaded_filled_and_submitted_offline_arrives_once(new_page, make_hall, make_user, make_staff,
                                                                      make_visit):
    hall = make_hall("H0101", "中山路营业厅")
    make_staff(hall, "1001", "张三")
    supervisor = make_user(Role.SUPERVISOR, units=[hall.unit])
    visit = make_visit(hall, "unannounced", supervisor, status="in_progress")
    later = make_visit(hall, "announced", supervisor, status="planned")
    definition = visit.checklist_version.definition
    given = {**full_marks(visit.checklist_version, "unannounced", "self-run", ["1001"], photos=True),
             "appearance.uniform": "fail"}

    page = new_page(phone=True)
    log_in(page, supervisor.username)
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # My visits, now through the service worker: kept
    page.goto(f"/my/visits/{visit.uid}")  # the visit the supervisor has open: kept
    page.wait_for_selector("#visit-form")

    context = page.context
    context.set_offline(True)
    page.goto("/my/visits")
    page.wait_for_selector("#offline-note", state="visible")
    page.wait_for_selector(f'.visit-card.on-phone a[href="/my/visits/{visit.uid}"]', state="attached")
    assert page.locator(f'.visit-card.not-on-phone a[href="/my/visits/{later.uid}"]').count() == 1

    page.goto(f"/my/visits/{visit.uid}")
    page.wait_for_selector("#visit-form")
    page.click("#mode-switch button[data-mode=long]")
    page.select_option("select[name=scenario]", "缴费")
    fill_section(page, [i for s in definition.sections for i in s.items if i.key in given], given)
    photo(page, "appearance.uniform", "IMG_0001.JPG")
    page.wait_for_selector('[data-photos-for="appearance.uniform"] li.pending')
    page.fill("textarea[name=impression]", "营业厅整体环境整洁，营业员态度热情，但个别员工未统一着装。")
    page.click("button[value=submit]")
    page.wait_for_selector("#fill-status:has-text('没有网络')")
    # Reloaded while still offline: the page comes from the phone, with the answers and the waiting photo.
    page.reload()
    page.wait_for_selector('[data-photos-for="appearance.uniform"] li.pending', state="attached")
    assert page.input_value("textarea[name=impression]").startswith("营业厅整体环境整洁")
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status is VisitStatus.IN_PROGRESS

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("text=待审核", timeout=30_000)  # the photo first, then the submission
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status is VisitStatus.SUBMITTED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitRevision)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo).where(Photo.visit_id == visit.id)) == 1
