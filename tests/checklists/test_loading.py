"""Loading checklist files into the database: idempotent, all or nothing, and a used version never changes."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from surveyapp.audit.models import AuditEntry
from surveyapp.checklists import services
from surveyapp.checklists.definition import EvidenceRule, ItemKind
from surveyapp.checklists.loader import SourceFile
from surveyapp.checklists.models import Checklist, ChecklistItem, ChecklistVersion
from surveyapp.db import db
from surveyapp.errors import ValidationError
from tests.checklists.samples import MINI, variant


def load(*texts: str, names: tuple[str, ...] = (), lang: str = "en") -> list[services.LoadOutcome]:
    sources = [SourceFile(names[i] if i < len(names) else f"forms/f{i}.toml", text) for i, text in enumerate(texts)]
    try:
        with force_locale(lang):
            outcomes = services.load_sources(db.session, None, sources)
    except ValidationError:
        db.session.rollback()
        raise
    db.session.commit()
    return outcomes


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_loading_stores_the_version_its_source_and_one_row_per_item(app):
    [outcome] = load(MINI, names=("forms/mini.toml",))
    assert outcome.status == "created"
    version = outcome.version
    assert (version.checklist.slug, version.checklist.title, version.version) == ("mini", "小检查表", 1)
    assert version.source == MINI and len(version.source_sha256) == 64 and version.source_name == "forms/mini.toml"
    assert version.loaded_at is not None and version.frozen_at is None
    assert version.definition.item("conduct.taboo").per == 2
    rows = db.session.scalars(sa.select(ChecklistItem).order_by(ChecklistItem.position)).all()
    assert [r.key for r in rows] == [i.key for i in version.definition.items]
    taboo = rows[2]
    assert (taboo.section_id, taboo.section_title, taboo.item_id, taboo.kind, taboo.points, taboo.per, taboo.redline,
            taboo.evidence, taboo.position) == ("conduct", "言行容礼", "taboo", ItemKind.COUNT, 4, 2, True,
                                                EvidenceRule.REQUIRED, 3)
    assert rows[3].visit_types == ["announced"] and rows[3].hall_types == ["self-run"] and rows[0].visit_types is None
    assert rows[5].required and rows[5].points is None
    entry = db.session.scalar(sa.select(AuditEntry))
    assert (entry.action, entry.object_label, entry.details["items"]) == ("checklist.load", "mini v1", 6)


def test_loading_an_unchanged_file_again_changes_nothing(app):
    load(MINI)
    [again] = load(MINI)
    assert again.status == "unchanged"
    assert (count(ChecklistVersion), count(ChecklistItem), count(AuditEntry)) == (1, 6, 1)


def test_an_unused_version_may_be_corrected_in_place(app):
    load(MINI)
    [outcome] = load(variant('text = "微笑服务"', 'text = "主动微笑"'))
    assert outcome.status == "updated"
    assert count(ChecklistVersion) == 1
    row = db.session.scalar(sa.select(ChecklistItem).where(ChecklistItem.key == "appearance.smile"))
    assert row.text == "主动微笑"
    assert outcome.version.definition.item("appearance.smile").text == "主动微笑"


def test_correcting_an_unused_version_keeps_when_it_first_existed(app):
    import datetime as dt

    app.config["FROZEN_NOW"] = "2026-11-02T09:00:00+08:00"
    load(MINI)
    app.config["FROZEN_NOW"] = "2026-11-20T09:00:00+08:00"
    [outcome] = load(variant('text = "微笑服务"', 'text = "主动微笑"'))
    assert outcome.status == "updated"
    db.session.expire_all()
    version = outcome.version
    assert version.loaded_at == dt.datetime(2026, 11, 20, 1, tzinfo=dt.UTC)
    assert version.first_loaded_at == dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC)


def test_a_used_version_is_frozen_and_a_changed_file_must_carry_a_new_version(app):
    [outcome] = load(MINI, names=("forms/mini.toml",))
    assert services.mark_used(db.session, outcome.version) is True
    assert services.mark_used(db.session, outcome.version) is False
    assert db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all() == ["checklist.load", "checklist.freeze"]
    db.session.commit()
    changed = variant("points = 4\nper = 2", "points = 6\nper = 2")
    with pytest.raises(ValidationError) as refused:
        load(changed, names=("forms/mini.toml",))
    [message] = refused.value.errors
    assert message.startswith("forms/mini.toml: version 1 of mini has been used by visits since ")
    assert message.endswith("and can no longer change; give the changed file version 2")
    assert db.session.scalar(sa.select(ChecklistItem.points).where(ChecklistItem.key == "conduct.taboo")) == 4

    # Comments and layout may change: what visits answered stays the same.
    assert load(MINI + "\n# reviewed 2026-11\n")[0].status == "unchanged"
    assert db.session.scalar(sa.select(ChecklistVersion.source)) == MINI

    [v2] = load(variant("version = 1", "version = 2", changed))
    assert v2.status == "created" and v2.version.version == 2
    assert count(ChecklistVersion) == 2 and count(Checklist) == 1


def test_going_back_to_an_older_version_number_is_refused(app):
    load(variant("version = 1", "version = 3"))
    with pytest.raises(ValidationError) as refused:
        load(variant("version = 1", "version = 2"))
    assert "version 2 of mini is older than version 3 already loaded" in refused.value.errors[0]


def test_the_checklist_takes_the_title_of_its_newest_version(app):
    load(variant("version = 1", "version = 2", variant('title = "小检查表"', 'title = "新检查表"')), MINI)
    assert db.session.scalar(sa.select(Checklist.title)) == "新检查表"
    assert db.session.scalars(sa.select(ChecklistVersion.version).order_by(ChecklistVersion.version)).all() == [1, 2]


def test_one_bad_file_means_nothing_is_loaded(app):
    bad = variant('id = "mini"', 'id = "other"', variant("points = 2\nevidence", "points = 0\nevidence"))
    with pytest.raises(ValidationError) as refused:
        load(MINI, bad, names=("forms/mini.toml", "forms/other.toml"))
    assert refused.value.errors == ["forms/other.toml: appearance.uniform: points must be a positive integer"]
    assert (count(Checklist), count(ChecklistVersion), count(AuditEntry)) == (0, 0, 0)


def test_problems_speak_chinese_by_default(app):
    with pytest.raises(ValidationError) as refused:
        load(variant("points = 2\nevidence", "points = 0\nevidence"), names=("forms/mini.toml",), lang="zh_CN")
    assert str(refused.value.message) == "未加载任何检查表：请先修正以下问题。"
    assert refused.value.errors == ["forms/mini.toml: appearance.uniform: points 必须是正整数"]


def test_reading_helpers(app):
    load(MINI, variant("version = 1", "version = 2"))
    assert services.newest_version(db.session, "mini").version == 2
    assert services.newest_version(db.session, "nope") is None
    assert services.get_version(db.session, "mini", 1).version == 1
    [summary] = services.list_checklists(db.session)
    assert (summary.checklist.slug, summary.versions, summary.newest, summary.frozen) == ("mini", 2, 2, 0)
    ids = [v.id for v in summary.checklist.versions]
    assert services.item_counts(db.session, ids) == {ids[0]: (6, 4), ids[1]: (6, 4)}
    from surveyapp.errors import NotFound

    with pytest.raises(NotFound):
        services.get_version(db.session, "mini", 9)
    with pytest.raises(NotFound):
        services.get_checklist(db.session, "nope")
