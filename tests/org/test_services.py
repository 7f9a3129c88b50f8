"""Organisation rules: unique codes, a tree without loops, what may be deactivated, and the audit trail."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import PermissionDenied, ValidationError
from surveyapp.org import services
from surveyapp.org.queries import HallFilter, hall_query, unit_tree


def _actions():
    return [a for a in db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id))]


def test_a_unit_cannot_move_under_itself_or_its_descendants(make_unit, make_user):
    admin = make_user(Role.ADMIN)
    company = make_unit("JZ", "江州通信")
    city = make_unit("JZ01", "市区分公司", parent=company)
    district = make_unit("JZ0101", "城东片区", parent=city)
    for target in (city, district):
        with pytest.raises(ValidationError, match="下级单位"):
            services.update_unit(db.session, admin, city, code="JZ01", name="市区分公司", parent=target)
    db.session.rollback()
    # Moving a leaf to another branch is fine and is audited as a move.
    county = make_unit("JZ02", "临江县分公司", parent=company)
    diff = services.update_unit(db.session, admin, district, code="JZ0101", name="城东片区", parent=county)
    db.session.commit()
    assert diff == {"parent": ["JZ01", "JZ02"]}
    assert _actions()[-1] == "unit.move"
    assert [n.unit.code for n in unit_tree(db.session)[0].children] == ["JZ01", "JZ02"]


def test_codes_are_unique_with_a_translated_message(make_unit, make_hall, make_staff, make_user):
    admin = make_user(Role.ADMIN)
    unit = make_unit("JZ01")
    hall = make_hall("H0101", unit=unit)
    make_staff(hall, job_number="010101")
    with pytest.raises(ValidationError, match="营业厅编码 H0101 已被使用"):
        services.create_hall(db.session, admin, code="H0101", name="另一个", type="self-run", unit=unit)
    with pytest.raises(ValidationError, match="单位编码 JZ01 已被使用"):
        services.create_unit(db.session, admin, code="JZ01", name="x", parent=None)
    with pytest.raises(ValidationError, match="工号 010101 已被使用"):
        services.create_staff(db.session, admin, job_number="010101", name="张三", hall=hall)
    with pytest.raises(ValidationError, match="无效"):
        services.create_hall(db.session, admin, code="H 01", name="空格", type="self-run", unit=unit)


def test_a_unit_with_active_halls_cannot_be_deactivated(make_unit, make_hall, make_user):
    admin = make_user(Role.ADMIN)
    unit = make_unit()
    hall = make_hall(unit=unit)
    with pytest.raises(ValidationError, match="1 个启用的营业厅"):
        services.set_unit_active(db.session, admin, unit, False)
    services.set_hall_active(db.session, admin, hall, False)
    services.set_unit_active(db.session, admin, unit, False)
    db.session.commit()
    # A hall cannot reopen, nor a new hall open, in a deactivated unit.
    with pytest.raises(ValidationError, match="请先重新启用单位"):
        services.set_hall_active(db.session, admin, hall, True)
    with pytest.raises(ValidationError, match="已停用"):
        services.create_hall(db.session, admin, code="H9", name="新厅", type="cooperative", unit=unit)
    assert _actions()[-2:] == ["hall.deactivate", "unit.deactivate"]


def test_moving_staff_to_another_hall_is_recorded_as_a_move(make_hall, make_staff, make_user):
    market = make_user(Role.MARKET)
    old, new = make_hall("H1"), make_hall("H2")
    person = make_staff(old, job_number="1001", name="王芳")
    services.update_staff(db.session, market, person, job_number="1001", name="王芳", hall=new)
    db.session.commit()
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_id, entry.details) == ("staff.move", market.id, {"hall": ["H1", "H2"]})


def test_only_admin_and_market_may_change_the_organisation(make_unit, make_user):
    for role in (Role.SUPERVISOR, Role.HALL_MANAGER):
        with pytest.raises(PermissionDenied):
            services.create_unit(db.session, make_user(role), code="X1", name="x", parent=None)


def test_unit_filter_includes_the_halls_of_sub_units(make_unit, make_hall):
    company = make_unit("JZ")
    county = make_unit("JZ02", parent=company)
    town = make_unit("JZ0201", parent=county)
    make_hall("H1", unit=company)
    make_hall("H2", unit=county)
    make_hall("H3", unit=town)

    def codes(unit: str) -> list[str]:
        return [h.code for h in db.session.scalars(hall_query(db.session, HallFilter(unit=unit)))]

    assert codes("JZ02") == ["H2", "H3"]
    assert codes("JZ") == ["H1", "H2", "H3"]
    assert codes("NOPE") == []
