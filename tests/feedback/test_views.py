"""The feedback pages as hall managers and market staff use them."""
from __future__ import annotations

import io
import re
import uuid

import sqlalchemy as sa

from surveyapp.db import db
from surveyapp.feedback import services
from surveyapp.feedback.models import (
    FeedbackPhoto,
    Finding,
    FindingStatus,
)
from surveyapp.notifications.models import Notification
from tests.conftest import form_fields, jpeg_bytes
from tests.feedback.conftest import set_now


def _message(response) -> str:
    """The error page's message, without anything that names the object asked for."""
    return re.search(r"<h1>(.*?)</h1>", response.get_data(as_text=True), re.DOTALL).group(1).strip()


def test_a_hall_walking_another_halls_ids_gets_the_404_of_a_missing_object(app, client, login, released, make_photo):
    mine, theirs = released(), released()
    finding = theirs.finding("appearance.uniform")
    rectification = services.rectify(db.session, theirs.manager, finding, None, "已整改", [io.BytesIO(jpeg_bytes())])
    db.session.commit()
    evidence = next(p for p in theirs.visit.photos if p.item_key == "appearance.uniform")
    login(mine.manager)
    missing = str(uuid.uuid4())
    pairs = [
        (f"/hall/visits/{theirs.visit.uid}", f"/hall/visits/{missing}"),
        (f"/feedback/findings/{finding.uid}", f"/feedback/findings/{missing}"),
        (f"/visits/photos/{evidence.uid}", f"/visits/photos/{missing}"),
        (f"/feedback/photos/{rectification.photos[0].uid}", f"/feedback/photos/{missing}"),
        (f"/feedback/hall?hall={theirs.hall.id}", "/feedback/hall?hall=999999"),
    ]
    for foreign, absent in pairs:
        a, b = client.get(foreign), client.get(absent)
        a.close()
        assert (a.status_code, _message(a)) == (b.status_code, _message(b)) == (404, _message(b)), foreign
    for action in ("rectify", "appeal"):
        a = client.post(f"/feedback/findings/{finding.uid}/{action}", data={"version": 1, "text": "x", "reason": "x"})
        b = client.post(f"/feedback/findings/{missing}/{action}", data={"version": 1, "text": "x", "reason": "x"})
        assert (a.status_code, _message(a)) == (b.status_code, _message(b)) == (404, _message(b))
    # Their own finding opens.
    assert client.get(f"/feedback/findings/{mine.finding('appearance.uniform').uid}").status_code == 200
    db.session.expire_all()
    assert finding.status is FindingStatus.RECTIFIED and finding.appeal is None


def test_the_hall_rectifies_with_a_photo_and_the_market_verifies(photo_storage, app, client, login, released, make_user):
    s = released()
    finding = s.finding("appearance.uniform")
    login(s.manager)
    page = client.get(f"/feedback/findings/{finding.uid}").get_data(as_text=True)
    assert "两名营业员未穿工装" in page
    response = client.post(f"/feedback/findings/{finding.uid}/rectify", content_type="multipart/form-data",
                           data={"version": finding.version, "text": "已为全员配发备用工装",
                                 "photos": [(io.BytesIO(jpeg_bytes()), "after.jpg")]})
    assert response.status_code == 302
    db.session.expire_all()
    [photo] = db.session.scalars(sa.select(FeedbackPhoto)).all()
    served = client.get(f"/feedback/photos/{photo.uid}")
    served.close()
    assert (served.status_code, served.headers["Content-Type"]) == (200, "image/jpeg")
    login(s.market)
    page = client.get(f"/feedback/findings/{finding.uid}").get_data(as_text=True)
    assert "已为全员配发备用工装" in page
    response = client.post(f"/feedback/findings/{finding.uid}/check", data={"version": finding.version, "action": "verify"})
    assert response.status_code == 302
    db.session.expire_all()
    assert finding.status is FindingStatus.VERIFIED


def test_a_refused_response_keeps_what_was_typed_and_says_why(app, client, login, released):
    s = released()
    finding = s.finding("appearance.uniform")
    set_now(app, "2026-11-09T08:00:00+08:00")
    login(s.manager)
    response = client.post(f"/feedback/findings/{finding.uid}/appeal", data={"version": finding.version, "reason": "工装送洗"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "2026-11-08" in page and "工装送洗" in page
    # A bad photo: nothing is stored, the text stays.
    response = client.post(f"/feedback/findings/{finding.uid}/rectify", content_type="multipart/form-data",
                           data={"version": finding.version, "text": "已整改",
                                 "photos": [(io.BytesIO(b"not a photo"), "x.jpg")]})
    assert response.status_code == 400 and "已整改" in response.get_data(as_text=True)
    db.session.expire_all()
    assert finding.status is FindingStatus.OPEN and not finding.rectifications


def test_the_market_upholds_an_appeal_from_the_page(app, client, login, released):
    s = released()
    finding = s.finding("interior.zones")
    services.appeal(db.session, s.manager, finding, None, "分区标识当日已张贴")
    db.session.commit()
    login(s.market)
    listing = client.get("/feedback/findings?show=appeals").get_data(as_text=True)
    assert f"/feedback/findings/{finding.uid}" in listing
    page = client.get(f"/feedback/findings/{finding.uid}").get_data(as_text=True)
    fields = {**form_fields(page), "version": re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)}
    response = client.post(f"/feedback/findings/{finding.uid}/decide", data={**fields, "action": "uphold", "corrected_to": "na"})
    assert response.status_code == 302
    db.session.expire_all()
    assert finding.status is FindingStatus.WITHDRAWN
    # A second market user still looking at the old page is told someone decided first.
    again = client.post(f"/feedback/findings/{finding.uid}/decide", data={**fields, "action": "reject", "reason": "x"})
    assert again.status_code == 409 and "flash-error" in again.get_data(as_text=True)


def test_hall_home_switches_halls_and_flags_overdue(app, client, login, released, make_hall, make_user):
    first = released()
    second_hall = make_hall(name="第二营业厅")
    manager = first.manager
    manager.halls.append(second_hall)
    db.session.commit()
    released(hall=second_hall, manager=manager)
    set_now(app, "2026-11-10T09:00:00+08:00")
    login(manager)
    assert client.get("/").headers["Location"].endswith("/feedback/hall")
    page = client.get("/feedback/hall").get_data(as_text=True)
    assert first.hall.name in page and 'class="overdue"' in page and "第二营业厅" in page  # in the switcher
    page = client.get(f"/feedback/hall?hall={second_hall.id}").get_data(as_text=True)
    assert "<h1>第二营业厅" in page


def test_supervisors_hear_of_returned_visits(app, make_visit, make_user):
    visit = make_visit(type="announced", status="returned")
    [message] = db.session.scalars(sa.select(Notification).where(Notification.user_id == visit.supervisor_id)).all()
    assert message.kind == "visit_returned" and message.args == {"uid": visit.uid}


def test_market_hears_of_appeals_and_rectifications(app, released):
    s = released()
    uniform, zones = s.finding("appearance.uniform"), s.finding("interior.zones")
    services.rectify(db.session, s.manager, uniform, None, "已整改")
    services.appeal(db.session, s.manager, zones, None, "不属实")
    db.session.commit()
    kinds = sorted(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == s.market.id)))
    assert kinds == ["appeal_new", "rectification_new"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 2
