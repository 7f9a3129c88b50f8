"""Translated labels for visit types and statuses, for pages and messages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp.checklists.definition import VisitType
from surveyapp.visits.models import VisitStatus

TYPE = {
    VisitType.ANNOUNCED: _l("Announced inspection"),
    VisitType.UNANNOUNCED: _l("Unannounced visit"),
    VisitType.SUPERVISOR: _l("Social supervisor"),
}

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


def type_label(value: VisitType | str) -> str:
    return str(TYPE[VisitType(value)])


def status_label(value: VisitStatus | str) -> str:
    return str(STATUS[VisitStatus(value)])
