"""Organisation rules: the unit tree, halls and staff. Administrators and the market department change
them; the CLI acts as the system (``actor=None``). Every change is audited."""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.audit import display
from surveyapp.audit.services import changes, record
from surveyapp.auth.access import require_role
from surveyapp.auth.models import Role, User
from surveyapp.errors import ValidationError
from surveyapp.org.labels import hall_type_label
from surveyapp.org.models import Hall, HallType, Staff, Unit
from surveyapp.org.signals import hall_moved

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
MAX_CODE, MAX_NAME, MAX_ADDRESS = 32, 100, 200


def require_org_manager(actor: User | None) -> None:
    """:raise PermissionDenied: unless ``actor`` is an administrator, the market department or the system."""
    require_role(actor, Role.ADMIN, Role.MARKET,
                 because=_("Only administrators and the market department may change the organisation."))


def clean_code(value: str | None, what: str) -> str:
    """A code as stored: trimmed, letters, digits and ``.-_`` only."""
    code = (value or "").strip()
    if not code:
        raise ValidationError(_("The %(what)s is missing.", what=what), field="code")
    if len(code) > MAX_CODE or not CODE_RE.match(code):
        raise ValidationError(_("The %(what)s \"%(code)s\" is not valid: use at most %(n)d letters, digits, dots, "
                                "hyphens or underscores.", what=what, code=code, n=MAX_CODE), field="code")
    return code


def clean_name(value: str | None, field: str = "name", limit: int = MAX_NAME, required: bool = True) -> str:
    name = " ".join((value or "").split())
    if required and not name:
        raise ValidationError(_("A name is required."), field=field)
    if len(name) > limit:
        raise ValidationError(_("At most %(n)d characters.", n=limit), field=field)
    return name


def _unique(session: Session, column: Any, value: str, own: Any, message: str, field: str) -> None:
    """:raise ValidationError: another record than ``own`` (``None`` for a new one) has this value."""
    if own is not None and getattr(own, column.key) == value:
        return  # unchanged: it is already unique
    own_id = own.id if own is not None else None
    query = sa.select(column.class_.id).where(column == value)
    if own_id is not None:
        query = query.where(column.class_.id != own_id)
    if session.scalar(query) is not None:
        raise ValidationError(message, field=field)


# --- units -----------------------------------------------------------------------------------------


def unit_label(unit: Unit) -> str:
    return f"{unit.code} {unit.name}"


def _check_parent(unit: Unit | None, parent: Unit | None) -> None:
    """:raise ValidationError: ``parent`` is ``unit`` itself or below it, or deactivated."""
    if parent is None:
        return
    if parent.id is not None and not parent.active and (unit is None or parent.id != unit.parent_id):
        raise ValidationError(_("The unit %(code)s is deactivated.", code=parent.code), field="parent")
    node: Unit | None = parent
    while node is not None and unit is not None:
        if node is unit:
            raise ValidationError(_("A unit cannot be placed under itself or one of its own sub-units."), field="parent")
        node = node.parent


def create_unit(session: Session, actor: User | None, *, code: str, name: str, parent: Unit | None) -> Unit:
    """Add a unit to the tree (under ``parent``, or as a root)."""
    require_org_manager(actor)
    code = clean_code(code, _("unit code"))
    name = clean_name(name)
    _unique(session, Unit.code, code, None, _("The unit code %(code)s is already used.", code=code), "code")
    _check_parent(None, parent)
    unit = Unit(code=code, name=name, parent=parent, active=True)
    session.add(unit)
    session.flush()
    record(session, actor, "unit.create", "unit", unit.id, unit_label(unit), {"parent": parent.code if parent else None})
    return unit


def update_unit(session: Session, actor: User | None, unit: Unit, *, code: str, name: str, parent: Unit | None) -> dict[str, list[Any]]:
    """Rename, recode or move a unit (never under itself or its sub-units); returns what changed."""
    require_org_manager(actor)
    code = clean_code(code, _("unit code"))
    name = clean_name(name)
    _unique(session, Unit.code, code, unit, _("The unit code %(code)s is already used.", code=code), "code")
    _check_parent(unit, parent)
    old_parent = unit.parent
    diff = changes(unit, {"code": code, "name": name})
    if old_parent is not parent:
        unit.parent = parent
        diff["parent"] = [old_parent.code if old_parent else None, parent.code if parent else None]
    if diff:
        record(session, actor, "unit.move" if set(diff) == {"parent"} else "unit.update", "unit", unit.id, unit_label(unit), diff)
    return diff


