"""Translated names of the roles."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp.auth.models import Role
from surveyapp.labels import Labels

ROLE = Labels(Role, {
    Role.ADMIN: _l("Administrator"),
    Role.MARKET: _l("Market department"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.HALL_MANAGER: _l("Hall manager"),
})

#: ``role_label("market")``: "Market department" in the current language (a template global too).
role_label = ROLE
