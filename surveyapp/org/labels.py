"""Translated names of the kinds of hall."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp.labels import Labels
from surveyapp.org.models import HallType

HALL_TYPE = Labels(HallType, {
    HallType.SELF_RUN: _l("Self-run"),
    HallType.COOPERATIVE: _l("Cooperative"),
})

#: ``hall_type_label("self_run")`` in the current language (a template global too).
hall_type_label = HALL_TYPE
