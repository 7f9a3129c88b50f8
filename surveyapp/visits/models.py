"""Visits: planned, filled, submitted and validated checklists, their answers, revisions, events and photos."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.models import ChecklistItem, ChecklistVersion
from surveyapp.db import Model
from surveyapp.org.models import Hall, Staff
from surveyapp.photos import FILE_COLUMNS, UPLOAD_COLUMNS, PhotoColumns


def _enum(cls: type) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class VisitStatus(str, enum.Enum):
    """Where a visit is in its life: planned → in_progress → submitted ⇄ returned → validated | rejected."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    VALIDATED = "validated"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


#: The supervisor may change the answers in these states.
EDITABLE = frozenset({VisitStatus.IN_PROGRESS, VisitStatus.RETURNED})
#: Market may still cancel a visit in these states (nothing has been submitted yet).
CANCELLABLE = frozenset({VisitStatus.PLANNED, VisitStatus.IN_PROGRESS})

#: Visit types whose supervisor a hall never learns and which are released only explicitly (mystery customers).
CONFIDENTIAL_TYPES = frozenset({VisitType.UNANNOUNCED, VisitType.SUPERVISOR})

visit_staff = sa.Table(
    "visit_staff",
    Model.metadata,
    sa.Column("visit_id", sa.ForeignKey("visit.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("staff_id", sa.ForeignKey("staff.id"), primary_key=True, index=True),
)


class Visit(Model):
    """One visit of a supervisor to a hall with a checklist version (DOMAIN.md "Visits")."""

    __tablename__ = "visit"
    __table_args__ = (
        sa.Index("ix_visit_period_status", "period", "status"),
        sa.Index("ix_visit_supervisor_status", "supervisor_id", "status"),
        sa.Index("ix_visit_hall_status", "hall_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public id (UUID): in URLs, in the JSON import's ``"id"`` and in offline clients. Ids cannot be walked.
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    hall_id: Mapped[int] = mapped_column(sa.ForeignKey("hall.id"))
    checklist_version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_version.id"), index=True)
    type: Mapped[VisitType] = mapped_column(_enum(VisitType))
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    status: Mapped[VisitStatus] = mapped_column(_enum(VisitStatus))
    #: The due window, local dates (inclusive); ``None`` for visits imported after the fact.
    due_from: Mapped[dt.date | None]
    due_until: Mapped[dt.date | None]
    #: ``YYYY-MM`` in the company time zone: of ``visited_at`` once the visit took place, of ``due_from`` before.
    #: Monthly lists, assessments and notices select on it.
    period: Mapped[str] = mapped_column(sa.String(7))
    #: When the visit took place (the supervisor may correct it); decides the month.
    visited_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    #: The client's time of the latest submission, and the server's time of its receipt.
    submitted_at: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime | None]
    validated_at: Mapped[dt.datetime | None]
    validated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: From this moment hall roles may see the visit (never while ``None``).
    released_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    #: What the supervisor did in the hall (新装/缴费/咨询/投诉/…), and their overall impression.
    scenario: Mapped[str | None] = mapped_column(sa.String(50))
    impression: Mapped[str | None] = mapped_column(sa.Text)
    #: Totals of the latest submitted answers (scoring engine); ``score`` = 100 × earned / possible,
    #: 0 on a red line, ``None`` when nothing was possible or nothing is submitted yet.
    earned: Mapped[int | None]
    possible: Mapped[int | None]
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 6, asdecimal=True))
    redline: Mapped[bool] = mapped_column(default=False)
    #: Submitted or imported into a month that was already closed (its notice published or closed): it counts
    #: only if the market department validates it explicitly, which marks the month's notice revision pending.
    late: Mapped[bool] = mapped_column(default=False)
    #: The supervisor's working copy while in progress or returned: the form's fields as entered
    #: (``{"fields": [[name, value], ...]}``), kept even when not yet valid so nothing is lost.
    draft: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: The client's clock when the draft was entered (newer copies win) and the server's when stored.
    draft_client_at: Mapped[dt.datetime | None]
    draft_saved_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: Optimistic lock: every ORM update checks and increments it; forms send the value they were drawn with.
    version: Mapped[int] = mapped_column(default=1)

    hall: Mapped[Hall] = relationship()
    checklist_version: Mapped[ChecklistVersion] = relationship()
    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    validated_by: Mapped[User | None] = relationship(foreign_keys=[validated_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    #: Staff served (工号), checked against the hall's staff.
    staff: Mapped[list[Staff]] = relationship(secondary=visit_staff, order_by="Staff.job_number")
    answers: Mapped[list[Answer]] = relationship(back_populates="visit", cascade="all, delete-orphan",
                                                 passive_deletes=True, order_by="Answer.id")
    revisions: Mapped[list[VisitRevision]] = relationship(back_populates="visit", order_by="VisitRevision.number",
                                                          cascade="all, delete-orphan", passive_deletes=True)
    events: Mapped[list[VisitEvent]] = relationship(back_populates="visit", order_by="VisitEvent.id",
                                                    cascade="all, delete-orphan", passive_deletes=True)
    photos: Mapped[list[Photo]] = relationship(back_populates="visit", order_by="Photo.id",
                                               cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def confidential(self) -> bool:
        """Mystery-customer channels: the hall never learns the supervisor, release waits for the notice."""
        return self.type in CONFIDENTIAL_TYPES

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    def __repr__(self) -> str:
        return f"<Visit {self.uid} {self.status.value}>"


class Answer(Model):
    """One answered item of a visit's latest submission, scored by the scoring engine (exact integers).

    The assessment aggregates these in SQL: Σ earned / Σ possible per visit; ``earned``/``possible``
    are ``None`` for ``na`` and unscored kinds, so they drop out of both sums.
    """

    __tablename__ = "answer"
    __table_args__ = (sa.UniqueConstraint("visit_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_item.id"), index=True)
    #: As answered: ``pass``/``fail``/``na``, an integer as text, free text, or job numbers joined by ``,``;
    #: ``None`` when only a remark was written.
    value: Mapped[str | None] = mapped_column(sa.Text)
    earned: Mapped[int | None]
    possible: Mapped[int | None]
    #: A finding against the hall (check ``fail``, count > 0, scale below the item's ``finding_below``).
    failed: Mapped[bool] = mapped_column(default=False)
    #: A failed red-line item: the visit scores 0.
    redline: Mapped[bool] = mapped_column(default=False)
    remark: Mapped[str | None] = mapped_column(sa.Text)

    visit: Mapped[Visit] = relationship(back_populates="answers")
    item: Mapped[ChecklistItem] = relationship()


class VisitRevision(Model):
    """A submitted version of a visit's content, kept for ever (returned visits are resubmitted)."""

    __tablename__ = "visit_revision"
    __table_args__ = (sa.UniqueConstraint("visit_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"))
    #: 1, 2, ... per visit.
    number: Mapped[int]
    #: Canonical content: answers, remarks, photos per item, staff, scenario, impression, visited_at.
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: SHA-256 (hex) of the canonical JSON of ``content``: a repeated submission is compared by it.
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: The client-generated id of the submission (UUID); repeats of one submission find this row.
    submission_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    submitted_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: Totals at submission (the scoring engine's), for side-by-side comparison.
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 6, asdecimal=True))
    redline: Mapped[bool] = mapped_column(default=False)

    visit: Mapped[Visit] = relationship(back_populates="revisions")
    submitted_by: Mapped[User | None] = relationship()


class VisitEvent(Model):
    """A state change of a visit: who, when, from which status to which, and why."""

    __tablename__ = "visit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime]
    #: ``None`` for the system.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: ``plan``, ``update``, ``start``, ``submit``, ``return``, ``approve``, ``reject``, ``cancel``, ``release``.
    action: Mapped[str] = mapped_column(sa.String(20))
    from_status: Mapped[VisitStatus | None] = mapped_column(_enum(VisitStatus))
    to_status: Mapped[VisitStatus | None] = mapped_column(_enum(VisitStatus))
    #: Return comments, reject reason, cancel reason.
    comment: Mapped[str | None] = mapped_column(sa.Text)
    #: Other details, e.g. ``{"items": {key: comment}}`` on a return, ``{"revision": 2}`` on a submission.
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    visit: Mapped[Visit] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


#: Where a visit photo's own further columns sit: between the stored file's and the upload's.
_AFTER_FILE = FILE_COLUMNS + 1


class Photo(PhotoColumns, Model):
    """A photo taken as evidence on a visit, for one item (``item_key``) or for the visit as a whole."""

    __tablename__ = "photo"
    #: Indexed: a reused photo is looked up by its SHA-256.
    __table_args__ = (sa.Index("ix_photo_sha256", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public id (UUID) used in URLs and in submitted content.
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    #: ``"section.item"``, or ``None`` for a photo of the visit as a whole.
    item_key: Mapped[str | None] = mapped_column(sa.String(129))
    #: The client-generated id of the upload (UUID): a retried upload finds this row instead of adding one.
    client_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    # The stored file's and the upload's columns: surveyapp.photos.PhotoColumns.
    #: Perceptual hash of the pixels (16 hex digits, ``surveyapp.photos``): finds the photo re-encoded or resized.
    phash: Mapped[str | None] = mapped_column(sa.String(16), sort_order=_AFTER_FILE)
    #: The check at upload when the photo had a GPS position and the hall a location: the distance in metres
    #: and whether it is within ``EVIDENCE_GEOFENCE_METRES``. The coordinates themselves are never kept.
    hall_distance_m: Mapped[int | None] = mapped_column(sort_order=_AFTER_FILE)
    near_hall: Mapped[bool | None] = mapped_column(sort_order=_AFTER_FILE)
    #: Removed by the supervisor from the working copy; kept because an earlier revision may show it.
    removed_at: Mapped[dt.datetime | None] = mapped_column(sort_order=UPLOAD_COLUMNS + 1)

    visit: Mapped[Visit] = relationship(back_populates="photos")
    uploaded_by: Mapped[User | None] = relationship()


class PhotoHashBand(Model):
    """One of the :data:`PHASH_BANDS` slices of a photo's perceptual hash, indexed: two hashes that differ in
    fewer bits than there are slices agree on at least one slice, so near-duplicates are found by an index
    lookup instead of comparing every photo ever stored."""

    __tablename__ = "photo_hash_band"
    __table_args__ = (sa.Index("ix_photo_hash_band_value", "band", "value"),)

    photo_id: Mapped[int] = mapped_column(sa.ForeignKey("photo.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    value: Mapped[int]


class VisitFlag(Model):
    """A reason to doubt a visit's evidence, found by the integrity checks (``surveyapp.insight``) at submission
    or by ``flask integrity --recompute``; the validator sees them, the hall never does."""

    __tablename__ = "visit_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    #: What was found: one of ``surveyapp.insight.integrity.FLAGS``.
    kind: Mapped[str] = mapped_column(sa.String(30))
    #: The item concerned (``"section.item"``), if any.
    item_key: Mapped[str | None] = mapped_column(sa.String(129))
    #: The other visit involved (same photo, overlapping or unreachable visit), if any.
    other_visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    #: The numbers behind the reason (hours, seconds, kilometres, answers), shown in the reader's language.
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    found_at: Mapped[dt.datetime]

    visit: Mapped[Visit] = relationship(foreign_keys=[visit_id])
    other_visit: Mapped[Visit | None] = relationship(foreign_keys=[other_visit_id])
