"""Month plan proposals: what the automatic planner proposed, kept for review until saved or discarded.

A proposal's items become planned visits (:class:`surveyapp.visits.models.Visit`) when it is saved.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.models import ChecklistVersion
from surveyapp.db import Model
from surveyapp.org.models import Hall, Unit
from surveyapp.visits.models import Visit, _enum


class ProposalStatus(str, enum.Enum):
    OPEN = "open"
    SAVED = "saved"
    DISCARDED = "discarded"


class PlanProposal(Model):
    """The automatic plan of a month (for all halls or those of one unit), as proposed and adjusted."""

    __tablename__ = "plan_proposal"
    __table_args__ = (sa.Index("ix_plan_proposal_period_status", "period", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public id (UUID) in URLs.
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    #: ``YYYY-MM``.
    period: Mapped[str] = mapped_column(sa.String(7))
    #: The unit whose halls (and those of the units below) are planned; ``None`` for every hall.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    status: Mapped[ProposalStatus] = mapped_column(_enum(ProposalStatus), default=ProposalStatus.OPEN)
    #: What was asked: ``{"counts": {type: n}, "windows": n, "checklists": {type: version id}, "seed": n}``.
    settings: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: The month as the planner saw it: ``{"existing_visits": n, "existing_loads": {supervisor id: n},
    #: "eligible": [supervisor ids], "shortfalls": [[hall id, type, missing], ...], "windows": [[from, until], ...]}``.
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: When an assignment was last adjusted.
    updated_at: Mapped[dt.datetime | None]
    #: When it was saved or discarded, and by whom.
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: Optimistic lock: adjusting and saving check the version the page was drawn with.
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped[Unit | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    items: Mapped[list[PlanProposalItem]] = relationship(back_populates="proposal", cascade="all, delete-orphan",
                                                          passive_deletes=True, order_by="PlanProposalItem.id")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status is ProposalStatus.OPEN


class PlanProposalItem(Model):
    """One proposed visit: which hall, what kind, by whom, with which checklist, when."""

    __tablename__ = "plan_proposal_item"
    __table_args__ = (sa.Index("ix_plan_proposal_item_proposal_hall", "proposal_id", "hall_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_proposal.id", ondelete="CASCADE"))
    hall_id: Mapped[int] = mapped_column(sa.ForeignKey("hall.id"))
    type: Mapped[VisitType] = mapped_column(_enum(VisitType))
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    checklist_version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_version.id"))
    due_from: Mapped[dt.date]
    due_until: Mapped[dt.date]
    #: The supervisor visited this hall last month.
    repeat: Mapped[bool] = mapped_column(default=False)
    #: The supervisor has another visit to this hall in the month.
    double: Mapped[bool] = mapped_column(default=False)
    #: Market changed the planner's choice of supervisor.
    adjusted: Mapped[bool] = mapped_column(default=False)
    #: The planned visit made from this item when the proposal was saved.
    visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visit.id", ondelete="SET NULL"))

    proposal: Mapped[PlanProposal] = relationship(back_populates="items")
    hall: Mapped[Hall] = relationship()
    supervisor: Mapped[User] = relationship()
    checklist_version: Mapped[ChecklistVersion] = relationship()
    visit: Mapped[Visit | None] = relationship()
