"""Translated labels for visit statuses and history events (visit types: surveyapp.labels)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
