"""Import and export of units, halls and staff (DOMAIN.md "Bulk interfaces").

A row whose code already exists updates that record, so importing the same file twice changes nothing
the second time. Rows are checked all together and every problem is reported with its row number.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp.auth.models import User
from surveyapp.bulk import (
    Column,
    Kind,
    Report,
    Row,
    RowErrors,
    bool_cell,
    parse_bool,
    register,
    upsert,
)
from surveyapp.i18n import localized
from surveyapp.org import services
from surveyapp.org.models import Hall, HallType, Staff, Unit
from surveyapp.org.queries import HallFilter, StaffFilter, hall_query, staff_query

ACTIVE = Column("active", "启用", "active", ("状态", "是否启用", "有效", "status", "enabled"),
                help=_l("是/否 (yes/no). Empty: active for new rows, unchanged for existing ones."))

HALL_TYPES = {"self-run": HallType.SELF_RUN, "selfrun": HallType.SELF_RUN, "self_run": HallType.SELF_RUN,
              "自办": HallType.SELF_RUN, "自营": HallType.SELF_RUN, "自有": HallType.SELF_RUN,
              "cooperative": HallType.COOPERATIVE, "合作": HallType.COOPERATIVE, "合作厅": HallType.COOPERATIVE,
              "合作营业厅": HallType.COOPERATIVE}


def _first_rows(rows: list[Row], key: str, errors: RowErrors, what: str) -> list[Row]:
    """Rows whose ``key`` was not already on an earlier row (a repeated code is an error, not an overwrite)."""
    first: dict[str, int] = {}
    kept = []
    for row in rows:
        code = row[key]
        if code and code in first:
            errors.add(row, _("%(what)s %(code)s already appears on row %(row)d", what=what, code=code, row=first[code]))
            continue
        if code:
            first[code] = row.number
        kept.append(row)
    return kept


def _active(row: Row, errors: RowErrors) -> bool | None:
    """The row's active flag, ``None`` when the column is absent or the value unreadable (reported)."""
    if not row.has("active"):
        return None
    value = parse_bool(row["active"], True)
    if value is None:
        errors.add(row, _("\"%(value)s\" is not 是/否 (yes/no)", value=row["active"]))
    return value


# --- units -----------------------------------------------------------------------------------------


def import_units(session: Session, actor: User | None, rows: list[Row], report: Report) -> None:
    """Create or update units; a parent may be an existing unit or one defined anywhere in the file."""
    errors = RowErrors()
    rows = _first_rows(rows, "code", errors, _("unit code"))
    units = {u.code: u for u in session.scalars(sa.select(Unit))}
    in_file = {row["code"] for row in rows}
    pending = list(rows)
    # Parents before children: each pass handles the rows whose parent is known by now.
    while pending:
        ready = [r for r in pending if not r["parent"] or r["parent"] in units or r["parent"] not in in_file]
        if not ready:
            for row in pending:
                errors.add(row, _("the parent unit %(code)s is part of a loop of units", code=row["parent"]))
            break
        for row in ready:
            pending.remove(row)
            in_file.discard(row["code"])
            _import_unit(session, actor, row, units, errors, report)
    errors.raise_if_any()


def _import_unit(session: Session, actor: User | None, row: Row, units: dict[str, Unit], errors: RowErrors, report: Report) -> None:
    existing = units.get(row["code"])
    parent = existing.parent if existing is not None and not row.has("parent") else None
    if row["parent"]:
        parent = units.get(row["parent"])
        if parent is None:
            errors.add(row, _("the parent unit code %(code)s does not exist", code=row["parent"]))
            return
    unit = upsert(row, errors, report, existing,
                  create=partial(services.create_unit, session, actor, code=row["code"], name=row["name"], parent=parent),
                  update=partial(services.update_unit, session, actor, code=row["code"], name=row["name"], parent=parent),
                  set_active=partial(services.set_unit_active, session, actor), active=_active(row, errors))
    if unit is not None:
        units[unit.code] = unit


def export_units(session: Session, **filters: Any) -> Iterator[list[Any]]:
    for unit in session.scalars(sa.select(Unit).order_by(Unit.code)):
        yield [unit.code, unit.name, unit.parent.code if unit.parent else "", bool_cell(unit.active)]


register(Kind(
    name="units", title=_l("Units"), apply=import_units, export=export_units,
    columns=(
        Column("code", "编码", "code", ("单位编码", "代码", "unit_code"), required=True, help=_l("Unique code of the unit, e.g. JZ02.")),
        Column("name", "名称", "name", ("单位名称", "单位"), required=True, help=_l("Name of the unit, e.g. 临江县分公司.")),
        Column("parent", "上级", "parent", ("上级单位", "上级编码", "上级单位编码", "parent_code"),
               help=_l("Code of the unit above it (existing, or another row of the file); empty for the company.")),
        ACTIVE,
    ),
    notes=_l("A row with an existing code updates that unit; importing the same file again changes nothing."),
))


# --- halls -----------------------------------------------------------------------------------------


