"""Demo visits for ``flask demo load``: the previous month done, validated and released, the current month
under way (validated, waiting for validation, returned, started, planned), with varied scores, a few red
lines and photos where the checklists ask for them. Planned through the planning services and carried out
through the visits services, each step at the time it would have happened, so every record (history,
revisions, audit) is as real use leaves it. Deterministic: loading again finds the visits by their ids and
changes nothing.

It lives in planning, not in visits, because a demo visit is planned before it is done (planning sits above
visits); :mod:`surveyapp.planning.demo`, which ``flask demo load`` discovers, registers it."""
from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.auth.models import Role, User
from surveyapp.checklists import scoring
from surveyapp.checklists.definition import EvidenceRule, Item, ItemKind, VisitType
from surveyapp.demo import scenes
from surveyapp.demo.loader import register
from surveyapp.org.models import Hall
from surveyapp.planning.services import Plan, plan_visit
from surveyapp.visits import evidence, queries, services, validation
from surveyapp.visits.content import Content
from surveyapp.visits.models import Visit
from surveyapp.visits.rules import VisitSettings

NAMESPACE = uuid.UUID("6f2b8c1e-3d4a-4b7e-9a51-0c2d7e8f9a10")
SCENARIOS = ("缴费", "咨询", "新装", "业务变更", "投诉", "故障报修")
IMPRESSIONS = (
    "营业厅整体环境整洁，营业员态度热情，业务办理较快，个别细节仍需改进。",
    "进厅后有人主动引导取号，等候时间不长，营业员解释耐心，整体体验良好。",
    "厅内秩序一般，高峰时段等候较久，营业员忙于手头工作，主动服务意识不足。",
    "服务规范，用语文明，办理完毕主动道别，值得表扬。",
    "环境尚可，但部分设施有故障未及时处理，营业员对业务解释不够清楚。",
)


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    """Let the services see ``moment`` as now (each step of a demo visit happens at its own time), never later
    than the app's clock: demo data has no time in the future (on the 1st, last month's release is "now")."""
    config = current_app.config
    before = config.get("FROZEN_NOW")
    config["FROZEN_NOW"] = min(moment, clock.now())
    try:
        yield
    finally:
        config["FROZEN_NOW"] = before


def _answer(item: Item, rng: random.Random, strict: float) -> object:
    """A plausible answer: mostly good, now and then a failure (``strict`` is this hall's failure rate)."""
    if item.kind is ItemKind.CHECK:
        return scoring.NA if rng.random() < 0.03 else scoring.FAIL if rng.random() < strict else scoring.PASS
    if item.kind is ItemKind.COUNT:
        return 1 if rng.random() < strict / 3 else 0
    if item.kind is ItemKind.SCALE:
        return max(0, (item.points or 0) - (rng.random() < strict * 3) - (rng.random() < strict))
    return None


def _answers(visit: Visit, rng: random.Random, strict: float, redline: bool) -> dict[str, object]:
    items = scoring.applicable_items(visit.checklist_version.definition, visit.type, visit.hall.type)
    answers: dict[str, object] = {}
    for item in items:
        value = _answer(item, rng, strict)
        if item.redline and value not in (scoring.PASS, 0, scoring.NA):
            value = scoring.PASS if item.kind is ItemKind.CHECK else 0  # red lines only where chosen
        if item.kind is ItemKind.STAFF and visit.hall.staff:
            value = [rng.choice(visit.hall.staff).job_number]
        if value is not None:
            answers[item.key] = value
    if redline:
        item = rng.choice([i for i in items if i.redline and i.kind in (ItemKind.CHECK, ItemKind.COUNT)])
        answers[item.key] = scoring.FAIL if item.kind is ItemKind.CHECK else 1
    return answers


def _do_visit(session: Session, visit: Visit, status: str, when: dt.datetime, rng: random.Random,
              market: User, settings: VisitSettings, redline: bool = False) -> None:
    """Carry a planned demo visit as far as ``status`` says, each step at its own time."""
    supervisor = visit.supervisor
    with _at(when - dt.timedelta(minutes=50)):
        services.start_visit(session, supervisor, visit)
    answers = _answers(visit, rng, strict=rng.choice((0.02, 0.05, 0.1, 0.18)), redline=redline)
    definition = visit.checklist_version.definition
    remarks = {}
    with _at(when - dt.timedelta(minutes=30)):
        for key, value in answers.items():
            item = definition.item(key)
            if scoring.is_failed(item, value):
                remarks[key] = scenes.remark(item.id, item.text, f"{visit.uid}:{key}")
            if item.evidence is not EvidenceRule.NONE and scoring.needs_evidence(item, value):
                picture = scenes.photo(visit.hall.name, item.text, f"{visit.uid}:{key}", clock.now())
                evidence.add_photo(session, supervisor, visit, key, None, io.BytesIO(picture), settings=settings)
    if status == "in_progress":
        fields = [[key, ",".join(v) if isinstance(v, list) else str(v)] for key, v in list(answers.items())[:12]]
        services.save_draft(session, supervisor, visit, fields, when, settings=settings)
        return
    content = Content(answers=answers, remarks=remarks, visited_at=when - dt.timedelta(minutes=45),
                      scenario=rng.choice(SCENARIOS), impression=rng.choice(IMPRESSIONS))
    with _at(when):
        services.submit_visit(session, supervisor, visit, str(uuid.uuid5(NAMESPACE, visit.uid + ":1")), content,
                              settings=settings)
    if status == "submitted":
        return
    with _at(min(when + dt.timedelta(hours=20), clock.now())):
        if status == "returned":
            validation.return_visit(session, market, visit, None, "请补充不符合项的具体情况（时间、位置、工号）。")
        elif status == "rejected":
            validation.reject(session, market, visit, None, "照片与所述情况不符，请重新安排检查。")
        else:
            validation.approve(session, market, visit, None, settings=settings)


