"""The vocabulary of :class:`~surveyapp.visits.models.VisitFlag`: each kind of doubt about a visit's evidence, its
label and the sentence saying why, in the reader's language. The checks themselves are in
:mod:`surveyapp.insight.integrity`; validators read the flags here (the hall never sees them).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.checklists.definition import Item, ItemKind

INTEGRITY_ANSWER, PHOTO_TIME, PHOTO_NO_TIME, PHOTO_FAR = "integrity_answer", "photo_time", "photo_no_time", "photo_far"
SAME_PHOTO, SIMILAR_PHOTO, TOO_SHORT, OVERLAP, TRAVEL = "same_photo", "similar_photo", "too_short", "overlap", "travel"
#: Every kind, in the order they are shown.
FLAGS = (INTEGRITY_ANSWER, SAME_PHOTO, SIMILAR_PHOTO, PHOTO_TIME, PHOTO_NO_TIME, PHOTO_FAR, TOO_SHORT, OVERLAP,
         TRAVEL)
#: Kinds that link two visits: found for one, they are written on both.
PAIRED = frozenset({SAME_PHOTO, SIMILAR_PHOTO, OVERLAP, TRAVEL})

LABEL = {
    INTEGRITY_ANSWER: _l("Integrity question answered wrongly"),
    SAME_PHOTO: _l("Same photo on another visit"),
    SIMILAR_PHOTO: _l("Near-identical photo on another visit"),
    PHOTO_TIME: _l("Photo taken at another time"),
    PHOTO_NO_TIME: _l("Photo without capture time"),
    PHOTO_FAR: _l("Photo taken away from the hall"),
    TOO_SHORT: _l("Visit too short"),
    OVERLAP: _l("Overlaps another visit"),
    TRAVEL: _l("Impossible travel"),
}


def flag_label(kind: str) -> str:
    return str(LABEL.get(kind, kind))


def answer_label(item: Item | None, value: object) -> str:
    """An answer as the checklist's form shows it, in the reader's language (``na`` → 不适用, ``0`` of a count
    item → 0 次); the stored value itself when the item is unknown (a checklist since replaced)."""
    text = "" if value is None else str(value)
    if item is None:
        return text
    if text == "na":
        return _("Not applicable")
    if item.kind is ItemKind.CHECK:
        return {"pass": _("Pass"), "fail": _("Fail")}.get(text, text)
    if item.kind is ItemKind.COUNT:
        return _("%(n)s times", n=text)
    if item.kind is ItemKind.SCALE:
        return f"{text} / {item.points}"
    return text


def flag_reason(kind: str, details: Mapping[str, Any], item: Item | None = None) -> str:
    """Why the visit has the flag, with its numbers (the other visit is linked beside it). ``item``: the checklist
    item the flag is about, so an integrity question's answers read as the form shows them (JSON keeps the stored
    values)."""
    d = details
    if kind == INTEGRITY_ANSWER:
        return _("Answered “%(answer)s” where a supervisor who was there answers “%(expected)s”.",
                 answer=answer_label(item, d.get("answer")), expected=answer_label(item, d.get("expected")))
    if kind == SAME_PHOTO:
        if d.get("uses"):
            return _("The same picture (identical SHA-256) is evidence on %(count)s other visits; the earliest are "
                     "linked.", count=d["uses"])
        return _("The same picture (identical SHA-256) is evidence on the other visit.")
    if kind == SIMILAR_PHOTO:
        return _("A near-identical picture (perceptual hash %(bits)s of 64 bits apart: re-encoded or resized) is "
                 "evidence on the other visit.", bits=d.get("bits"))
    if kind == PHOTO_TIME:
        return _("Taken %(hours)s hours from the visit's time (more than %(limit)s allowed).", hours=d.get("hours"),
                 limit=d.get("limit"))
    if kind == PHOTO_NO_TIME:
        return _("The photo has no capture time, though the item's rule asks for evidence.")
    if kind == PHOTO_FAR:
        return _("Taken %(metres)s m from the hall (more than %(limit)s m).", metres=d.get("metres"),
                 limit=d.get("limit"))
    if kind == TOO_SHORT:
        return _("Started to submitted in %(seconds)s s for %(items)s items answered (at least %(minimum)s s "
                 "expected).", seconds=d.get("seconds"), items=d.get("items"), minimum=d.get("minimum"))
    if kind == OVERLAP:
        return _("The same supervisor's visits overlap by %(minutes)s minutes at two halls.", minutes=d.get("minutes"))
    if kind == TRAVEL:
        return _("%(km)s km between the two halls in %(minutes)s minutes: faster than %(limit)s km/h.",
                 km=d.get("km"), minutes=d.get("minutes"), limit=d.get("limit"))
    return kind