def import_halls(session: Session, actor: User | None, rows: list[Row], report: Report) -> None:
    errors = RowErrors()
    rows = _first_rows(rows, "code", errors, _("hall code"))
    units = {u.code: u for u in session.scalars(sa.select(Unit))}
    halls = {h.code: h for h in session.scalars(sa.select(Hall))}
    for row in rows:
        hall_type = HALL_TYPES.get(row["type"].lower())
        if hall_type is None:
            errors.add(row, _("the hall type \"%(value)s\" is neither 自办 (self-run) nor 合作 (cooperative)", value=row["type"]))
            continue
        unit = units.get(row["unit"])
        if unit is None:
            errors.add(row, _("the unit code %(code)s does not exist", code=row["unit"]) if row["unit"]
                       else _("the unit code is missing"))
            continue
        active = _active(row, errors)
        hall = halls.get(row["code"])
        address = row["address"] if row.has("address") else (hall.address if hall else None)
        position = _position(row, hall, errors)
        if position is None:
            continue
        values = {"code": row["code"], "name": row["name"], "type": hall_type, "unit": unit, "address": address,
                  "latitude": position[0], "longitude": position[1]}
        hall = upsert(row, errors, report, hall,
                      create=partial(services.create_hall, session, actor, **values),
                      update=partial(services.update_hall, session, actor, **values),
                      set_active=partial(services.set_hall_active, session, actor), active=active)
        if hall is not None:
            halls[hall.code] = hall
    errors.raise_if_any()


def _position(row: Row, hall: Hall | None, errors: RowErrors) -> tuple[float | None, float | None] | None:
    """The row's latitude and longitude (absent columns keep the hall's; empty cells clear it), or ``None``
    after reporting a cell that is not a number."""
    out: list[float | None] = []
    for key, label in (("latitude", _("latitude")), ("longitude", _("longitude"))):
        if not row.has(key):
            out.append(getattr(hall, key) if hall else None)
            continue
        text = row[key].strip()
        try:
            out.append(float(text) if text else None)
        except ValueError:
            errors.add(row, _("%(field)s: \"%(value)s\" is not a number of degrees", field=label, value=text))
            return None
    return out[0], out[1]


def hall_type_cell(value: HallType) -> str:
    return localized("自办", "self-run") if value is HallType.SELF_RUN else localized("合作", "cooperative")


def export_halls(session: Session, filter: HallFilter | None = None) -> Iterator[list[Any]]:
    query = hall_query(session, filter or HallFilter(status="all"))
    for hall in session.scalars(query.execution_options(yield_per=1000)):
        yield [hall.code, hall.name, hall_type_cell(hall.type), hall.unit.code, hall.address or "",
               "" if hall.latitude is None else hall.latitude, "" if hall.longitude is None else hall.longitude,
               bool_cell(hall.active)]


register(Kind(
    name="halls", title=_l("Halls"), apply=import_halls, export=export_halls, filters=HallFilter.from_args,
    columns=(
        Column("code", "编码", "code", ("营业厅编码", "代码", "hall_code"), required=True, help=_l("Unique code of the hall, e.g. H0101.")),
        Column("name", "名称", "name", ("营业厅名称", "营业厅"), required=True, help=_l("Name of the hall.")),
        Column("type", "类型", "type", ("营业厅类型", "hall_type"), required=True, help=_l("自办 (self-run) or 合作 (cooperative).")),
        Column("unit", "单位", "unit", ("所属单位", "单位编码", "所属单位编码", "unit_code"), required=True,
               help=_l("Code of the unit the hall belongs to.")),
        Column("address", "地址", "address", ("营业厅地址",), help=_l("Street address (optional).")),
        Column("latitude", "纬度", "latitude", ("lat",),
               help=_l("Latitude in degrees, e.g. 31.230416 (optional; with the longitude it lets visits and photos be "
                       "checked against the hall's place).")),
        Column("longitude", "经度", "longitude", ("lng", "lon"), help=_l("Longitude in degrees, e.g. 121.473701 (optional).")),
        ACTIVE,
    ),
    notes=_l("A row with an existing code updates that hall; importing the same file again changes nothing."),
))


# --- staff -----------------------------------------------------------------------------------------


def import_staff(session: Session, actor: User | None, rows: list[Row], report: Report) -> None:
    errors = RowErrors()
    rows = _first_rows(rows, "job_number", errors, _("job number"))
    halls = {h.code: h for h in session.scalars(sa.select(Hall))}
    staff = {s.job_number: s for s in session.scalars(sa.select(Staff))}
    for row in rows:
        hall = halls.get(row["hall"])
        if hall is None:
            errors.add(row, _("hall code %(code)s does not exist", code=row["hall"]) if row["hall"] else _("the hall code is missing"))
            continue
        active = _active(row, errors)
        values = {"job_number": row["job_number"], "name": row["name"], "hall": hall}
        person = upsert(row, errors, report, staff.get(row["job_number"]),
                        create=partial(services.create_staff, session, actor, **values),
                        update=partial(services.update_staff, session, actor, **values),
                        set_active=partial(services.set_staff_active, session, actor), active=active)
        if person is not None:
            staff[person.job_number] = person
    errors.raise_if_any()


def export_staff(session: Session, filter: StaffFilter | None = None) -> Iterator[list[Any]]:
    query = staff_query(session, filter or StaffFilter(status="all"))
    for person in session.scalars(query.execution_options(yield_per=1000)):
        yield [person.job_number, person.name, person.hall.code, bool_cell(person.active)]


register(Kind(
    name="staff", title=_l("Staff"), apply=import_staff, export=export_staff, filters=StaffFilter.from_args,
    columns=(
        Column("job_number", "工号", "job_number", ("员工工号", "job_no", "number"), required=True,
               help=_l("Unique job number (工号) of the employee.")),
        Column("name", "姓名", "name", ("员工姓名", "营业员"), required=True, help=_l("Full name.")),
        Column("hall", "营业厅", "hall", ("营业厅编码", "所属营业厅", "hall_code"), required=True,
               help=_l("Code of the hall the employee works in; another code moves the employee there.")),
        ACTIVE,
    ),
    notes=_l("A row with an existing job number updates that employee; importing the same file again changes nothing."),
))