def _channels(hall: Hall, supervisors: list[User]) -> list[tuple[VisitType, User]]:
    """The visits a hall gets in a month: unannounced always, announced for self-run halls, and a social
    supervisor's visit for every other hall (by supervisors who cover it)."""
    covering = [s for s in supervisors if queries.covers(s, hall)]
    internal = [s for s in covering if not s.external] or covering
    external = [s for s in covering if s.external]
    plan = [(VisitType.UNANNOUNCED, internal[hall.id % len(internal)])] if internal else []
    if hall.type.value == "self-run" and internal:
        plan.append((VisitType.ANNOUNCED, internal[(hall.id + 1) % len(internal)]))
    if external and hall.id % 2 == 0:
        plan.append((VisitType.SUPERVISOR, external[hall.id % len(external)]))
    return plan


@register("visits", order=40)
def load(session: Session) -> str:
    """Visits of the previous and the current month (see the module docstring)."""
    versions = {t: next(iter(queries.newest_versions(session, t)), None) for t in VisitType}
    if not all(versions.values()):
        return "skipped: load the checklists first (flask forms load)"
    supervisors = list(session.scalars(sa.select(User).where(User.role == Role.SUPERVISOR, User.active.is_(True))
                                       .order_by(User.username)))
    markets = list(session.scalars(sa.select(User).where(User.role == Role.MARKET).order_by(User.username)))
    halls = list(session.scalars(sa.select(Hall).where(Hall.active.is_(True)).order_by(Hall.code)))
    if not supervisors or not markets or not halls:
        return "skipped: no halls, supervisors or market users"
    today = clock.today()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    # The demo's story: the company has used these checklist versions since before its first demo month.
    since = dt.datetime.combine(last_month, dt.time(0), clock.company_tz())
    for version in versions.values():
        version.first_loaded_at = min(version.first_loaded_at, since)
    settings = VisitSettings.of(current_app)
    made = 0
    for month in (last_month, this_month):
        rng = random.Random(f"surveyapp-demo-{month:%Y-%m}")
        released = []
        for n, hall in enumerate(halls):
            for type_, supervisor in _channels(hall, supervisors):
                uid = str(uuid.uuid5(NAMESPACE, f"{month:%Y-%m}:{hall.code}:{type_.value}"))
                if session.scalar(sa.select(Visit.id).where(Visit.uid == uid)) is not None:
                    continue
                visit = _plan(session, hall, versions[type_], type_, supervisor, month, uid, markets[0])
                status, when = _fate(month, this_month, today, rng)
                if status != "planned":
                    _do_visit(session, visit, status, when, rng, markets[n % len(markets)], settings,
                              redline=(n % 23 == 5 and type_ is VisitType.UNANNOUNCED))
                if month == last_month and visit.status.value == "validated":
                    released.append(visit)
                made += 1
        if released:
            # The previous month's notice has been published: its confidential visits are released too.
            with _at(dt.datetime.combine(this_month + dt.timedelta(days=2), dt.time(9), clock.company_tz())):
                validation.release_visits(session, markets[0], released)
    return f"visits +{made} new (previous and current month)"


def _plan(session: Session, hall: Hall, version: object, type_: VisitType, supervisor: User, month: dt.date,
          uid: str, market: User) -> Visit:
    due_until = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    with _at(dt.datetime.combine(month, dt.time(9), clock.company_tz())):
        return plan_visit(session, market, Plan(hall, version, type_, supervisor, month, due_until), uid=uid)


def _fate(month: dt.date, this_month: dt.date, today: dt.date, rng: random.Random) -> tuple[str, dt.datetime]:
    """How far a demo visit got, and when it took place (never in the future)."""
    zone = clock.company_tz()
    if month < this_month:
        day = rng.randrange(1, 28)
        status = "rejected" if rng.random() < 0.02 else "validated"
    else:
        if today.day <= 2:
            return "planned", dt.datetime.combine(today, dt.time(9), zone)
        day = rng.randrange(1, today.day - 1)
        status = rng.choices(("validated", "submitted", "returned", "in_progress", "planned"), (45, 15, 5, 10, 25))[0]
    moment = dt.datetime.combine(month.replace(day=day), dt.time(rng.randrange(9, 17), rng.randrange(0, 60)), zone)
    return status, moment

