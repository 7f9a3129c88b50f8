"""Display labels of the feedback states and list filters."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp.feedback.models import AppealStatus, FindingStatus

FINDING_STATUS = {
    FindingStatus.OPEN: (_l("Open"), "amber"),
    FindingStatus.RECTIFIED: (_l("Rectified, to be checked"), "blue"),
    FindingStatus.VERIFIED: (_l("Rectification verified"), "green"),
    FindingStatus.WITHDRAWN: (_l("Withdrawn on appeal"), "green"),
}

APPEAL_STATUS = {
    AppealStatus.PENDING: (_l("Appeal pending"), "blue"),
    AppealStatus.UPHELD: (_l("Appeal upheld"), "green"),
    AppealStatus.REJECTED: (_l("Appeal rejected"), "red"),
}

SHOW = {
    "open": _l("Open"),
    "appeals": _l("Appeals to decide"),
    "rectified": _l("Rectifications to check"),
    "overdue": _l("Overdue"),
    "closed": _l("Closed"),
    "all": _l("All"),
}


def finding_status(status: FindingStatus | str) -> tuple[str, str]:
    label, tone = FINDING_STATUS[FindingStatus(status)]
    return str(label), tone


def appeal_status(status: AppealStatus | str) -> tuple[str, str]:
    label, tone = APPEAL_STATUS[AppealStatus(status)]
    return str(label), tone


def show_label(show: str) -> str:
    return str(SHOW[show])
