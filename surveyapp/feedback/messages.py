"""What feedback tells people through the inbox (released results, deadlines, appeals and rectifications,
returned and approved visits, published notices): each message kind with its e-mail subject."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp.notifications.inbox import register

register({
    "released": (_l("New results for %(hall)s: the visit of %(date)s has %(count)s finding(s). "
                 "Rectify by %(due)s; appeals are accepted until %(appeal)s."),
        _l("New results for your hall")),
    "released_clean": (_l("New results for %(hall)s: the visit of %(date)s has no finding."),
        _l("New results for your hall")),
    "due_soon": (_l("%(hall)s: %(count)s finding(s) must be rectified by %(due)s."),
        _l("Findings due for rectification")),
    "appeal_new": (_l("%(hall)s appeals a finding: %(item)s"),
        _l("A new appeal")),
    "rectification_new": (_l("%(hall)s has rectified a finding: %(item)s"),
        _l("A finding was rectified")),
    "appeal_upheld": (_l("Your appeal was upheld: %(item)s (%(hall)s)"),
        _l("Your appeal was upheld")),
    "appeal_rejected": (_l("Your appeal was rejected: %(item)s (%(hall)s). Reason: %(reason)s"),
        _l("Your appeal was rejected")),
    "rectification_verified": (_l("Your rectification was verified: %(item)s (%(hall)s)"),
        _l("Your rectification was verified")),
    "rectification_reopened": (_l("Your rectification was reopened: %(item)s (%(hall)s). Reason: %(reason)s"),
        _l("Your rectification was reopened")),
    "visit_returned": (_l("Your visit to %(hall)s was returned for correction: %(comment)s"),
        _l("Your visit was returned for correction")),
    "visit_approved": (_l("Your visit to %(hall)s of %(date)s was approved."),
        _l("Your visit was approved")),
    "visit_approved_comment": (_l("Your visit to %(hall)s of %(date)s was approved: %(comment)s"),
        _l("Your visit was approved")),
    "notice_published": (_l("The notice for %(period)s has been published: see the line of %(hall)s."),
        _l("A notice has been published")),
    "notice_revised": (_l("Revision %(number)s of the notice for %(period)s has been published (%(hall)s). "
                 "Reason: %(reason)s"),
        _l("A notice has been revised")),
})