def set_unit_active(session: Session, actor: User | None, unit: Unit, active: bool) -> bool:
    """Deactivate a unit without active sub-units or halls, or reactivate one under an active parent."""
    require_org_manager(actor)
    if unit.active == active:
        return False
    if not active:
        children = sum(1 for c in unit.children if c.active)
        halls = session.scalar(sa.select(sa.func.count()).where(Hall.unit_id == unit.id, Hall.active.is_(True))) or 0
        if children or halls:
            raise ValidationError(_("The unit %(code)s still has %(units)d active sub-units and %(halls)d active halls: "
                                    "move or deactivate them first.", code=unit.code, units=children, halls=halls))
    elif unit.parent is not None and not unit.parent.active:
        raise ValidationError(_("Reactivate the parent unit %(code)s first.", code=unit.parent.code))
    unit.active = active
    record(session, actor, "unit.activate" if active else "unit.deactivate", "unit", unit.id, unit_label(unit))
    return True


def descendant_ids(session: Session, unit_id: int) -> set[int]:
    """The ids of a unit and of every unit below it."""
    children: dict[int | None, list[int]] = {}
    for uid, parent_id in session.execute(sa.select(Unit.id, Unit.parent_id)):
        children.setdefault(parent_id, []).append(uid)
    found, todo = set(), [unit_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


# --- halls -----------------------------------------------------------------------------------------


def hall_label(hall: Hall) -> str:
    return f"{hall.code} {hall.name}"


def clean_position(latitude: float | None, longitude: float | None) -> dict[str, float | None]:
    """A hall's optional location: both coordinates in degrees, or neither.

    :raise ValidationError: only one given, or out of range, naming the field.
    """
    if latitude is None and longitude is None:
        return {"latitude": None, "longitude": None}
    if latitude is None or longitude is None:
        raise ValidationError(_("Give both the latitude and the longitude, or neither."),
                              field="latitude" if latitude is None else "longitude")
    if not -90 <= latitude <= 90:
        raise ValidationError(_("The latitude must be from -90 to 90 degrees."), field="latitude")
    if not -180 <= longitude <= 180:
        raise ValidationError(_("The longitude must be from -180 to 180 degrees."), field="longitude")
    return {"latitude": round(float(latitude), 6), "longitude": round(float(longitude), 6)}


def _hall_values(code: str, name: str, type: HallType | str, unit: Unit | None, address: str | None,
                 latitude: float | None = None, longitude: float | None = None) -> dict[str, Any]:
    code = clean_code(code, _("hall code"))
    name = clean_name(name)
    try:
        hall_type = HallType(type)
    except ValueError:
        raise ValidationError(_("The hall type must be self-run or cooperative."), field="type") from None
    if unit is None:
        raise ValidationError(_("Choose the unit the hall belongs to."), field="unit")
    return {"code": code, "name": name, "type": hall_type, "unit": unit,
            "address": clean_name(address, "address", MAX_ADDRESS, required=False) or None,
            **clean_position(latitude, longitude)}


def create_hall(session: Session, actor: User | None, *, code: str, name: str, type: HallType | str, unit: Unit | None,
                address: str | None = None, latitude: float | None = None, longitude: float | None = None) -> Hall:
    """Open a hall in an active unit (optionally with its location, for the evidence checks)."""
    require_org_manager(actor)
    values = _hall_values(code, name, type, unit, address, latitude, longitude)
    _unique(session, Hall.code, values["code"], None, _("The hall code %(code)s is already used.", code=values["code"]), "code")
    if not values["unit"].active:
        raise ValidationError(_("The unit %(code)s is deactivated.", code=values["unit"].code), field="unit")
    hall = Hall(active=True, created_at=clock.now(), **values)
    session.add(hall)
    session.flush()
    record(session, actor, "hall.create", "hall", hall.id, hall_label(hall),
           {"type": hall.type, "unit": hall.unit.code, "address": hall.address, "latitude": hall.latitude,
            "longitude": hall.longitude})
    return hall


def update_hall(session: Session, actor: User | None, hall: Hall, *, code: str, name: str, type: HallType | str,
                unit: Unit | None, address: str | None, latitude: float | None = None,
                longitude: float | None = None) -> dict[str, list[Any]]:
    """Change a hall's code, name, type, unit, address or location; returns what changed."""
    require_org_manager(actor)
    values = _hall_values(code, name, type, unit, address, latitude, longitude)
    _unique(session, Hall.code, values["code"], hall, _("The hall code %(code)s is already used.", code=values["code"]), "code")
    new_unit = values.pop("unit")
    if new_unit is not hall.unit and not new_unit.active:
        raise ValidationError(_("The unit %(code)s is deactivated.", code=new_unit.code), field="unit")
    old_unit = hall.unit
    diff = changes(hall, values)
    if new_unit is not old_unit:
        hall.unit = new_unit
        diff["unit"] = [old_unit.code, new_unit.code]
    if diff:
        record(session, actor, "hall.update", "hall", hall.id, hall_label(hall), diff)
    if "latitude" in diff or "longitude" in diff:
        hall_moved.send(session, actor=actor, hall=hall)
    return diff


def set_hall_active(session: Session, actor: User | None, hall: Hall, active: bool) -> bool:
    """Close a hall (its history stays) or reopen it in an active unit."""
    require_org_manager(actor)
    if hall.active == active:
        return False
    if active and not hall.unit.active:
        raise ValidationError(_("Reactivate the unit %(code)s first.", code=hall.unit.code))
    hall.active = active
    record(session, actor, "hall.activate" if active else "hall.deactivate", "hall", hall.id, hall_label(hall))
    return True


# --- staff -----------------------------------------------------------------------------------------


def staff_label(staff: Staff) -> str:
    return f"{staff.job_number} {staff.name}"


def _staff_values(job_number: str, name: str, hall: Hall | None) -> dict[str, Any]:
    number = clean_code(job_number, _("job number"))
    if hall is None:
        raise ValidationError(_("Choose the hall the employee works in."), field="hall")
    return {"job_number": number, "name": clean_name(name)}


def create_staff(session: Session, actor: User | None, *, job_number: str, name: str, hall: Hall | None) -> Staff:
    """Add an employee (营业员) to an active hall."""
    require_org_manager(actor)
    values = _staff_values(job_number, name, hall)
    _unique(session, Staff.job_number, values["job_number"], None,
            _("The job number %(number)s is already used.", number=values["job_number"]), "job_number")
    assert hall is not None
    if not hall.active:
        raise ValidationError(_("The hall %(code)s is deactivated.", code=hall.code), field="hall")
    staff = Staff(hall=hall, active=True, **values)
    session.add(staff)
    session.flush()
    record(session, actor, "staff.create", "staff", staff.id, staff_label(staff), {"hall": hall.code})
    return staff


def update_staff(session: Session, actor: User | None, staff: Staff, *, job_number: str, name: str,
                 hall: Hall | None) -> dict[str, list[Any]]:
    """Correct an employee's job number or name, or move them to another active hall."""
    require_org_manager(actor)
    values = _staff_values(job_number, name, hall)
    _unique(session, Staff.job_number, values["job_number"], staff,
            _("The job number %(number)s is already used.", number=values["job_number"]), "job_number")
    assert hall is not None
    if hall is not staff.hall and not hall.active:
        raise ValidationError(_("The hall %(code)s is deactivated.", code=hall.code), field="hall")
    old_hall = staff.hall
    diff = changes(staff, values)
    if hall is not old_hall:
        staff.hall = hall
        diff["hall"] = [old_hall.code, hall.code]
    if diff:
        action = "staff.move" if set(diff) == {"hall"} else "staff.update"
        record(session, actor, action, "staff", staff.id, staff_label(staff), diff)
    return diff


def set_staff_active(session: Session, actor: User | None, staff: Staff, active: bool) -> bool:
    """An employee leaves (deactivated: kept for history) or returns (in an active hall)."""
    require_org_manager(actor)
    if staff.active == active:
        return False
    if active and not staff.hall.active:
        raise ValidationError(_("The hall %(code)s is deactivated.", code=staff.hall.code))
    staff.active = active
    record(session, actor, "staff.activate" if active else "staff.deactivate", "staff", staff.id, staff_label(staff))
    return True


display.register_actions({
    "unit.create": _l("Unit created"), "unit.update": _l("Unit changed"), "unit.move": _l("Unit moved"),
    "unit.activate": _l("Unit reactivated"), "unit.deactivate": _l("Unit deactivated"), "units.import": _l("Units imported"),
    "hall.create": _l("Hall created"), "hall.update": _l("Hall changed"), "hall.activate": _l("Hall reactivated"),
    "hall.deactivate": _l("Hall deactivated"), "halls.import": _l("Halls imported"),
    "staff.create": _l("Employee added"), "staff.update": _l("Employee changed"), "staff.move": _l("Employee moved to another hall"),
    "staff.activate": _l("Employee reactivated"), "staff.deactivate": _l("Employee deactivated"), "staff.import": _l("Staff imported"),
})
display.register_fields({
    "code": _l("Code"), "name": _l("Name"), "parent": _l("Parent unit"), "unit": _l("Unit"), "type": _l("Type"),
    "address": _l("Address"), "hall": _l("Hall"), "job_number": _l("Job number"),
})
for _object, _label in {"unit": _l("Unit"), "hall": _l("Hall"), "staff": _l("Employee")}.items():
    display.register_object(_object, _label)
display.register_value("type", hall_type_label)
