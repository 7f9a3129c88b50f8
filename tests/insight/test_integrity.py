"""Evidence integrity: trap items, photo times and reuse, durations, travel; the queue, the page, the command.

Visits are made through the visits services (plan, start, upload, submit), so the flags are the ones the
submission receiver stores, as in production.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app
from PIL import ExifTags, Image, ImageDraw
from werkzeug.datastructures import FileStorage

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.planning import services as planning
from surveyapp.visits import evidence, services, validation
from surveyapp.visits.content import Content
from surveyapp.visits.models import Photo, Visit, VisitFlag
from surveyapp.visits.rules import VisitSettings
from tests.conftest import scored_form
from tests.insight.conftest import NOW
from tests.pdfcheck import read_pdf
from tests.visits.conftest import english

TRAP_CHECKLIST = scored_form("trap-test", "现场测试表", "On-site test form") + '''
[[section.item]]
id = "counter"
text = "柜台整洁"
text_en = "Counter tidy"
kind = "check"
points = 10
evidence = "required"

[[section.item]]
id = "awning"
text = "门头雨棚干净无破损"
text_en = "The entrance awning is clean and intact"
kind = "check"
points = 5
integrity = true
expected = "na"
'''


def picture(seed: int = 1, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A picture with shapes (a perceptual hash needs structure); different seeds give different pictures."""
    image = Image.new("RGB", size, (240, 240, 235))
    draw = ImageDraw.Draw(image)
    w, h = size
    for n in range(12):
        k = (seed * 37 + n * 91) % 97
        x, y = (k * 13 + n * 29) % w, (k * 7 + n * 53) % h
        draw.rectangle([x, y, x + w // 5, y + h // 6], fill=((k * 5) % 256, (n * 40) % 256, (seed * 60) % 256))
    return image


def jpeg(image: Image.Image, taken: dt.datetime | None = None, gps: tuple[float, float] | None = None,
         quality: int = 90) -> bytes:
    exif = Image.Exif()
    if taken is not None:
        local = taken.astimezone(dt.timezone(dt.timedelta(hours=8)))
        details = exif.get_ifd(ExifTags.IFD.Exif)
        details[ExifTags.Base.DateTimeOriginal] = local.strftime("%Y:%m:%d %H:%M:%S")
        details[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    if gps is not None:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef], info[ExifTags.GPS.GPSLatitude] = "N", (gps[0], 0.0, 0.0)
        info[ExifTags.GPS.GPSLongitudeRef], info[ExifTags.GPS.GPSLongitude] = "E", (gps[1], 0.0, 0.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


VISIT_TIME = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def trap(make_checklist: Callable[..., Any]) -> Any:
    return make_checklist("trap-test", source=TRAP_CHECKLIST)


@pytest.fixture
def visit_by(app: Any, trap: Any, make_user: Callable[..., Any], make_hall: Callable[..., Any],
             make_staff: Callable[..., Any]) -> Callable[..., Visit]:
    """A submitted visit of the trap checklist: ``photo`` (JPEG bytes) on the counter item, started at
    ``visited_at`` and submitted ``minutes`` later (by default a picture of its own, taken at the visit)."""
    seeds = iter(range(100, 10**6))

    def make(hall: Any = None, supervisor: Any = None, photo: bytes | None = None, visited_at: dt.datetime = VISIT_TIME,
             minutes: float = 15, awning: str = "na", score: int = 90) -> Visit:
        hall = hall or make_hall()
        supervisor = supervisor or make_user(Role.SUPERVISOR, password=None, units=[hall.unit])
        day = visited_at.date()
        visit = planning.plan_visit(db.session, None, planning.Plan(hall, trap, "unannounced", supervisor, day, day))
        app.config["FROZEN_NOW"] = visited_at.isoformat()
        services.start_visit(db.session, supervisor, visit)
        upload = FileStorage(io.BytesIO(photo or jpeg(picture(next(seeds)), visited_at)), filename="a.jpg")
        evidence.add_photo(db.session, supervisor, visit, "main.counter", str(uuid.uuid4()), upload, settings=VisitSettings.of(app))
        app.config["FROZEN_NOW"] = NOW.isoformat()
        content = Content(answers={"main.score": score, "main.counter": "pass", "main.awning": awning},
                          visited_at=visited_at, scenario="缴费", impression="整体服务规范，营业员态度热情，业务办理高效。")
        services.submit_visit(db.session, supervisor, visit, str(uuid.uuid4()), content,
                              submitted_at=visited_at + dt.timedelta(minutes=minutes), settings=VisitSettings.of(app))
        db.session.commit()
        return visit

    return make


def flags_of(visit: Visit) -> list[tuple[str, int | None]]:
    """``(kind, other visit id)`` of the visit's stored flags, sorted."""
    rows = db.session.execute(sa.select(VisitFlag.kind, VisitFlag.other_visit_id).where(VisitFlag.visit_id == visit.id))
    return sorted(tuple(r) for r in rows)  # type: ignore[misc]


def test_a_photo_reused_at_another_hall_and_one_taken_5_hours_off_are_flagged(visit_by):
    first = visit_by(photo=jpeg(picture(1), VISIT_TIME))
    later = VISIT_TIME + dt.timedelta(days=3)
    reused = visit_by(photo=jpeg(picture(1), VISIT_TIME), visited_at=later)  # the same file, another hall
    honest = visit_by(photo=jpeg(picture(2), later + dt.timedelta(hours=5)), visited_at=later)
    assert flags_of(reused) == sorted([("photo_time", None), ("same_photo", first.id)])
    assert flags_of(first) == [("same_photo", reused.id)]  # written on both, each linking the other
    assert flags_of(honest) == [("photo_time", None)]
    details = db.session.scalar(sa.select(VisitFlag.details).where(VisitFlag.visit_id == honest.id))
    assert details["hours"] == 5.0 and details["limit"] == 2.0


def test_a_re_encoded_and_resized_copy_is_found_but_a_different_photo_is_not(visit_by):
    first = visit_by(photo=jpeg(picture(3), VISIT_TIME))
    copy = jpeg(picture(3).resize((400, 300)), VISIT_TIME - dt.timedelta(days=40), quality=55)
    second = visit_by(photo=copy, visited_at=VISIT_TIME - dt.timedelta(days=40))  # another month
    other = visit_by(photo=jpeg(picture(4), VISIT_TIME - dt.timedelta(days=41)), visited_at=VISIT_TIME - dt.timedelta(days=41))
    assert flags_of(second) == [("similar_photo", first.id)]
    assert flags_of(other) == []
    assert {p.sha256 for p in first.photos} != {p.sha256 for p in second.photos}


def test_a_visit_submitted_too_fast_for_its_items_is_flagged(visit_by):
    quick = visit_by(minutes=0.25)  # 15 s for 3 items; at least 30 s expected
    slow = visit_by(minutes=12)
    assert flags_of(quick) == [("too_short", None)]
    assert flags_of(slow) == []


def test_overlapping_and_unreachable_visits_of_one_supervisor_are_flagged(visit_by, make_hall, make_user):
    shanghai = make_hall("SH1")
    shanghai.latitude, shanghai.longitude = 31.2304, 121.4737
    suzhou = make_hall("SZ1", unit=shanghai.unit)  # about 85 km away
    suzhou.latitude, suzhou.longitude = 31.2990, 120.5853
    nearby = make_hall("SH2", unit=shanghai.unit)
    nearby.latitude, nearby.longitude = 31.2404, 121.4837
    db.session.commit()
    supervisor = make_user(Role.SUPERVISOR, password=None, units=[shanghai.unit])
    first = visit_by(shanghai, supervisor, visited_at=VISIT_TIME)
    far = visit_by(suzhou, supervisor, visited_at=VISIT_TIME + dt.timedelta(minutes=40))
    overlapping = visit_by(make_hall(unit=shanghai.unit), supervisor, visited_at=VISIT_TIME + dt.timedelta(minutes=40, seconds=10))
    reachable = visit_by(nearby, supervisor, visited_at=VISIT_TIME + dt.timedelta(hours=3))
    assert ("travel", first.id) in flags_of(far)
    assert ("overlap", far.id) in flags_of(overlapping)
    assert flags_of(reachable) == []
    travel = db.session.scalar(sa.select(VisitFlag.details).where(VisitFlag.visit_id == far.id, VisitFlag.kind == "travel"))
    assert 80 < travel["km"] < 90 and travel["minutes"] == 40


def test_a_photo_far_from_the_hall_is_flagged_and_its_position_is_not_kept(visit_by, make_hall):
    hall = make_hall()
    hall.latitude, hall.longitude = 31.0, 121.0
    db.session.commit()
    near = visit_by(hall, photo=jpeg(picture(5), VISIT_TIME, gps=(31.0, 121.0)))
    later = VISIT_TIME + dt.timedelta(days=1)
    away = visit_by(hall, photo=jpeg(picture(6), later, gps=(32.0, 121.0)), visited_at=later)
    assert flags_of(near) == [] and flags_of(away) == [("photo_far", None)]
    photo = db.session.scalar(sa.select(Photo).where(Photo.visit_id == away.id))
    assert photo.near_hall is False and 110_000 < photo.hall_distance_m < 112_000
    columns = {c.name for c in Photo.__table__.columns}
    assert not {"latitude", "longitude", "gps"} & columns


def test_a_wrong_integrity_answer_flags_the_visit_without_changing_its_score(visit_by):
    truthful = visit_by(awning="na")
    caught = visit_by(awning="pass", visited_at=VISIT_TIME + dt.timedelta(days=1))
    assert flags_of(truthful) == [] and flags_of(caught) == [("integrity_answer", None)]
    assert truthful.score == caught.score  # never scored: 100 × (90 + 10) / 110 either way
    answer = next(a for a in caught.answers if a.item.key == "main.awning")
    assert answer.possible is None and not answer.failed


def test_the_validator_sees_the_flags_and_the_queue_counts_and_filters_them(visit_by, login_as, client):
    clean = visit_by(minutes=20)
    flagged = visit_by(awning="pass", minutes=0.1, visited_at=VISIT_TIME + dt.timedelta(days=1))
    login_as(Role.MARKET)
    english(client)
    page = client.get("/visits/queue").get_data(as_text=True)
    assert f'href="/visits/{flagged.uid}#flags"' in page and ">2</a>" in page
    only = client.get("/visits/queue?flag=integrity_answer").get_data(as_text=True)
    assert flagged.uid in only and clean.uid not in only
    detail = client.get(f"/visits/{flagged.uid}").get_data(as_text=True)
    assert "Integrity question answered wrongly" in detail
    assert "Answered “Pass” where a supervisor who was there answers “Not applicable”." in detail
    assert "Visit too short" in detail


def test_a_wrong_answers_reason_reads_as_the_form_shows_it_and_json_keeps_the_values(visit_by, login_as, client,
                                                                                    runner):
    caught = visit_by(awning="pass")
    login_as(Role.MARKET)
    pages = {"zh": [client.get(f"/visits/{caught.uid}"), client.get("/insight/integrity/?period=2026-11")]}
    english(client)
    pages["en"] = [client.get(f"/visits/{caught.uid}"), client.get("/insight/integrity/?period=2026-11")]
    said = {"zh": "回答为“符合”，而到过现场的监督员会回答“不适用”。",
            "en": "Answered “Pass” where a supervisor who was there answers “Not applicable”."}
    for lang, responses in pages.items():
        for response in responses:
            text = response.get_data(as_text=True)
            assert response.status_code == 200 and said[lang] in text, (lang, response.request.path)
            assert " answers na" not in text and "answers “na”" not in text
    assert said["zh"] in runner.invoke(args=["integrity", "2026-11"]).output
    assert said["en"] in runner.invoke(args=["integrity", "2026-11", "--lang", "en"]).output
    data = json.loads(runner.invoke(args=["integrity", "2026-11", "--json"]).output)
    [flag] = [f for v in data["flagged_visits"] for f in v["flags"] if f["kind"] == "integrity_answer"]
    assert flag["details"] == {"answer": "pass", "expected": "na"}


def test_an_integrity_question_never_reaches_the_hall(visit_by, make_user, login, client, app):
    visit = visit_by(awning="pass", score=60)
    market = make_user(Role.MARKET, password=None)
    validation.approve(db.session, market, visit, None, settings=VisitSettings.of(current_app))
    validation.release_visits(db.session, market, [visit])
    db.session.commit()
    manager = login(make_user(Role.HALL_MANAGER, halls=[visit.hall]))
    assert manager
    pages = [client.get("/hall/visits/"), client.get(f"/hall/visits/{visit.uid}"), client.get("/feedback/findings"),
             client.get("/insight/integrity/?period=2026-11")]
    texts = [p.get_data(as_text=True) for p in pages]
    assert [p.status_code for p in pages[:2]] == [200, 200] and pages[3].status_code in (403, 404)
    for text in texts:
        assert "门头雨棚" not in text and "awning" not in text.lower() and "诚信" not in text
    assert f'<span class="score">{visit.score:.1f}</span>' in texts[1]  # the visit itself, with its score


def test_a_picture_reused_on_many_visits_links_each_use_to_the_earliest_few(app, visit_by, runner, make_user):
    """Reused N times, a picture makes on the order of N flags, not N²: each use links the earliest
    EVIDENCE_LINKED_VISITS other uses and says how many there are; recomputing the month or taking the first
    use's photo off keeps the flags as the rule says."""
    app.config["EVIDENCE_LINKED_VISITS"] = 2
    photo = jpeg(picture(9), VISIT_TIME)
    uses = [visit_by(photo=photo, visited_at=VISIT_TIME + dt.timedelta(hours=3 * n)) for n in range(8)]
    ids = [v.id for v in uses]

    def links() -> dict[int, set[int]]:
        rows = db.session.execute(sa.select(VisitFlag.visit_id, VisitFlag.other_visit_id)
                                  .where(VisitFlag.kind == "same_photo")).all()
        out: dict[int, set[int]] = {i: set() for i in ids}
        for visit_id, other in rows:
            out[visit_id].add(other)
        return out

    found = links()
    assert sum(map(len, found.values())) < 8 * 7  # unbounded, every use would link all seven others
    for later in ids[3:]:
        assert found[later] == set(ids[:2])  # the earliest two, from the last use as from the fourth
    assert found[ids[0]] == set(ids[1:])  # the first use is linked by every later one (mirrored)
    details = db.session.scalar(sa.select(VisitFlag.details).where(
        VisitFlag.visit_id == ids[-1], VisitFlag.other_visit_id == ids[0]))
    assert details["uses"] == 7
    assert "evidence on 7 other visits" in runner.invoke(args=["integrity", "2026-11", "--lang", "en"]).output
    db.session.execute(sa.delete(VisitFlag))
    db.session.commit()
    assert runner.invoke(args=["integrity", "2026-11", "--recompute"]).exit_code == 0
    db.session.expire_all()
    assert links() == found  # the month recomputed gives the same links
    # The first use's photo taken off: the later uses link the next earliest instead.
    first = uses[0]
    evidence_visit = db.session.get(Visit, first.id)
    validation.return_visit(db.session, make_user(Role.MARKET, password=None), evidence_visit, None, "请重拍")
    evidence.remove_photo(db.session, evidence_visit.supervisor, evidence_visit, evidence_visit.photos[0].uid)
    db.session.commit()
    after = links()
    assert after[ids[0]] == set()
    for later in ids[3:]:
        assert after[later] == set(ids[1:3])  # now the earliest two are the second and third use


def test_the_month_report_and_the_command_list_the_flagged_visits(visit_by, login_as, client, runner):
    first = visit_by(photo=jpeg(picture(7), VISIT_TIME))
    reused = visit_by(photo=jpeg(picture(7), VISIT_TIME), visited_at=VISIT_TIME + dt.timedelta(days=2))
    login_as(Role.MARKET)
    english(client)
    page = client.get("/insight/integrity/?period=2026-11").get_data(as_text=True)
    assert "Same photo on another visit" in page and f"/visits/{first.uid}" in page and f"/visits/{reused.uid}" in page
    assert client.get("/insight/integrity/?period=2026-13").status_code == 400
    result = runner.invoke(args=["integrity", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["period"] == "2026-11" and data["visits"] == 2 and data["flagged"] == 2
    line = next(v for v in data["flagged_visits"] if v["visit"] == reused.uid)
    assert {"kind": "same_photo", "item": "main.counter", "other_visit": first.uid,
            "details": {"photo": reused.photos[0].id, "other_item": "main.counter"}} in line["flags"]
    db.session.execute(sa.delete(VisitFlag))
    db.session.commit()
    text = runner.invoke(args=["integrity", "2026-11", "--recompute", "--lang", "en"]).output
    assert "2 of 2 submitted visits flagged" in text and "Same photo on another visit [main.counter]" in text
    assert runner.invoke(args=["integrity", "11-2026"]).exit_code == 1


def test_the_supervisor_is_asked_the_integrity_question_like_any_other(app, trap, make_hall, make_user, login, client):
    hall = make_hall()
    supervisor = make_user(Role.SUPERVISOR, units=[hall.unit])
    visit = planning.plan_visit(db.session, None, planning.Plan(hall, trap, "unannounced", supervisor,
                                                                 VISIT_TIME.date(), VISIT_TIME.date()))
    services.start_visit(db.session, supervisor, visit)
    db.session.commit()
    login(supervisor)
    page = client.get(f"/my/visits/{visit.uid}").get_data(as_text=True)
    awning = page[page.index('id="item-main.awning"'):]
    awning = awning[:awning.index("</fieldset>")]
    assert "门头雨棚干净无破损" in awning and "5 分" in awning  # its points shown, as on every item
    assert "诚信" not in page and "integrity" not in page.lower()


def test_the_paper_form_prints_the_integrity_question_like_the_others(trap, login_as, client):
    login_as(Role.MARKET)
    response = client.get("/checklists/trap-test/v1/blank.pdf")
    assert response.status_code == 200
    text = "".join(read_pdf(response.data).text.split())
    item = text[text.index("门头雨棚干净无破损"):]
    assert "5分" in item[:40]  # its points printed beside it, as on every item
    assert "诚信" not in text and "预期" not in text


# --- flags kept true: every change to what a check reads finds the flags again --------------------------------


def test_taking_a_reused_photo_off_a_returned_visit_drops_the_flags_on_both_visits(visit_by, make_user):
    first = visit_by(photo=jpeg(picture(7), VISIT_TIME))
    reused = visit_by(photo=jpeg(picture(7), VISIT_TIME), visited_at=VISIT_TIME + dt.timedelta(days=2))
    assert flags_of(first) == [("same_photo", reused.id)]
    assert flags_of(reused) == [("photo_time", None), ("same_photo", first.id)]
    validation.return_visit(db.session, make_user(Role.MARKET, password=None), reused, None, "请换成本次拍摄的照片")
    db.session.commit()
    # Returned, the visit still holds what it submitted: its flags stand until it changes.
    assert flags_of(reused) == [("photo_time", None), ("same_photo", first.id)]
    evidence.remove_photo(db.session, reused.supervisor, reused, reused.photos[0].uid)
    db.session.commit()
    assert flags_of(first) == [] and flags_of(reused) == []


def test_cancelling_a_started_visit_drops_the_flag_it_gave_another_visit(app, visit_by, trap, make_hall, make_user):
    hall = make_hall()
    supervisor = make_user(Role.SUPERVISOR, password=None, units=[hall.unit])
    started = planning.plan_visit(db.session, None, planning.Plan(hall, trap, "unannounced", supervisor,
                                                                  VISIT_TIME.date(), VISIT_TIME.date()))
    services.start_visit(db.session, supervisor, started)
    evidence.add_photo(db.session, supervisor, started, "main.counter", str(uuid.uuid4()),
                       FileStorage(io.BytesIO(jpeg(picture(9), VISIT_TIME)), filename="a.jpg"), settings=VisitSettings.of(current_app))
    db.session.commit()
    submitted = visit_by(photo=jpeg(picture(9), VISIT_TIME))
    assert flags_of(submitted) == [("same_photo", started.id)]
    planning.cancel_visit(db.session, make_user(Role.MARKET, password=None), started, None, "重复安排")
    db.session.commit()
    assert flags_of(submitted) == []


def test_a_visit_submitted_again_at_another_time_no_longer_overlaps(visit_by, make_hall, make_user):
    first_hall = make_hall()
    supervisor = make_user(Role.SUPERVISOR, password=None, units=[first_hall.unit])
    first = visit_by(first_hall, supervisor, visited_at=VISIT_TIME)
    second = visit_by(make_hall(unit=first_hall.unit), supervisor, visited_at=VISIT_TIME + dt.timedelta(seconds=10))
    assert flags_of(second) == [("overlap", first.id)] and flags_of(first) == [("overlap", second.id)]
    validation.return_visit(db.session, make_user(Role.MARKET, password=None), second, None, "请核对检查时间")
    later = VISIT_TIME + dt.timedelta(hours=4)
    services.submit_visit(db.session, supervisor, second, str(uuid.uuid4()), Content(
        answers={"main.score": 90, "main.counter": "pass", "main.awning": "na"}, visited_at=later, scenario="缴费",
        impression="整体服务规范，营业员态度热情，业务办理高效。"), submitted_at=later + dt.timedelta(minutes=15), settings=VisitSettings.of(current_app))
    db.session.commit()
    # No overlap any more, on either visit; its photo, taken at the first time, is now 4 hours off.
    assert flags_of(first) == [] and flags_of(second) == [("photo_time", None)]


def test_halls_given_their_locations_later_get_the_travel_check_and_lose_it_when_cleared(visit_by, make_hall,
                                                                                       make_user):
    from surveyapp.org import services as org

    shanghai = make_hall("SH1")
    suzhou = make_hall("SZ1", unit=shanghai.unit)
    supervisor = make_user(Role.SUPERVISOR, password=None, units=[shanghai.unit])
    first = visit_by(shanghai, supervisor, visited_at=VISIT_TIME)
    far = visit_by(suzhou, supervisor, visited_at=VISIT_TIME + dt.timedelta(minutes=40))
    assert flags_of(far) == []  # no location, no travel check

    def locate(hall, position):
        org.update_hall(db.session, None, hall, code=hall.code, name=hall.name, type=hall.type, unit=hall.unit,
                        address=hall.address, latitude=position[0], longitude=position[1])
        db.session.commit()

    locate(shanghai, (31.2304, 121.4737))
    locate(suzhou, (31.2990, 120.5853))  # about 85 km away
    assert flags_of(far) == [("travel", first.id)] and flags_of(first) == [("travel", far.id)]
    locate(suzhou, (None, None))
    assert flags_of(far) == [] and flags_of(first) == []
