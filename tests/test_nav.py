"""Each role's home page is registered by the capability that owns it, once."""
from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from surveyapp import nav
from surveyapp.auth.models import Role
from surveyapp.home.views import check_every_role_has_a_home


def test_two_capabilities_cannot_claim_the_same_roles_home():
    app, first, second = Flask("homes"), Blueprint("first", __name__), Blueprint("second", __name__)
    nav.register_home(first, Role.MARKET, "first.page")
    nav.register_home(second, "market", "second.page")
    app.register_blueprint(first)
    with pytest.raises(RuntimeError, match="two home pages for the role 'market'"):
        app.register_blueprint(second)


def test_the_app_refuses_to_start_with_a_role_that_lands_nowhere(app):
    assert nav.homes(app) == {"admin": "home.admin", "market": "worklist.market", "supervisor": "my_visits.home",
                              "hall_manager": "feedback.home"}
    bare, admin_pages = Flask("bare"), Blueprint("admin_pages", __name__)
    nav.register_home(admin_pages, Role.ADMIN, "admin_pages.home")
    bare.register_blueprint(admin_pages)
    with pytest.raises(RuntimeError, match="roles without a home page: hall_manager, market, supervisor"):
        check_every_role_has_a_home(bare)
