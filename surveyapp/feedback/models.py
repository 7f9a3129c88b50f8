"""Hall feedback: findings of released visits, their rectifications and appeals, evidence photos."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.checklists.models import ChecklistItem
from surveyapp.db import Model
from surveyapp.org.models import Hall
from surveyapp.photos import PhotoColumns
from surveyapp.visits.models import Answer, Visit


def _enum(cls: type) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class FindingStatus(str, enum.Enum):
    """open → rectified (waiting for the market's check) → verified; rectified → open (reopened);
    any → withdrawn (an appeal was upheld: the answer no longer fails)."""

    OPEN = "open"
    RECTIFIED = "rectified"
    VERIFIED = "verified"
    WITHDRAWN = "withdrawn"


class AppealStatus(str, enum.Enum):
    PENDING = "pending"
    UPHELD = "upheld"
    REJECTED = "rejected"


class Finding(Model):
    """A failed item of a released visit, made when the visit is released to its hall (one per visit and item).

    The deadlines are fixed then, from the policy in force: they do not move when the policy changes later.
    """

    __tablename__ = "finding"
    __table_args__ = (
        sa.UniqueConstraint("visit_id", "item_key"),
        sa.Index("ix_finding_hall_status", "hall_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public id (UUID) in URLs: findings cannot be walked.
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"))
    #: The visit's hall (a copy, so the hall's lists need no join through visits).
    hall_id: Mapped[int] = mapped_column(sa.ForeignKey("hall.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_item.id"), index=True)
    #: ``"section.item"``; the section decides the rectification deadline.
    item_key: Mapped[str] = mapped_column(sa.String(129))
    section_id: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[FindingStatus] = mapped_column(_enum(FindingStatus))
    released_at: Mapped[dt.datetime]
    #: Last day (company time zone, inclusive) to rectify, and the days the policy gave for the section.
    rectify_due: Mapped[dt.date]
    rectify_days: Mapped[int]
    #: Last day (inclusive) an appeal is accepted.
    appeal_until: Mapped[dt.date]
    closed_at: Mapped[dt.datetime | None]
    #: Optimistic lock: a hall's response and the market's decision cannot both win.
    version: Mapped[int] = mapped_column(default=1)

    visit: Mapped[Visit] = relationship()
    hall: Mapped[Hall] = relationship()
    item: Mapped[ChecklistItem] = relationship()
    rectifications: Mapped[list[Rectification]] = relationship(
        back_populates="finding", order_by="Rectification.id", cascade="all, delete-orphan", passive_deletes=True)
    appeal: Mapped[Appeal | None] = relationship(back_populates="finding", cascade="all, delete-orphan",
                                                 passive_deletes=True)
    photos: Mapped[list[FeedbackPhoto]] = relationship(
        back_populates="finding", order_by="FeedbackPhoto.id", cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def latest_rectification(self) -> Rectification | None:
        return self.rectifications[-1] if self.rectifications else None

    @property
    def answer(self) -> Answer | None:
        """The visit's answer this finding came from."""
        return next((a for a in self.visit.answers if a.item_id == self.item_id), None)

    @property
    def appeal_pending(self) -> bool:
        return self.appeal is not None and self.appeal.status is AppealStatus.PENDING

    def overdue_on(self, today: dt.date) -> bool:
        """Open after its deadline (a finding under appeal waits for the decision)."""
        return self.status is FindingStatus.OPEN and today > self.rectify_due and not self.appeal_pending

    def appeal_open_on(self, today: dt.date) -> bool:
        return today <= self.appeal_until

    def __repr__(self) -> str:
        return f"<Finding {self.item_key} {self.status.value}>"


class Rectification(Model):
    """What the hall did about a finding, and the market department's check of it."""

    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    submitted_at: Mapped[dt.datetime]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: ``True`` verified, ``False`` reopened, ``None`` not checked yet.
    accepted: Mapped[bool | None]
    checked_at: Mapped[dt.datetime | None]
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: Why it was reopened (required then), or a note on verifying.
    comment: Mapped[str | None] = mapped_column(sa.Text)

    finding: Mapped[Finding] = relationship(back_populates="rectifications")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])
    photos: Mapped[list[FeedbackPhoto]] = relationship(back_populates="rectification", order_by="FeedbackPhoto.id")


class Appeal(Model):
    """A hall's appeal against a finding (one per finding) and the market department's decision."""

    __tablename__ = "appeal"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    submitted_at: Mapped[dt.datetime]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    status: Mapped[AppealStatus] = mapped_column(_enum(AppealStatus), index=True)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: Upheld: the answer it was corrected to (``pass`` or ``na``); rejected: ``None``.
    corrected_to: Mapped[str | None] = mapped_column(sa.String(10))
    #: The decision's reason (required for a rejection).
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The visit's score before and after an upheld appeal (as text, exactly as stored).
    score_before: Mapped[str | None] = mapped_column(sa.String(20))
    score_after: Mapped[str | None] = mapped_column(sa.String(20))
    version: Mapped[int] = mapped_column(default=1)

    finding: Mapped[Finding] = relationship(back_populates="appeal")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    photos: Mapped[list[FeedbackPhoto]] = relationship(back_populates="appeal", order_by="FeedbackPhoto.id")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class FeedbackPhoto(PhotoColumns, Model):
    """A photo a hall attached to a rectification or an appeal (stored by :mod:`surveyapp.photos`)."""

    __tablename__ = "feedback_photo"
    __table_args__ = (
        sa.CheckConstraint("(rectification_id IS NULL) <> (appeal_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id", ondelete="CASCADE"), index=True)
    rectification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rectification.id", ondelete="CASCADE"))
    appeal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appeal.id", ondelete="CASCADE"))

    finding: Mapped[Finding] = relationship(back_populates="photos")
    rectification: Mapped[Rectification | None] = relationship(back_populates="photos")
    appeal: Mapped[Appeal | None] = relationship(back_populates="photos")
