"""Display labels of the feedback states and list filters."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from surveyapp.feedback.models import AppealStatus, Finding, FindingStatus

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


def due_words(finding: Finding, today: dt.date) -> str:
    """The rectification deadline in words: "due in 3 days", "due today", "2 days overdue", "closed"."""
    if finding.status in (FindingStatus.VERIFIED, FindingStatus.WITHDRAWN):
        return _("Closed")
    if finding.status is FindingStatus.RECTIFIED:
        return _("Waiting for the check")
    if finding.appeal_pending:
        return _("Waiting for the appeal decision")
    days = (finding.rectify_due - today).days
    if days < 0:
        return ngettext("%(num)d day overdue", "%(num)d days overdue", -days)
    if days == 0:
        return _("Due today")
    if days == 1:
        return _("Due tomorrow")
    return ngettext("Due in %(num)d day", "Due in %(num)d days", days)
