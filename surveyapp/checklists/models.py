"""Checklists in the database: a checklist, its loaded versions, and one row per item of each version."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.checklists.definition import Definition, EvidenceRule, ItemKind
from surveyapp.db import Model


def _enum(cls: type) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Checklist(Model):
    """A survey form known by its stable slug (``[form] id``); its content lives in its versions."""

    __tablename__ = "checklist"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The ``id`` of the ``[form]`` table, e.g. ``hall-etiquette``.
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Titles of the newest version.
    title: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime]

    versions: Mapped[list[ChecklistVersion]] = relationship(
        back_populates="checklist", order_by="ChecklistVersion.version", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Checklist {self.slug}>"


class ChecklistVersion(Model):
    """One version of a checklist as loaded from its file; frozen once a visit has used it."""

    __tablename__ = "checklist_version"
    __table_args__ = (sa.UniqueConstraint("checklist_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist.id", ondelete="CASCADE"))
    #: ``[form] version``: a changed file needs a higher one once this one is frozen.
    version: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    #: The normalized definition (:meth:`Definition.to_json`): what the scoring engine and the forms read.
    definition_json: Mapped[dict[str, Any]] = mapped_column("definition", sa.JSON)
    #: The file exactly as loaded, and its SHA-256 (hex) to tell an unchanged file from a changed one.
    source: Mapped[str] = mapped_column(sa.Text)
    source_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: Where the file was loaded from, as given to ``flask forms load`` (e.g. ``forms/hall-etiquette.toml``).
    source_name: Mapped[str] = mapped_column(sa.String(255))
    #: When the file was last (re)loaded: a version not used yet may be replaced.
    loaded_at: Mapped[dt.datetime]
    #: When this version first existed (its first load; never rewritten): no visit on it is dated earlier.
    first_loaded_at: Mapped[dt.datetime]
    #: When the first visit used this version (set by the visits capability); from then on it never changes.
    frozen_at: Mapped[dt.datetime | None]

    checklist: Mapped[Checklist] = relationship(back_populates="versions")
    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="version", order_by="ChecklistItem.position", cascade="all, delete-orphan",
        passive_deletes=True)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def definition(self) -> Definition:
        """The definition as plain data (parsed once per loaded object)."""
        cached = self.__dict__.get("_definition")
        if cached is None or cached[0] != self.source_sha256:
            cached = (self.source_sha256, Definition.from_json(self.definition_json))
            self.__dict__["_definition"] = cached
        return cached[1]

    def __repr__(self) -> str:
        return f"<ChecklistVersion {self.checklist_id} v{self.version}>"


class ChecklistItem(Model):
    """An item of a checklist version, as a row so reports can join answers (by ``key``) to items in SQL."""

    __tablename__ = "checklist_item"
    __table_args__ = (sa.UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_version.id", ondelete="CASCADE"))
    #: The answer key, ``"section.item"``.
    key: Mapped[str] = mapped_column(sa.String(129))
    section_id: Mapped[str] = mapped_column(sa.String(64))
    section_title: Mapped[str] = mapped_column(sa.String(200))
    section_title_en: Mapped[str | None] = mapped_column(sa.String(200))
    item_id: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str | None] = mapped_column(sa.Text)
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind))
    #: ``None`` for unscored kinds (text, staff).
    points: Mapped[int | None]
    #: Count items: points deducted per occurrence.
    per: Mapped[int | None]
    redline: Mapped[bool]
    evidence: Mapped[EvidenceRule] = mapped_column(_enum(EvidenceRule))
    #: Lists of visit types / hall types the item is limited to; ``None`` means no limit.
    visit_types: Mapped[list[str] | None] = mapped_column(sa.JSON)
    hall_types: Mapped[list[str] | None] = mapped_column(sa.JSON)
    guidance: Mapped[str | None] = mapped_column(sa.Text)
    guidance_en: Mapped[str | None] = mapped_column(sa.Text)
    required: Mapped[bool]
    #: Order in the whole form, from 1.
    position: Mapped[int]

    version: Mapped[ChecklistVersion] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"<ChecklistItem {self.key}>"
