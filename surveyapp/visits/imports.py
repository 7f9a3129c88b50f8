"""Paper and offline results: ``flask visits import FILE.json`` and the upload page (DOMAIN.md "Bulk interfaces").

The whole file is checked before anything is written, and written in one transaction: any bad record
and nothing is imported; every problem is listed with its record number and visit id. Each record goes
through the supervisors' submission path (:func:`surveyapp.visits.services.submit_visit`), so it is checked
and scored exactly like a visit submitted on the phone, then optionally validated.

Evidence rule: paper records carry no photos. A record whose answers need a photo (``required`` items, or
``on-fail`` items that failed) is refused unless it says ``"evidence": "paper"``: the photos are kept
with the paper form. The flag is part of the submitted content, so the visit's record shows it.

Idempotent by visit id: a record whose visit exists with the same content changes nothing ("unchanged");
with other content it is an error naming the record. An id that is a planned (or started) visit with the
same hall, kind and supervisor is that visit done on paper or offline: it is completed by the record.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveyapp import clock, inputs
from surveyapp.audit.services import record as audit
from surveyapp.auth.models import Role, User
from surveyapp.bulk import RowErrors
from surveyapp.checklists import services as checklist_services
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.models import Checklist, ChecklistVersion
from surveyapp.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from surveyapp.org.models import Hall
from surveyapp.visits import queries, rules, services, validation
from surveyapp.visits.content import PAPER, Content, period_of
from surveyapp.visits.models import Visit, VisitRevision, VisitStatus

#: Largest file accepted, and most records in one file.
MAX_BYTES = 20 * 1024 * 1024
MAX_RECORDS = 20_000
FIELDS = ("id", "hall", "form", "form_version", "type", "supervisor", "visited_at", "answers", "remarks", "staff",
          "scenario", "impression", "evidence")
REQUIRED = ("id", "hall", "form", "form_version", "type", "supervisor", "visited_at", "answers")
#: Submission ids of imported records derive from their visit id, so a repeated import is recognised.
NAMESPACE = uuid.UUID("0b8c4f7e-5a1d-4c9b-8e26-3f7a9d1c5b40")


def submission_id(visit_uid: str) -> str:
    return str(uuid.uuid5(NAMESPACE, visit_uid))


class RecordErrors(RowErrors):
    """The problems of every record: "Record 3 (id …): message"."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[int, str] = {}

    def add_for(self, number: int, uid: object, message: object) -> None:
        if isinstance(uid, str) and uid:
            self.ids[number] = uid
        self.add(number, message)

    def line(self, number: int, message: str) -> str:
        uid = self.ids.get(number)
        if uid:
            return _("Record %(n)d (id %(id)s): %(error)s", n=number, id=uid, error=message)
        return _("Record %(n)d: %(error)s", n=number, error=message)


@dataclass
class ImportReport:
    """What an import did: records read, visits imported (new or completed), unchanged, and validated."""

    records: int = 0
    imported: int = 0
    unchanged: int = 0
    validated: int = 0
    visits: list[Visit] = field(default_factory=list)


@dataclass(frozen=True)
class Record:
    """A record that passed the checks of its fields."""

    number: int
    uid: str
    hall: Hall
    version: ChecklistVersion
    type: VisitType
    supervisor: User
    content: Content
    #: The visit with this id, when there is one.
    visit: Visit | None


# --- reading the file --------------------------------------------------------------------------------


def read_records(data: bytes) -> list[Any]:
    """The list under ``"visits"``.

    :raise ValidationError: the file is not such JSON.
    """
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is too large (at most %(n)d MB).", n=MAX_BYTES // (1024 * 1024)))
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text.")) from None
    except json.JSONDecodeError as exc:
        raise ValidationError(_("The file is not valid JSON (line %(line)d, column %(col)d: %(error)s).",
                                line=exc.lineno, col=exc.colno, error=exc.msg)) from None
    except RecursionError:
        raise ValidationError(_("The data is nested more than %(n)d levels deep.", n=inputs.MAX_JSON_DEPTH)) from None
    records = document.get("visits") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise ValidationError(_("The file must hold an object with a list \"visits\": {\"visits\": [{...}, ...]}."))
    if not records:
        raise ValidationError(_("The file holds no visit."))
    if len(records) > MAX_RECORDS:
        raise ValidationError(_("At most %(n)d visits per file: split it.", n=MAX_RECORDS))
    return records


