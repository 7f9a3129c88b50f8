"""What would change if the market department published a revision now, line by line, and why.

The published revision's snapshot is what stands; the live draft is what a revision would freeze. Each
changed hall line is explained from what happened since the latest publication: appeals upheld, late visits
validated, visits decided, halls added, moved or deactivated; a changed policy is reported once.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.assessment import services as assessment
from surveyapp.audit.models import AuditEntry
from surveyapp.i18n import localized
from surveyapp.notices.document import changed_lines
from surveyapp.notices.models import NoticeRevision
from surveyapp.org.models import Hall
from surveyapp.visits.models import Visit


@dataclass
class ChangedLine:
    code: str
    name: str
    #: Field → ``[published, live]`` (:data:`surveyapp.notices.document.COMPARED`).
    fields: Mapping[str, list[Any]]
    causes: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    revision: NoticeRevision
    lines: list[ChangedLine]
    #: The policy version in force, when it is not the one the published notice applied (a revision keeps that).
    policy_now: int | None


def compare(session: Session, revision: NoticeRevision, live: Mapping[str, Any]) -> Comparison:
    """The hall lines of ``live`` (a draft snapshot) that differ from ``revision``'s, each with its causes."""
    published = revision.snapshot["results"]
    changes = changed_lines(published, live["results"])
    causes = _causes(session, revision, published, live["results"])
    lines = [ChangedLine(c["code"], c["name"], c["fields"], causes.get(c["code"]) or [_fallback(c["fields"])])
             for c in changes]
    policy = assessment.current_policy(session).number
    return Comparison(revision, lines, policy if policy != revision.snapshot["policy_number"] else None)


#: Fields of a hall's line that only its own visits change (the others can move with other halls' lines).
OWN = ("assessed", "score", "channel_scores", "visits", "redline_visits")


def _fallback(fields: Mapping[str, Any]) -> str:
    """The cause of a change nothing recorded explains."""
    if any(name in fields for name in OWN):
        return _("The hall's own visits of the month changed since the publication.")
    return _("Its rank or money moved because other halls' lines changed.")


def _causes(session: Session, revision: NoticeRevision, published: Mapping[str, Any],
            live: Mapping[str, Any]) -> dict[str, list[str]]:
    before = {h["code"]: h for h in published["halls"]}
    after = {h["code"]: h for h in live["halls"]}
    causes: dict[str, list[str]] = defaultdict(list)
    halls = {h.code: h for h in session.scalars(sa.select(Hall).where(Hall.code.in_(before.keys() | after.keys())))}
    for code in sorted(before.keys() | after.keys()):
        hall = halls.get(code)
        if code not in before:
            causes[code].append(_("Hall added (or reactivated) after the publication."))
        elif code not in after:
            causes[code].append(_("Hall deactivated after the publication.") if hall is not None and not hall.active
                                else _("Hall no longer listed in the month."))
        elif before[code]["unit_code"] != after[code]["unit_code"]:
            causes[code].append(_("Hall moved from unit %(old)s to %(new)s.", old=before[code]["unit_name"],
                                  new=after[code]["unit_name"]))
    for code, text in _visit_causes(session, revision):
        causes[code].append(text)
    return causes


def _visit_causes(session: Session, revision: NoticeRevision) -> list[tuple[str, str]]:
    """Appeals upheld and late visits validated in the month since ``revision`` was published (once a month is
    closed, every visit validated into it is a late one). "Since" is the audit trail's order, which is the order
    things happened in, whatever the clocks said."""
    published = session.scalar(
        sa.select(sa.func.max(AuditEntry.id)).where(AuditEntry.action == "notice.publish",
                                                    AuditEntry.object_type == "notice",
                                                    AuditEntry.object_id == str(revision.notice_id))) or 0
    rows = session.execute(
        sa.select(Hall.code, AuditEntry.action, Visit, AuditEntry.details)
        .join(Visit, Visit.uid == AuditEntry.object_id).join(Hall, Hall.id == Visit.hall_id)
        .where(AuditEntry.object_type == "visit", AuditEntry.id > published, Visit.period == revision.period,
               sa.or_(AuditEntry.action == "visit.correct",
                      sa.and_(AuditEntry.action == "visit.approve", Visit.late.is_(True))))
        .order_by(AuditEntry.id)).all()
    out = []
    for code, action, visit, details in rows:
        day = clock.local(visit.visited_at).date().isoformat() if visit.visited_at else "—"
        if action == "visit.correct":
            key = (details or {}).get("item", "")
            item = visit.checklist_version.definition.item(key)
            text = localized(item.text, item.text_en) if item is not None else key
            out.append((code, _("Upheld appeal: %(item)s (visit of %(date)s).", item=text, date=day)))
        else:
            out.append((code, _("Late visit of %(date)s validated after the month closed.", date=day)))
    return out
