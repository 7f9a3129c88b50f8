"""Loading checklist files into the database, freezing used versions, and reading checklists back."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.audit import display
from surveyapp.audit.services import record
from surveyapp.auth.models import User
from surveyapp.checklists import loader
from surveyapp.checklists.definition import Definition
from surveyapp.checklists.models import Checklist, ChecklistItem, ChecklistVersion
from surveyapp.errors import NotFound, ValidationError

log = logging.getLogger("surveyapp.checklists")

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass(frozen=True)
class LoadOutcome:
    """What loading one file did: ``created`` a version, ``updated`` an unused one, or left it ``unchanged``."""

    name: str
    version: ChecklistVersion
    status: str


def load_sources(session: Session, actor: User | None, sources: Sequence[loader.SourceFile]) -> list[LoadOutcome]:
    """Validate every file, then load each one; all or nothing.

    A file whose form version is already loaded with the same text changes nothing. A changed file may
    replace its version only while no visit has used it (``frozen_at`` unset); otherwise it needs a new
    version number, and so does a version number older than the newest loaded one.

    :raise ValidationError: listing every problem of every file (nothing is loaded then; the caller rolls back).
    """
    checked = loader.check_sources(sources)
    problems = [message for result in checked for message in result.messages()]
    if problems:
        raise ValidationError(_("No checklist was loaded: fix these problems first."), errors=problems)
    outcomes: list[LoadOutcome] = []
    refusals: list[str] = []
    # Oldest first, so loading versions 1 and 2 of a form together is not refused as going backwards.
    for result in sorted(checked, key=lambda r: (r.definition.id, r.definition.version)):  # type: ignore[union-attr]
        assert result.definition is not None
        try:
            outcomes.append(_load_one(session, actor, result.source, result.definition))
        except ValidationError as refused:
            refusals.append(f"{result.source.name}: {refused.message}")
    if refusals:
        raise ValidationError(_("No checklist was loaded: fix these problems first."), errors=refusals)
    return outcomes


def _load_one(session: Session, actor: User | None, source: loader.SourceFile, definition: Definition) -> LoadOutcome:
    checklist = session.scalar(sa.select(Checklist).where(Checklist.slug == definition.id))
    now = clock.now()
    if checklist is None:
        checklist = Checklist(slug=definition.id, title=definition.title, title_en=definition.title_en, created_at=now)
        session.add(checklist)
        session.flush()
    existing = session.scalar(
        sa.select(ChecklistVersion)
        .where(ChecklistVersion.checklist_id == checklist.id, ChecklistVersion.version == definition.version)
        .with_for_update()
    )
    newest = session.scalar(sa.select(sa.func.max(ChecklistVersion.version)).where(ChecklistVersion.checklist_id == checklist.id))
    if existing is None and newest is not None and definition.version < newest:
        raise ValidationError(_(
            "version %(version)s of %(form)s is older than version %(newest)s already loaded; "
            "a new version needs a number above %(newest)s",
            version=definition.version, form=definition.id, newest=newest))
    if existing is not None:
        return _reload(session, actor, existing, source, definition)

    version = ChecklistVersion(
        checklist=checklist, version=definition.version, title=definition.title, title_en=definition.title_en,
        definition_json=definition.to_json(), source=source.text, source_sha256=source.sha256,
        source_name=source.name[:255], loaded_at=now, first_loaded_at=now, items=item_rows(definition),
    )
    session.add(version)
    if newest is None or definition.version > newest:
        checklist.title, checklist.title_en = definition.title, definition.title_en
    session.flush()
    record(session, actor, "checklist.load", "checklist_version", version.id, label(version),
           {"file": source.name, "sha256": source.sha256, "items": len(definition)})
    log.info("checklist %s version %s loaded from %s", definition.id, definition.version, source.name)
    return LoadOutcome(source.name, version, CREATED)


def _reload(session: Session, actor: User | None, version: ChecklistVersion, source: loader.SourceFile,
            definition: Definition) -> LoadOutcome:
    if version.source_sha256 == source.sha256:
        return LoadOutcome(source.name, version, UNCHANGED)
    same_content = version.definition_json == definition.to_json()
    if version.frozen_at is not None:
        if same_content:
            # Only comments or layout differ: what visits answered is the same, so keep the text they used.
            return LoadOutcome(source.name, version, UNCHANGED)
        raise ValidationError(_(
            "version %(version)s of %(form)s has been used by visits since %(since)s and can no longer change; "
            "give the changed file version %(next)s",
            version=version.version, form=definition.id, since=clock.local(version.frozen_at).strftime("%Y-%m-%d %H:%M"),
            next=_next_version(session, version)))
    version.source, version.source_sha256, version.source_name = source.text, source.sha256, source.name[:255]
    version.loaded_at = clock.now()
    if not same_content:
        version.definition_json = definition.to_json()
        version.title, version.title_en = definition.title, definition.title_en
        version.items.clear()
        session.flush()  # the old rows go before the new ones reuse their keys
        version.items.extend(item_rows(definition))
        newest = session.scalar(sa.select(sa.func.max(ChecklistVersion.version))
                                .where(ChecklistVersion.checklist_id == version.checklist_id))
        if version.version == newest:
            version.checklist.title, version.checklist.title_en = definition.title, definition.title_en
    session.flush()
    record(session, actor, "checklist.reload", "checklist_version", version.id, label(version),
           {"file": source.name, "sha256": source.sha256, "content_changed": not same_content})
    log.info("checklist %s version %s replaced from %s (not used yet)", definition.id, definition.version, source.name)
    return LoadOutcome(source.name, version, UPDATED)


def _next_version(session: Session, version: ChecklistVersion) -> int:
    newest = session.scalar(sa.select(sa.func.max(ChecklistVersion.version))
                            .where(ChecklistVersion.checklist_id == version.checklist_id))
    return (newest or version.version) + 1


def label(version: ChecklistVersion) -> str:
    """How the audit trail records a checklist version ("hall-etiquette v2"); the log shows it by its title
    in the reader's language (:func:`_version_text`)."""
    return f"{version.checklist.slug} v{version.version}"


