"""Reading the organisation: filtered hall and staff lists (pages and exports share them) and the unit tree."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from surveyapp.org.models import Hall, HallType, Staff, Unit
from surveyapp.org.services import descendant_ids
from surveyapp.webforms import ListFilter, contains

STATUSES = ("active", "inactive", "all")


def _status(column: Any, status: str) -> Any:
    if status == "inactive":
        return column.is_(False)
    if status == "all":
        return sa.true()
    return column.is_(True)


@dataclass
class HallFilter(ListFilter):
    """Search (code, name or address), unit (with its sub-units), type and status."""

    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"type": ("", *(t.value for t in HallType)), "status": STATUSES}
    q: str = ""
    unit: str = ""
    type: str = ""
    status: str = "active"


def hall_query(session: Session, f: HallFilter) -> sa.Select[Any]:
    query = sa.select(Hall).join(Hall.unit).options(contains_eager(Hall.unit)).order_by(Hall.code)
    if f.q:
        query = query.where(sa.or_(contains(Hall.code, f.q), contains(Hall.name, f.q), contains(Hall.address, f.q)))
    if f.unit:
        unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == f.unit))
        query = query.where(Hall.unit_id.in_(descendant_ids(session, unit_id) if unit_id else []))
    if f.type:
        query = query.where(Hall.type == HallType(f.type))
    return query.where(_status(Hall.active, f.status))


def staff_counts(session: Session, hall_ids: list[int]) -> dict[int, int]:
    """Active staff per hall, for the halls of one page."""
    if not hall_ids:
        return {}
    rows = session.execute(sa.select(Staff.hall_id, sa.func.count()).where(Staff.hall_id.in_(hall_ids), Staff.active.is_(True))
                           .group_by(Staff.hall_id))
    return {hall_id: n for hall_id, n in rows}


@dataclass
class StaffFilter(ListFilter):
    """Search (job number or name), hall code and status."""

    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"status": STATUSES}
    q: str = ""
    hall: str = ""
    status: str = "active"


def staff_query(session: Session, f: StaffFilter) -> sa.Select[Any]:
    query = sa.select(Staff).join(Staff.hall).options(contains_eager(Staff.hall)).order_by(Staff.job_number)
    if f.q:
        query = query.where(sa.or_(contains(Staff.job_number, f.q), contains(Staff.name, f.q)))
    if f.hall:
        query = query.where(Hall.code == f.hall)
    return query.where(_status(Staff.active, f.status))


@dataclass
class TreeNode:
    unit: Unit
    depth: int
    #: Active halls directly in this unit, and in it and every unit below it.
    halls: int = 0
    halls_total: int = 0
    children: list[TreeNode] = field(default_factory=list)


def unit_tree(session: Session, include_inactive: bool = True) -> list[TreeNode]:
    """The unit tree as nested nodes, roots first, each level ordered by code."""
    units = list(session.scalars(sa.select(Unit).order_by(Unit.code)))
    counts = dict(session.execute(sa.select(Hall.unit_id, sa.func.count()).where(Hall.active.is_(True)).group_by(Hall.unit_id)).all())
    nodes = {u.id: TreeNode(u, 0, counts.get(u.id, 0)) for u in units if include_inactive or u.active}
    roots: list[TreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.unit.parent_id) if node.unit.parent_id else None
        (parent.children if parent else roots).append(node)

    def finish(node: TreeNode, depth: int) -> int:
        node.depth = depth
        node.halls_total = node.halls + sum(finish(child, depth + 1) for child in node.children)
        return node.halls_total

    for root in roots:
        finish(root, 0)
    return roots


def flatten(nodes: list[TreeNode]) -> list[TreeNode]:
    """Depth-first order, for indented select lists."""
    out: list[TreeNode] = []
    for node in nodes:
        out.append(node)
        out.extend(flatten(node.children))
    return out


def unit_path(unit: Unit) -> list[Unit]:
    """The unit's ancestors from the root down to the unit itself."""
    path: list[Unit] = []
    node: Unit | None = unit
    while node is not None and node not in path:
        path.insert(0, node)
        node = node.parent
    return path
