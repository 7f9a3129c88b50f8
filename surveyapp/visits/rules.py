"""The rules a submission must meet (beyond the checklist's own, which the scoring engine checks), reported
by form field so the phone page can show each problem at its item."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from surveyapp import clock, config
from surveyapp.checklists import scoring
from surveyapp.checklists.definition import ItemKind
from surveyapp.errors import ValidationError
from surveyapp.org.models import Staff
from surveyapp.visits import content as content_rules
from surveyapp.visits.content import Content
from surveyapp.visits.models import Visit

#: How far a client's clock may run ahead of the server's before its times are not believed.
CLOCK_SKEW = dt.timedelta(minutes=10)


#: No visit is older than this, whatever ``VISIT_MAX_AGE_YEARS`` says.
EARLIEST_VISIT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: Where the month-close rule is registered (by the notices capability, a higher room, at start-up).
MONTH_CLOSED = "surveyapp.month_closed"


@dataclass(frozen=True)
class VisitSettings:
    """The app's settings the visit rules read (README "Configuration"; defaults in :mod:`surveyapp.config`), and
    the month-close rule a higher capability registers. Built once at the edge (view, command, job, demo loader)
    with :meth:`of` and handed to the services, which never read the app themselves."""

    max_age_years: int = config.VISIT_MAX_AGE_YEARS
    plan_grace_days: int = config.VISIT_PLAN_GRACE_DAYS
    max_backdate_days: int = config.VISIT_MAX_BACKDATE_DAYS
    impression_min_length: int = config.VISIT_IMPRESSION_MIN_LENGTH
    geofence_metres: float = config.EVIDENCE_GEOFENCE_METRES
    #: ``(session, "YYYY-MM") -> bool``: whether a month is closed; ``None``: every month is open.
    month_closed: Callable[[Session, str], bool] | None = None

    @classmethod
    def of(cls, app: Any) -> VisitSettings:
        """The settings of ``app`` (a Flask app: its config, and the rule registered under :data:`MONTH_CLOSED`)."""
        settings = app.config
        return cls(max_age_years=max(0, int(settings.get("VISIT_MAX_AGE_YEARS", cls.max_age_years))),
                   plan_grace_days=max(0, int(settings.get("VISIT_PLAN_GRACE_DAYS", cls.plan_grace_days))),
                   max_backdate_days=max(0, int(settings.get("VISIT_MAX_BACKDATE_DAYS", cls.max_backdate_days))),
                   impression_min_length=int(settings.get("VISIT_IMPRESSION_MIN_LENGTH", cls.impression_min_length)),
                   geofence_metres=settings.get("EVIDENCE_GEOFENCE_METRES", cls.geofence_metres),
                   month_closed=app.extensions.get(MONTH_CLOSED))


def earliest_visit_time(now: dt.datetime, settings: VisitSettings) -> dt.datetime:
    """The earliest visit time accepted: ``VISIT_MAX_AGE_YEARS`` before ``now``, and never before 2000."""
    years = settings.max_age_years
    try:
        back = now.replace(year=now.year - years)
    except ValueError:  # 29 February
        back = now.replace(year=now.year - years, day=28)
    return max(back, EARLIEST_VISIT)


def visit_time_problem(moment: dt.datetime | None, settings: VisitSettings) -> str | None:
    """Why ``moment`` cannot be a visit's time (translated), or ``None``: the one check of visit times, for
    the phone page, the checklist form, submissions and imports alike."""
    if moment is None or moment.tzinfo is None:
        return _("Enter the visit time.")
    now = clock.now()
    try:
        earliest = earliest_visit_time(now, settings)
        too_early = moment < earliest
    except OverflowError:  # 0001-01-01 in a zone east of UTC has no UTC time
        return _("The visit time is too far in the past: the earliest accepted is %(date)s.", date=EARLIEST_VISIT.date())
    if too_early:
        return _("The visit time is too far in the past: the earliest accepted is %(date)s.",
                 date=clock.local(earliest).date().isoformat())
    if moment > now + CLOCK_SKEW:
        return _("The visit time cannot be in the future.")
    return None


def month_closed(session: Session, period: str, settings: VisitSettings) -> bool:
    """Whether month ``period`` is closed (its notice published or closed): a visit dated in it is *late*.
    Without the notices capability every month is open."""
    check = settings.month_closed
    return bool(check is not None and check(session, period))


class ContentInvalid(ValidationError):
    """A submission that breaks the checklist's rules; ``fields`` maps each form field to its messages
    (an item key for its answer, ``key.photos``, ``key.remark``, or ``staff``/``scenario``/``impression``/
    ``visited_at``)."""

    status = 422

    def __init__(self, fields: dict[str, list[str]], errors: list[str]) -> None:
        super().__init__(_("The visit was not submitted: correct the items marked."), errors=errors)
        self.fields = fields


def current_photos(visit: Visit) -> dict[str, list[str]]:
    """The photos attached to the visit now, by item key (``""`` for the visit as a whole)."""
    photos: dict[str, list[str]] = {}
    for photo in visit.photos:
        if photo.removed_at is None:
            photos.setdefault(photo.item_key or "", []).append(photo.uid)
    return photos


def staff_answered(visit: Visit, answers: Mapping[str, object]) -> set[str]:
    """Job numbers given as answers to the checklist's staff items (they count as staff served too)."""
    definition = visit.checklist_version.definition
    numbers: set[str] = set()
    for key, value in answers.items():
        item = definition.item(key)
        if item is not None and item.kind is ItemKind.STAFF and isinstance(value, list):
            numbers.update(value)
    return numbers