def item_rows(definition: Definition) -> list[ChecklistItem]:
    """One :class:`ChecklistItem` per item of ``definition``, in form order."""
    rows = []
    for section in definition.sections:
        for item in section.items:
            rows.append(ChecklistItem(
                key=item.key, section_id=section.id, section_title=section.title, section_title_en=section.title_en,
                # An integrity question is never scored: no points in the rows reports count and join.
                item_id=item.id, text=item.text, text_en=item.text_en, kind=item.kind,
                points=item.points if item.scored else None,
                per=item.per, redline=item.redline, evidence=item.evidence,
                visit_types=None if item.visit_types is None else [t.value for t in item.visit_types],
                hall_types=None if item.hall_types is None else [t.value for t in item.hall_types],
                guidance=item.guidance, guidance_en=item.guidance_en, required=item.required, position=item.position,
            ))
    return rows


def mark_used(session: Session, version: ChecklistVersion, actor: User | None = None) -> bool:
    """Freeze ``version`` because a visit uses it (the visits capability calls this); idempotent.

    Concurrent loads and freezes are safe: the change is a single conditional UPDATE.

    :return: whether this call froze it (``False`` when it already was).
    """
    if version.frozen_at is not None:
        return False
    now = clock.now()
    result = session.execute(
        sa.update(ChecklistVersion)
        .where(ChecklistVersion.id == version.id, ChecklistVersion.frozen_at.is_(None))
        .values(frozen_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(version, ["frozen_at"])
    if result.rowcount:
        record(session, actor, "checklist.freeze", "checklist_version", version.id, label(version))
        return True
    return False


# --- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistSummary:
    """A checklist with what its list shows: how many versions, the newest, whether any is in use."""

    checklist: Checklist
    versions: int
    newest: int
    newest_loaded_at: object
    frozen: int


def list_checklists(session: Session) -> list[ChecklistSummary]:
    """Every checklist with a summary of its versions, by slug."""
    rows = session.execute(
        sa.select(Checklist, sa.func.count(ChecklistVersion.id), sa.func.max(ChecklistVersion.version),
                  sa.func.max(ChecklistVersion.loaded_at), sa.func.count(ChecklistVersion.frozen_at))
        .join(ChecklistVersion, ChecklistVersion.checklist_id == Checklist.id)
        .group_by(Checklist.id)
        .order_by(Checklist.slug)
    )
    return [ChecklistSummary(c, n, newest, loaded, frozen) for c, n, newest, loaded, frozen in rows]


def get_checklist(session: Session, slug: str) -> Checklist:
    """:raise NotFound: no checklist has this slug."""
    checklist = session.scalar(sa.select(Checklist).where(Checklist.slug == slug))
    if checklist is None:
        raise NotFound(_("There is no checklist %(slug)s.", slug=slug))
    return checklist


def get_version(session: Session, slug: str, number: int) -> ChecklistVersion:
    """:raise NotFound: no such checklist or version."""
    version = session.scalar(
        sa.select(ChecklistVersion).join(ChecklistVersion.checklist)
        .where(Checklist.slug == slug, ChecklistVersion.version == number)
    )
    if version is None:
        raise NotFound(_("Checklist %(slug)s has no version %(version)s.", slug=slug, version=number))
    return version


def newest_version(session: Session, slug: str) -> ChecklistVersion | None:
    """The highest version of checklist ``slug`` (what new visits should use), or ``None``."""
    return session.scalar(
        sa.select(ChecklistVersion).join(ChecklistVersion.checklist)
        .where(Checklist.slug == slug).order_by(ChecklistVersion.version.desc()).limit(1)
    )


def item_counts(session: Session, version_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """``{version id: (items, scored items)}`` in one query."""
    if not version_ids:
        return {}
    scored = sa.func.count(ChecklistItem.points)
    rows = session.execute(
        sa.select(ChecklistItem.version_id, sa.func.count(ChecklistItem.id), scored)
        .where(ChecklistItem.version_id.in_(version_ids)).group_by(ChecklistItem.version_id)
    )
    return {version_id: (total, n_scored) for version_id, total, n_scored in rows}


display.register_actions({
    "checklist.load": _l("Checklist version loaded"), "checklist.reload": _l("Checklist version replaced (not used yet)"),
    "checklist.freeze": _l("Checklist version frozen (first used)"),
})
display.register_object("checklist_version", _l("Checklist version"))
display.register_fields({"file": _l("File"), "sha256": _l("SHA-256 of the file")})
