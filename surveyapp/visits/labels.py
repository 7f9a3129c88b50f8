"""Translated labels for visit statuses and history events (visit types: surveyapp.checklists.labels)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp.audit import display
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.labels import visit_type_label
from surveyapp.org.labels import hall_type_label
from surveyapp.visits.models import VisitStatus

STATUS = {
    VisitStatus.PLANNED: _l("Planned"),
    VisitStatus.IN_PROGRESS: _l("In progress"),
    VisitStatus.SUBMITTED: _l("Awaiting validation"),
    VisitStatus.RETURNED: _l("Returned for correction"),
    VisitStatus.VALIDATED: _l("Validated"),
    VisitStatus.REJECTED: _l("Rejected"),
    VisitStatus.CANCELLED: _l("Cancelled"),
}

#: Badge colour of each status in lists.
STATUS_TONE = {
    VisitStatus.PLANNED: "", VisitStatus.IN_PROGRESS: "blue", VisitStatus.SUBMITTED: "amber",
    VisitStatus.RETURNED: "red", VisitStatus.VALIDATED: "green", VisitStatus.REJECTED: "red", VisitStatus.CANCELLED: "",
}


EVENT = {
    "plan": _l("Planned"), "update": _l("Plan changed"), "start": _l("Started"), "submit": _l("Submitted"),
    "return": _l("Returned for correction"), "approve": _l("Validated"), "reject": _l("Rejected"),
    "cancel": _l("Cancelled"), "release": _l("Released to the hall"), "import": _l("Imported from a file"),
}


def event_label(action: str) -> str:
    return str(EVENT.get(action, action))


def status_label(value: VisitStatus | str) -> str:
    return str(STATUS[VisitStatus(value)])


display.register_actions({
    "visit.plan": _l("Visit planned"), "visit.update": _l("Visit plan changed"), "visit.start": _l("Visit started"),
    "visit.submit": _l("Visit submitted"), "visit.return": _l("Visit returned for correction"),
    "visit.approve": _l("Visit validated"), "visit.reject": _l("Visit rejected"), "visit.cancel": _l("Visit cancelled"),
    "visit.release": _l("Visit released to the hall"), "visit.import": _l("Visits imported from a file"),
    "visit.correct": _l("Visit answer corrected after an appeal"), "visit.photo_add": _l("Photo added to a visit"),
    "visit.photo_remove": _l("Photo removed from a visit"),
})
display.register_object("visit", _l("Visit"))
display.register_fields({
    "status": _l("Status"), "comment": _l("Comment"), "revision": _l("Revision"), "score": _l("Score"),
    "redline": _l("Red line"), "released": _l("Released to the hall"), "items": _l("Items"), "supervisor": _l("Supervisor"),
    "photo": _l("Photo"), "submission_id": _l("Submission id"), "visits": _l("Visits"), "due_from": _l("Due from"), "due": _l("Due"),
    "due_to": _l("Due by"), "checklist": _l("Checklist"), "records": _l("Records"), "imported": _l("Imported"),
}, change={"status"})
display.register_value("status", status_label)


def _type_text(value: str) -> str:
    """A recorded ``type``: a hall's (self-run, cooperative) or a visit's (announced, unannounced, supervisor)."""
    return visit_type_label(value) if value in {t.value for t in VisitType} else hall_type_label(value)


def _visit_text(recorded: str) -> str:
    """"H0513 unannounced 2026-11" (as visits are recorded) in the reader's language: "H0513 暗访 2026-11"."""
    visit_types = {t.value for t in VisitType}
    return " ".join(visit_type_label(word) if word in visit_types else word for word in recorded.split(" "))


display.register_value("type", _type_text)
display.register_object_text("visit", _visit_text)
display.register_fields({"size": _l("Size (bytes)")})