def hall_staff(session: Session, visit: Visit) -> dict[str, Staff]:
    """The hall's staff by job number (the only job numbers a visit may name): the hall's ``staff``, read once
    per session however often a submission asks (the page's form, the content's check, the visit's staff)."""
    return {s.job_number: s for s in visit.hall.staff}


def plausibility_problem(visit: Visit, moment: dt.datetime, submitted: dt.datetime, imported: bool,
                         settings: VisitSettings) -> str | None:
    """Why ``moment`` is not a plausible time for this visit (translated), or ``None``: not before its plan's due
    window opened (less ``VISIT_PLAN_GRACE_DAYS``), and, unless the market department imports it from paper, not
    before its checklist version first existed and not more than ``VISIT_MAX_BACKDATE_DAYS`` before its
    submission (paper results may be older than their entry, and older than the version's loading: README
    "Visits", plausible visit times)."""
    if visit.due_from is not None:
        grace = settings.plan_grace_days
        first = visit.due_from - dt.timedelta(days=grace)
        if clock.local(moment).date() < first:
            return _("The visit time is before the plan's due window opened (%(date)s; %(n)d days' grace): "
                     "check the date.", date=visit.due_from.isoformat(), n=grace)
    version = visit.checklist_version
    existed = version.first_loaded_at if version is not None else None
    # Visit times are entered to the minute: a visit begun in the minute the version was loaded is not before it.
    if not imported and existed is not None and moment < existed.replace(second=0, microsecond=0):
        return _("The visit time is before version %(version)s of this checklist existed (loaded %(when)s): "
                 "check the date.", version=version.version, when=clock.local(existed).strftime("%Y-%m-%d %H:%M"))
    days = settings.max_backdate_days
    if not imported and moment < submitted - dt.timedelta(days=days):
        return _("The visit time is more than %(n)d days before its submission: check the date. Older results "
                 "done on paper are imported by the market department.", n=days)
    return None


def check_content(session: Session, visit: Visit, content: Content, photos: Mapping[str, Sequence[str]], *,
                  settings: VisitSettings, submitted: dt.datetime | None = None,
                  imported: bool = False) -> dict[str, list[str]]:
    """Every problem with submitting ``content`` for ``visit``, by form field (empty: all is well).

    The checklist's rules come from the scoring engine (legal and complete answers); on top: the evidence
    rules (a photo where the item asks), remarks on asked items only, job numbers of this hall's staff, a
    scenario on mystery visits, an overall impression of the configured length, and a plausible visit time
    (:func:`visit_time_problem`, :func:`plausibility_problem`; ``submitted``: when it was submitted, default now;
    ``imported``: the market department's import of paper results).
    """
    definition = visit.checklist_version.definition
    hall_type = visit.hall.type
    fields: dict[str, list[str]] = {}

    def add(name: str, message: object) -> None:
        fields.setdefault(name, []).append(str(message))

    for problem in scoring.validate_answers(definition, visit.type, hall_type, content.answers, complete=True):
        add(problem.key, problem.message)
    staff = hall_staff(session, visit)
    for item in scoring.applicable_items(definition, visit.type, hall_type):
        value = content.answers.get(item.key)
        if value is None or item.key in fields:
            continue
        if item.kind is ItemKind.STAFF:
            for number in value if isinstance(value, list) else []:
                if number not in staff:
                    add(item.key, _("%(number)s is not a job number of this hall's staff.", number=number))
        if scoring.needs_evidence(item, value) and not photos.get(item.key) and content.evidence != content_rules.PAPER:
            add(f"{item.key}.photos", _("This item needs a photo.") if item.evidence.value == "required"
                else _("Add a photo of what failed."))
    for key, remark in content.remarks.items():
        item = definition.item(key)
        if item is None or not item.applies(visit.type, hall_type):
            add(f"{key}.remark", _("this checklist has no such item"))
        elif len(remark) > content_rules.MAX_REMARK:
            add(f"{key}.remark", _("At most %(n)d characters.", n=content_rules.MAX_REMARK))
    for number in content.staff:
        if number not in staff:
            add("staff", _("%(number)s is not a job number of this hall's staff.", number=number))
    scenario = (content.scenario or "").strip()
    if len(scenario) > content_rules.MAX_SCENARIO:
        add("scenario", _("At most %(n)d characters.", n=content_rules.MAX_SCENARIO))
    elif not scenario and visit.confidential:
        add("scenario", _("Say what you did in the hall as a customer."))
    impression = (content.impression or "").strip()
    least = settings.impression_min_length
    if len(impression) < least:
        add("impression", _("Write at least %(n)d characters about your overall impression.", n=least))
    elif len(impression) > content_rules.MAX_IMPRESSION:
        add("impression", _("At most %(n)d characters.", n=content_rules.MAX_IMPRESSION))
    problem = visit_time_problem(content.visited_at, settings)
    if problem is None and content.visited_at is not None:
        problem = plausibility_problem(visit, content.visited_at, submitted or clock.now(), imported, settings)
    if problem is not None:
        add("visited_at", problem)
    return fields


def problem_list(visit: Visit, fields: Mapping[str, list[str]]) -> list[str]:
    definition = visit.checklist_version.definition
    names = {"staff": _("Staff served"), "scenario": _("Scenario"), "impression": _("Overall impression"),
             "visited_at": _("Visit time")}
    out = []
    for name, messages in fields.items():
        item = definition.item(name) or definition.item(name.rsplit(".", 1)[0])
        label = f"{item.position}. {item.text}" if item is not None else str(names.get(name, name))
        out.extend(f"{label}: {m}" for m in messages)
    return out