@dataclass
class _Lookups:
    halls: dict[str, Hall]
    users: dict[str, User]
    versions: dict[tuple[str, int], ChecklistVersion]
    forms: set[str]
    visits: dict[str, Visit]

    @classmethod
    def load(cls, session: Session, raw: list[Any]) -> _Lookups:
        """Everything the records refer to, in a few queries."""
        records = [r for r in raw if isinstance(r, dict)]

        def texts(key: str) -> set[str]:
            return {r[key].strip() for r in records if isinstance(r.get(key), str)}

        uids = {u.lower() for u in texts("id")}
        halls = {h.code: h for h in session.scalars(sa.select(Hall).where(Hall.code.in_(texts("hall"))))}
        users = {u.username: u for u in session.scalars(sa.select(User).where(
            User.username.in_({t.lower() for t in texts("supervisor")})))}
        forms = set(session.scalars(sa.select(Checklist.slug).where(Checklist.slug.in_(texts("form")))))
        versions = {(v.checklist.slug, v.version): v for v in session.scalars(
            sa.select(ChecklistVersion).join(ChecklistVersion.checklist).where(Checklist.slug.in_(forms)))}
        visits = {v.uid: v for v in session.scalars(sa.select(Visit).where(Visit.uid.in_(uids)))} if uids else {}
        return cls(halls, users, versions, forms, visits)


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) else None


def _visited_at(value: object) -> dt.datetime | None:
    """An ISO 8601 time with its offset, or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def parse_record(number: int, raw: object, found: _Lookups, errors: RecordErrors,
                 settings: rules.VisitSettings) -> Record | None:
    """Check one record's fields and what they refer to; its problems go to ``errors``."""
    if not isinstance(raw, dict):
        errors.add(number, _("a record must be an object {...}"))
        return None
    try:
        inputs.check_tree(raw)
    except ValidationError as exc:
        errors.add(number, exc.message)
        return None
    uid = _text(raw.get("id"))
    before = len(errors.items)

    def bad(message: object) -> None:
        errors.add_for(number, uid, message)

    for key in raw:
        if key not in FIELDS:
            bad(_("unknown field \"%(name)s\"", name=key))
    for key in REQUIRED:
        if raw.get(key) in (None, ""):
            bad(_("the field \"%(name)s\" is missing", name=key))
    if len(errors.items) > before:
        return None
    try:
        uid = str(uuid.UUID(uid or ""))
    except ValueError:
        bad(_("the id must be a UUID, e.g. 6f2b8c1e-3d4a-4b7e-9a51-0c2d7e8f9a10"))
    hall = found.halls.get(_text(raw["hall"]) or "")
    if hall is None:
        bad(_("unknown hall %(code)s", code=raw["hall"]))
    elif not hall.active:
        bad(_("the hall %(code)s is deactivated", code=hall.code))
    supervisor = found.users.get((_text(raw["supervisor"]) or "").lower())
    if supervisor is None or supervisor.role is not Role.SUPERVISOR:
        bad(_("unknown supervisor %(name)s", name=raw["supervisor"]))
        supervisor = None
    elif not supervisor.active:
        bad(_("the supervisor %(name)s is deactivated", name=supervisor.username))
    elif hall is not None and not queries.covers(supervisor, hall):
        bad(_("%(name)s does not cover the unit of hall %(code)s", name=supervisor.username, code=hall.code))
    form, form_version = _text(raw["form"]) or "", raw["form_version"]
    version = None
    if form not in found.forms:
        bad(_("unknown form %(form)s", form=raw["form"]))
    elif not isinstance(form_version, int) or isinstance(form_version, bool) or (form, form_version) not in found.versions:
        bad(_("form %(form)s has no version %(version)s", form=form, version=form_version))
    else:
        version = found.versions[form, form_version]
    visit_type = VisitType(raw["type"]) if raw["type"] in {t.value for t in VisitType} else None
    if visit_type is None:
        bad(_("unknown type %(type)s: announced, unannounced or supervisor", type=raw["type"]))
    elif version is not None and visit_type not in version.definition.visit_types:
        bad(_("form %(form)s is not for %(type)s visits", form=form, type=visit_type.value))
    content = _content(raw, bad, settings)
    if len(errors.items) > before:
        return None
    assert hall and version and visit_type and supervisor and content
    return Record(number, uid, hall, version, visit_type, supervisor, content, found.visits.get(uid))


