"""A month's notice (the market department's working copy) and its published revisions (frozen for ever)."""
from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.assessment.models import PolicyVersion
from surveyapp.auth.models import User
from surveyapp.db import Model

DRAFT, PUBLISHED = "draft", "published"
#: How the notice is laid out: ``report`` (title, sections, signature) or ``formal``, an official company
#: document (公文: issuing unit and document number over a red rule, addressee, distribution lines at the end).
LAYOUTS = ("report", "formal")
#: The formal layout's editable lines: the issuing unit printed in red (发文机关标志), 主送 (also the addressee),
#: 抄报 (to superiors) and 抄送 (copies); an empty 抄报 or 抄送 is not printed.
FORMAL_KEYS = ("issuing_unit", "main_to", "report_to", "copy_to")


class Notice(Model):
    """The notice of one month: the editable text, and every revision published from it."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``YYYY-MM``; one notice per month.
    period: Mapped[str] = mapped_column(sa.String(7), unique=True)
    #: ``draft`` until the first publication, then ``published``.
    status: Mapped[str] = mapped_column(sa.String(20), default=DRAFT)
    #: The document number printed under the title (e.g. 市场〔2026〕45号); optional.
    doc_number: Mapped[str | None] = mapped_column(sa.String(100))
    #: One of :data:`LAYOUTS`.
    layout: Mapped[str] = mapped_column(sa.String(20), default="report", server_default="report")
    #: The formal layout's lines (:data:`FORMAL_KEYS`: issuing unit, 主送, 抄报, 抄送) as the editor saved them;
    #: ``None`` until saved: then the previous month's, or the defaults (``services.formal_texts``).
    formal: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    #: Narrative text per section (``overview``, ``problems``, ``commendations``, ``money``, ``instructions``,
    #: ``closing``); a missing or empty section is written from the figures when drafted.
    narrative: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    #: Answer keys ``"<visit uid>:<item key>"`` of the typical cases chosen, or ``None`` to choose them from the
    #: figures (red lines and findings with evidence first).
    cases: Mapped[list[str] | None] = mapped_column(sa.JSON)
    #: Something published has changed since the latest revision (e.g. an upheld appeal): a revision is due.
    revision_pending: Mapped[bool] = mapped_column(default=False)
    pending_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: When the month was closed (:mod:`surveyapp.notices.closing`): by its first publication or explicitly by
    #: the market department (who may reopen it while nothing is published). ``None``: the month is open.
    closed_at: Mapped[dt.datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[dt.datetime]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: Optimistic lock: two people editing the text at once cannot overwrite each other unknowingly.
    version: Mapped[int] = mapped_column(default=1)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    revisions: Mapped[list[NoticeRevision]] = relationship(back_populates="notice", order_by="NoticeRevision.number")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def latest(self) -> NoticeRevision | None:
        return self.revisions[-1] if self.revisions else None

    def __repr__(self) -> str:
        return f"<Notice {self.period} {self.status}>"


class NoticeRevision(Model):
    """One publication of a notice: results, policy and text frozen, the PDF rendered once. Never changed
    (:mod:`surveyapp.notices.services` refuses any update of a stored revision through the ORM, and on PostgreSQL a
    trigger of migration ``0008_month_close`` refuses any UPDATE or DELETE of the row, bulk statements included)."""

    __tablename__ = "notice_revision"
    __table_args__ = (sa.UniqueConstraint("notice_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notice.id"), index=True)
    #: 1 = the first publication, 2, 3, ... corrections.
    number: Mapped[int]
    #: Why a correction was published (required from revision 2 on).
    reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Everything the document shows (:func:`surveyapp.notices.document.build_snapshot`): the month's results
    #: (``MonthResults.to_json()``), problems, cases, stars, findings per hall, deadlines, text, and the hall
    #: lines changed since the previous revision.
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    policy_version_id: Mapped[int] = mapped_column(sa.ForeignKey("policy_version.id"))
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: SHA-256 (hex) of ``pdf``.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[dt.datetime]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: What the publisher previewed: the draft's ``Notice.version`` and the SHA-256 of the previewed snapshot.
    #: A replayed publish form carrying the same pair gets this revision back instead of a new one.
    draft_version: Mapped[int | None]
    preview_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    notice: Mapped[Notice] = relationship(back_populates="revisions")
    policy_version: Mapped[PolicyVersion] = relationship()
    published_by: Mapped[User | None] = relationship()

    @property
    def period(self) -> str:
        return self.snapshot["period"]

    def __repr__(self) -> str:
        return f"<NoticeRevision {self.notice_id} #{self.number}>"


class NoticeLetter(Model):
    """A hall's feedback letter of a revision, rendered once from the frozen snapshot and kept: the letter a
    hall downloads today is byte for byte the one it downloads next year."""

    __tablename__ = "notice_letter"
    __table_args__ = (sa.UniqueConstraint("revision_id", "hall_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("notice_revision.id"))
    #: The hall's id as the snapshot lists it (a hall line; no foreign key: the letter outlives hall records).
    hall_id: Mapped[int]
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: SHA-256 (hex) of ``pdf``.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime]


class PreviewDigest(Model):
    """The hash of a draft previewed (:func:`surveyapp.notices.closing.draft_preview`), kept under what the
    draft was built from, so that the publish request, in whichever process it runs, recognises an unchanged
    draft without building its snapshot again. Rows older than a day are pruned when a new one is written."""

    __tablename__ = "notice_preview_digest"

    #: SHA-256 (hex) of the draft's key (:func:`surveyapp.notices.closing._draft_key`).
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: The preview's :func:`~surveyapp.notices.closing.snapshot_digest`.
    digest: Mapped[str] = mapped_column(sa.String(64))
    made_at: Mapped[dt.datetime] = mapped_column(index=True)
