"""Translated names of the visit types, item kinds and photo rules of checklist definitions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp.checklists.definition import EvidenceRule, ItemKind, VisitType
from surveyapp.labels import Labels

VISIT_TYPE = Labels(VisitType, {
    VisitType.ANNOUNCED: _l("Announced inspection"),
    VisitType.UNANNOUNCED: _l("Unannounced visit"),
    VisitType.SUPERVISOR: _l("Social supervisor visit"),
})

ITEM_KIND = Labels(ItemKind, {
    ItemKind.CHECK: _l("Pass/fail"),
    ItemKind.COUNT: _l("Count"),
    ItemKind.SCALE: _l("Scale"),
    ItemKind.TEXT: _l("Text"),
    ItemKind.STAFF: _l("Job numbers"),
})

EVIDENCE = Labels(EvidenceRule, {
    EvidenceRule.NONE: _l("No photo"),
    EvidenceRule.OPTIONAL: _l("Photo optional"),
    EvidenceRule.ON_FAIL: _l("Photo if failed"),
    EvidenceRule.REQUIRED: _l("Photo required"),
})

#: The label functions, also template globals (registered with the checklists blueprint).
visit_type_label = VISIT_TYPE
item_kind_label = ITEM_KIND
evidence_label = EVIDENCE