def _content(raw: Mapping[str, Any], bad: Any, settings: rules.VisitSettings) -> Content | None:
    visited_at = _visited_at(raw["visited_at"])
    if visited_at is None:
        bad(_("visited_at must be a time with its offset, e.g. 2026-11-05T10:20:00+08:00"))
    elif (problem := rules.visit_time_problem(visited_at, settings)) is not None:
        bad(f"visited_at: {problem}")
        visited_at = None
    answers, remarks, staff = raw["answers"], raw.get("remarks") or {}, raw.get("staff") or []
    if not isinstance(answers, dict):
        bad(_("answers must be an object {\"section.item\": answer, ...}"))
    if not isinstance(remarks, dict) or not all(isinstance(v, str) for v in remarks.values()):
        bad(_("remarks must be an object {\"section.item\": \"text\", ...}"))
    if not isinstance(staff, list) or not all(isinstance(v, str) for v in staff):
        bad(_("staff must be a list of job numbers as text, e.g. [\"1001\"]"))
    for key in ("scenario", "impression"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            bad(_("%(name)s must be text", name=key))
    evidence = raw.get("evidence")
    if evidence not in (None, PAPER):
        bad(_("evidence may only be \"paper\" (the photos are kept with the paper form)"))
    if visited_at is None or not isinstance(answers, dict) or not isinstance(remarks, dict) or not isinstance(staff, list):
        return None
    return Content(answers=answers, visited_at=visited_at, remarks=remarks, staff=tuple(staff),
                   scenario=raw.get("scenario"), impression=raw.get("impression"), evidence=evidence)


# --- checking against the database -------------------------------------------------------------------


def _differences(record: Record, visit: Visit, imported: VisitRevision) -> list[str]:
    """The fields in which ``record`` differs from what was imported under its id before."""
    differs = [name for name, same in (
        ("hall", visit.hall_id == record.hall.id), ("type", visit.type is record.type),
        ("supervisor", visit.supervisor_id == record.supervisor.id),
        ("form_version", visit.checklist_version_id == record.version.id),
    ) if not same]
    if imported.content_sha256 != record.content.sha256():
        stored, given = imported.content, record.content.to_json()
        differs += [k for k in sorted(set(stored) | set(given)) if k != "photos" and stored.get(k) != given.get(k)]
    return differs


def _completes(record: Record, visit: Visit) -> bool:
    """Whether ``record`` is the planned (or started) visit ``visit`` done on paper or offline."""
    return (visit.status in (VisitStatus.PLANNED, VisitStatus.IN_PROGRESS) and visit.hall_id == record.hall.id
            and visit.type is record.type and visit.supervisor_id == record.supervisor.id
            and (visit.status is VisitStatus.PLANNED or visit.checklist_version_id == record.version.id))


def check_record(session: Session, record: Record, errors: RecordErrors, settings: rules.VisitSettings) -> str:
    """``"new"``, ``"complete"`` (a planned visit), ``"unchanged"`` or ``"error"`` (reported in ``errors``)."""
    visit = record.visit
    if visit is not None:
        imported = next((r for r in visit.revisions if r.submission_id == submission_id(record.uid)), None)
        if imported is not None:
            differs = _differences(record, visit, imported)
            if not differs:
                return "unchanged"
            errors.add_for(record.number, record.uid, _(
                "this visit was already imported with other content (%(fields)s); give changed results a new id",
                fields=", ".join(differs)))
            return "error"
        if not _completes(record, visit):
            errors.add_for(record.number, record.uid, _(
                "this id belongs to another visit in surveyapp (%(code)s, %(status)s)", code=visit.hall.code,
                status=visit.status.value))
            return "error"
    # A stand-in visit, never added to the session: the submission's own checks run on it.
    probe = Visit(hall=record.hall, hall_id=record.hall.id, checklist_version=record.version, type=record.type)
    probe.due_from = visit.due_from if visit is not None else None
    problems = rules.check_content(session, probe, record.content, {}, settings=settings, imported=True)
    for name, messages in problems.items():
        for message in messages:
            errors.add_for(record.number, record.uid, _evidence_hint(name, message))
    if problems:
        return "error"
    return "complete" if visit is not None else "new"


def _evidence_hint(name: str, message: str) -> str:
    if name.endswith(".photos"):
        return _("%(key)s: %(message)s Paper records carry no photos: add \"evidence\": \"paper\" if the photo "
                 "is kept with the paper form.", key=name.removesuffix(".photos"), message=message)
    return f"{name}: {message}"


# --- importing ---------------------------------------------------------------------------------------


def _no_progress(stage: str, done: int = 0, total: int = 0) -> None:
    """An import from the upload page reports its progress to no one."""


#: The stages an import reports (``progress(stage, done, total)``), for a progress bar.
STAGES = {"read": _l("Reading the file"), "check": _l("Checking records"), "write": _l("Importing records")}


def import_visits(session: Session, actor: User | None, data: bytes, filename: str,
                  validate_by: User | None = None, accept_late: bool = False,
                  progress: Callable[..., None] = _no_progress, *, settings: rules.VisitSettings) -> ImportReport:
    """Import a JSON file of visits done on paper or offline; the caller commits on success.

    A visit dated in a closed month is imported *late*; validating it here needs ``accept_late`` (the explicit
    decision, which marks the month's notice revision pending), else the import is refused.

    :param actor: who imports (``None``: the command line).
    :param validate_by: a market user who validates the imported visits (never their supervisor).
    :param progress: hears ``(stage, done, total)`` for each record checked and written (:data:`STAGES`).
    :param settings: the app's visit settings (:meth:`rules.VisitSettings.of`, read by the page or command).
    :raise ValidationError: with one line per problem; the caller rolls back.
    """
    if actor is not None and actor.role is not Role.MARKET:
        raise ValidationError(_("Only the market department imports visits."))
    inputs.check_text(filename, _("The file name"))
    if validate_by is not None and (validate_by.role is not Role.MARKET or not validate_by.active):
        raise ValidationError(_("%(name)s is not an active market department user, so cannot validate.",
                                name=validate_by.username))
    progress("read")
    raw = read_records(data)
    found = _Lookups.load(session, raw)
    errors = RecordErrors()
    records: list[tuple[Record, str]] = []
    first: dict[str, int] = {}
    for number, item in enumerate(raw, start=1):
        parsed = parse_record(number, item, found, errors, settings)
        if parsed is None:
            continue
        if parsed.uid in first:
            errors.add_for(number, parsed.uid, _("the same id is already record %(n)d", n=first[parsed.uid]))
            continue
        first[parsed.uid] = number
        records.append((parsed, check_record(session, parsed, errors, settings)))
        progress("check", number, len(raw))
    errors.raise_if_any()
    report = ImportReport(records=len(raw))
    for done, (record, outcome) in enumerate(records, start=1):
        progress("write", done, len(records))
        if outcome == "unchanged":
            report.unchanged += 1
            continue
        try:
            visit = _write(session, actor, record, filename, validate_by, accept_late, settings)
        except (ValidationError, PermissionDenied, InvalidTransition) as refused:
            errors.add_for(record.number, record.uid, refused.message)
            continue
        report.imported += 1
        if validate_by is not None:
            report.validated += 1
        report.visits.append(visit)
    errors.raise_if_any()
    audit(session, actor, "visit.import", "import", None, filename[:200],
          {"records": report.records, "imported": report.imported, "unchanged": report.unchanged,
           "validated": report.validated})
    return report


def _write(session: Session, actor: User | None, record: Record, filename: str, validate_by: User | None,
           accept_late: bool, settings: rules.VisitSettings) -> Visit:
    """Create (or complete) the visit, submit the record's content through the submission path, and validate."""
    now = clock.now()
    visit = record.visit
    before = visit.status if visit is not None else None
    if visit is None:
        visit = Visit(uid=record.uid, hall=record.hall, type=record.type, supervisor=record.supervisor,
                      created_at=now, created_by_id=actor.id if actor else None)
        session.add(visit)
    visit.checklist_version = record.version
    visit.status, visit.started_at = VisitStatus.IN_PROGRESS, visit.started_at or record.content.visited_at
    visit.visited_at = record.content.visited_at
    visit.period = period_of(record.content.visited_at, clock.company_tz())
    checklist_services.mark_used(session, record.version, actor)
    try:
        services.flush_or_conflict(session, visit)
    except IntegrityError as exc:
        raise Conflict(_("Another import of the same visits is running. Wait for it, then import again.")) from exc
    services.log_event(session, actor, visit, "import", before, VisitStatus.IN_PROGRESS,
                       details={"file": filename[:200], "record": record.number, "evidence": record.content.evidence})
    services.submit_visit(session, None, visit, submission_id(record.uid), record.content, settings=settings,
                          imported=True)
    if validate_by is not None:
        validation.approve(session, validate_by, visit, None, settings=settings, late_confirmed=accept_late)
    return visit

