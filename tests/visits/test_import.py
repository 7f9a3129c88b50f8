"""Paper and offline results: ``flask visits import`` and the upload page, all or nothing, idempotent by visit id."""
from __future__ import annotations

import datetime as dt
import io
import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.audit.models import AuditEntry
from surveyapp.checklists import scoring
from surveyapp.checklists.definition import EvidenceRule, ItemKind
from surveyapp.db import db
from surveyapp.visits.models import Answer, Visit, VisitStatus
from tests.conftest import full_marks
from tests.visits.conftest import PLANNING_NOW

KINDS = ("announced", "unannounced", "supervisor")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": PLANNING_NOW}


def paper_records(org: dict[str, Any], count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` realistic records of November: every kind, the right supervisors, some findings with
    their remarks (and the paper-evidence flag where a finding needs a photo)."""
    rng = random.Random(seed)
    people = {"announced": [org["inspector_n"], org["inspector_city"]], "unannounced": [org["inspector_city"]],
              "supervisor": [org["social_n"], org["social_s"]]}
    records = []
    for n in range(count):
        kind = KINDS[n % 3]
        hall = rng.choice(org["halls"])
        supervisor = next(s for s in people[kind] if any(u in _chain(hall.unit) for u in s.units))
        version = org["social"] if kind == "supervisor" else org["etiquette"]
        answers: dict[str, Any] = full_marks(version, kind, hall.type.value, [hall.staff[0].job_number])
        remarks = {}
        failed = [i for i in scoring.applicable_items(version.definition, kind, hall.type) if i.kind is ItemKind.CHECK
                  and answers.get(i.key) == "pass"]
        for item in rng.sample(failed, rng.randint(0, 2)):
            answers[item.key] = "fail"
            remarks[item.key] = "现场记录：不符合要求"
        needs_paper = any(scoring.needs_evidence(i, answers.get(i.key)) for i in version.definition.items
                          if i.key in answers and i.evidence is not EvidenceRule.NONE)
        day = 1 + n % 19
        record = {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "hall": hall.code,
                  "form": version.checklist.slug, "form_version": version.version, "type": kind,
                  "supervisor": supervisor.username, "visited_at": f"2026-11-{day:02d}T{9 + n % 8:02d}:20:00+08:00",
                  "answers": answers, "remarks": remarks, "staff": [hall.staff[-1].job_number], "scenario": "缴费",
                  "impression": "营业员态度热情，业务办理较快，环境整洁有序。"}
        if needs_paper:
            record["evidence"] = "paper"
        records.append(record)
    return records


def _chain(unit: Any) -> list[Any]:
    out = []
    while unit is not None:
        out.append(unit)
        unit = unit.parent
    return out


def write(tmp_path: Path, records: list[dict[str, Any]], name: str = "paper.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"visits": records}, ensure_ascii=False, indent=1), encoding="utf-8")
    return str(path)


def count(model: Any = Visit, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_file_of_paper_results_is_imported_scored_and_audited(runner, tmp_path, planning_org):
    records = paper_records(planning_org, 60)
    result = runner.invoke(args=["visits", "import", write(tmp_path, records), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "60 records: 60 imported (0 validated), 0 unchanged." in result.output
    visits = {v.uid: v for v in db.session.scalars(sa.select(Visit))}
    assert len(visits) == 60 and {v.status for v in visits.values()} == {VisitStatus.SUBMITTED}
    for record in records:
        visit = visits[record["id"]]
        expected = scoring.score_visit(visit.checklist_version.definition, visit.type, visit.hall.type, record["answers"])
        assert visit.score == scoring.round_half_up(expected.score, 6) and visit.earned == expected.earned
        assert visit.hall.code == record["hall"] and visit.supervisor.username == record["supervisor"]
        answered = {n for v in record["answers"].values() if isinstance(v, list) for n in v}
        assert visit.period == "2026-11" and [s.job_number for s in visit.staff] == sorted(set(record["staff"]) | answered)
        assert [e.action for e in visit.events] == ["import", "submit"]
        assert visit.revisions[0].content.get("evidence") == record.get("evidence")
    assert any("evidence" in r for r in records) and any("evidence" not in r for r in records)
    assert count(Answer) > 60 * 20
    assert planning_org["etiquette"].frozen_at is not None and planning_org["social"].frozen_at is not None
    assert count(AuditEntry, AuditEntry.action == "visit.import") == 61  # one per visit and one for the file
    # They wait for validation like any submitted visit.
    assert count(Visit, Visit.validated_at.is_(None)) == 60


def test_one_bad_record_and_nothing_is_written(runner, tmp_path, planning_org, make_unit, make_hall, make_user):
    org = planning_org
    records = paper_records(org, 30)
    good = records[0]
    far = make_hall("W1", "城西营业厅", unit=make_unit("W", "城西分公司"))
    bad = [
        {**good, "id": str(uuid.uuid4()), "hall": "NOPE"},
        {**good, "id": str(uuid.uuid4()), "supervisor": "ghost"},
        {**good, "id": str(uuid.uuid4()), "form": "hall-etiquette", "form_version": 9},
        {**good, "id": str(uuid.uuid4()), "type": "supervisor", "form": "hall-etiquette"},
        {**good, "id": str(uuid.uuid4()), "visited_at": "2026-11-05 10:20"},
        {**good, "id": str(uuid.uuid4()), "staff": ["S101"]},
        {**good, "id": str(uuid.uuid4()), "hall": far.code},
        {**good, "id": good["id"]},
    ]
    records += bad
    audit_rows = count(AuditEntry)
    result = runner.invoke(args=["visits", "import", write(tmp_path, records), "--lang", "en"])
    assert result.exit_code == 1
    out = result.output
    assert "Nothing was imported: 8 problems were found." in out
    assert f"Record 31 (id {bad[0]['id']}): unknown hall NOPE" in out
    assert "Record 32" in out and "unknown supervisor ghost" in out
    assert "Record 33" in out and "form hall-etiquette has no version 9" in out
    assert "Record 34" in out and "form hall-etiquette is not for supervisor visits" in out
    assert "Record 35" in out and "visited_at must be a time with its offset" in out
    assert "Record 36" in out and "S101 is not a job number of this hall's staff." in out
    assert "Record 37" in out and "does not cover the unit of hall W1" in out
    assert f"Record 38 (id {good['id']}): the same id is already record 1" in out
    assert count() == 0 and count(AuditEntry) == audit_rows


def test_answers_are_checked_by_the_checklists_rules(runner, tmp_path, planning_org):
    org = planning_org
    [record] = paper_records(org, 1)  # an announced inspection
    hall_records = []
    uniform = "appearance.uniform"
    for change in ({"answers.extra": 1}, {"answers.appearance.uniform": "maybe"}, {"drop": uniform},
                   {"answers.appearance.uniform": "fail", "no_paper": True}, {"type": "unannounced", "answers.management.roster": "pass"}):
        item = json.loads(json.dumps(record))
        item["id"] = str(uuid.uuid4())
        item.pop("evidence", None)
        for key, value in change.items():
            if key.startswith("answers."):
                item["answers"][key.removeprefix("answers.")] = value
            elif key == "drop":
                del item["answers"][value]
            elif key == "type":
                item["type"] = value
        hall_records.append(item)
    result = runner.invoke(args=["visits", "import", write(tmp_path, hall_records), "--lang", "en"])
    out = result.output
    assert result.exit_code == 1, out
    assert "Record 1" in out and "extra: this checklist has no such item" in out
    assert "Record 2" in out and "appearance.uniform: answer pass, fail or na" in out
    assert "Record 3" in out and "appearance.uniform: this item must be answered" in out
    assert ("Record 4" in out and "appearance.uniform: Add a photo of what failed. Paper records carry no photos: "
            "add \"evidence\": \"paper\"" in out)
    assert "Record 5" in out and "management.roster: this item does not apply to this visit" in out
    assert count() == 0


def test_importing_again_changes_nothing_and_other_content_under_the_same_id_is_refused(runner, tmp_path, planning_org):
    records = paper_records(planning_org, 12)
    path = write(tmp_path, records)
    assert runner.invoke(args=["visits", "import", path]).exit_code == 0
    audit_rows, visits_before = count(AuditEntry), count()
    again = runner.invoke(args=["visits", "import", path, "--lang", "en"])
    assert again.exit_code == 0 and "12 records: 0 imported (0 validated), 12 unchanged." in again.output
    assert count() == visits_before and count(AuditEntry) == audit_rows + 1  # the import itself is recorded
    # The same content written differently (another offset, keys reordered) is the same record.
    records[0]["visited_at"] = dt.datetime.fromisoformat(records[0]["visited_at"]).astimezone(dt.UTC).isoformat()
    records[0]["answers"] = dict(reversed(list(records[0]["answers"].items())))
    assert "12 unchanged" in runner.invoke(args=["visits", "import", write(tmp_path, records), "--lang", "en"]).output

    changed = json.loads(json.dumps(records))
    changed[4]["impression"] = "改过的印象：整体尚可，个别营业员用语不规范。"
    changed[7]["hall"] = "S4" if changed[7]["hall"] != "S4" else "S3"
    result = runner.invoke(args=["visits", "import", write(tmp_path, changed, "changed.json"), "--lang", "en"])
    assert result.exit_code == 1
    assert (f"Record 5 (id {changed[4]['id']}): this visit was already imported with other content (impression); "
            "give changed results a new id") in result.output
    assert f"Record 8 (id {changed[7]['id']})" in result.output
    visit = db.session.scalar(sa.select(Visit).where(Visit.uid == records[4]["id"]))
    assert visit.impression == records[4]["impression"]


def test_validate_by_a_market_user(runner, tmp_path, planning_org):
    records = paper_records(planning_org, 9)
    path = write(tmp_path, records)
    assert runner.invoke(args=["visits", "import", path, "--validate"]).exit_code == 2
    refused = runner.invoke(args=["visits", "import", path, "--validate", "--by", "soc_n", "--lang", "en"])
    assert refused.exit_code == 1 and "soc_n is not an active market department user" in refused.output
    result = runner.invoke(args=["visits", "import", path, "--validate", "--by", "MARKET1", "--lang", "en"])
    assert result.exit_code == 0 and "9 records: 9 imported (9 validated), 0 unchanged." in result.output
    visits = list(db.session.scalars(sa.select(Visit)))
    assert {v.status for v in visits} == {VisitStatus.VALIDATED}
    assert {v.validated_by.username for v in visits} == {"market1"}
    # Announced inspections reach the hall at validation; mystery visits wait for the notice.
    assert all((v.released_at is not None) == (v.type.value == "announced") for v in visits)
    assert [e.action for e in visits[0].events] == ["import", "submit", "approve"]


def test_paper_results_may_be_older_than_their_checklist_versions_loading(runner, tmp_path, planning_org, app):
    # The market department imports paper results of any age (as with VISIT_MAX_BACKDATE_DAYS): the company may
    # have used the checklist on paper before it loaded it here. A supervisor's phone may not (test_supervisor).
    org = planning_org
    for version in (org["etiquette"], org["social"]):
        version.first_loaded_at = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)
    db.session.commit()
    records = paper_records(org, 6)
    assert min(r["visited_at"] for r in records) < "2026-11-15"
    result = runner.invoke(args=["visits", "import", write(tmp_path, records), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert count() == 6


def test_an_import_shows_its_progress_on_a_terminal_only(runner, tmp_path, planning_org, app):
    from tests.terminal import run_on_terminal

    path = write(tmp_path, paper_records(planning_org, 5))
    checked = runner.invoke(args=["visits", "import", path, "--dry-run", "--lang", "en"])
    # Not on a terminal: the output is the summary alone, as before there was a bar.
    assert checked.output == (f"{path}: 5 records: 5 imported (0 validated), 0 unchanged. "
                              "(Checked only: nothing was written.)\n")
    code, out, shown = run_on_terminal(app, ["visits", "import", path, "--lang", "en"], tmp_path / "instance")
    assert code == 0, shown
    assert out == f"{path}: 5 records: 5 imported (0 validated), 0 unchanged.\n"
    assert "Checking records 5/5" in shown and "Importing records 5/5" in shown and "100%" in shown
    db.session.expire_all()
    assert count() == 5


def test_a_planned_visit_done_offline_is_completed_by_its_id(runner, tmp_path, planning_org, make_visit):
    org = planning_org
    hall = org["halls"][2]
    planned = make_visit(hall, "unannounced", org["inspector_city"], status="planned",
                         due=(dt.date(2026, 11, 16), dt.date(2026, 11, 22)))
    [record] = paper_records(org, 1)
    record.update(id=planned.uid, hall=hall.code, type="unannounced", supervisor="insp_c", staff=[hall.staff[1].job_number],
                  answers=full_marks(org["etiquette"], "unannounced", hall.type.value, [hall.staff[0].job_number]))
    record.pop("evidence", None)
    refused = runner.invoke(args=["visits", "import", write(tmp_path, [record]), "--lang", "en"])  # on 1 November
    assert refused.exit_code == 1 and "visited_at: The visit time is before the plan's due window opened" in refused.output
    record["visited_at"] = "2026-11-17T10:20:00+08:00"
    result = runner.invoke(args=["visits", "import", write(tmp_path, [record]), "--lang", "en"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert planned.status is VisitStatus.SUBMITTED and count() == 1
    assert [e.action for e in planned.events] == ["plan", "import", "submit"]
    other = {**record, "supervisor": "insp_n"}
    refused = runner.invoke(args=["visits", "import", write(tmp_path, [other], "other.json"), "--lang", "en"])
    assert "this visit was already imported with other content (supervisor)" in refused.output


def test_unreadable_files_are_refused_clearly(runner, tmp_path, planning_org):
    bad = tmp_path / "bad.json"
    for content, message in ((b"{not json", "The file is not valid JSON (line 1, column 2"),
                             (b'{"visits": {}}', 'The file must hold an object with a list "visits"'),
                             (b'{"visits": []}', "The file holds no visit."), (b"\xff\xfe\x00", "The file is not UTF-8 text."),
                             (b'{"visits": [3, {"id": "x"}]}', "Record 1: a record must be an object")):
        bad.write_bytes(content)
        result = runner.invoke(args=["visits", "import", str(bad), "--lang", "en"])
        assert result.exit_code == 1 and message in result.output, result.output
    assert "Record 2 (id x): the field \"hall\" is missing" in result.output
    assert "Record 2 (id x): unknown field" not in result.output


def test_the_upload_page_in_chinese(client, login_as, planning_org, tmp_path):
    records = paper_records(planning_org, 6)
    login_as("market")
    page = client.get("/visits/import/").get_data(as_text=True)
    assert "evidence" in page and "flask visits import FILE.json" in page
    broken = [*records, {**records[0], "id": str(uuid.uuid4()), "hall": "NOPE"}]
    body = json.dumps({"visits": broken}, ensure_ascii=False).encode()
    response = client.post("/visits/import/", data={"file": (io.BytesIO(body), "纸质记录.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "第 7 条记录" in response.get_data(as_text=True) and count() == 0
    body = json.dumps({"visits": records}, ensure_ascii=False).encode()
    response = client.post("/visits/import/", data={"file": (io.BytesIO(body), "纸质记录.json"), "approve": "y"},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert count(Visit, Visit.status == VisitStatus.VALIDATED) == 6
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "visit.import", AuditEntry.object_type == "import"))
    assert entry.object_label == "纸质记录.json" and entry.actor.username.startswith("market")


def test_implausible_times_and_text_the_database_cannot_store_are_named_per_record(runner, tmp_path, planning_org):
    """A NUL or a lone surrogate (written as JSON escapes) and times before any visit: each record named, nothing
    written (a visit of 0001-01-01 was a crash, one of 1900 was filed under 1900-01)."""
    records = paper_records(planning_org, 5)
    records[1]["visited_at"] = "0001-01-01T00:00:00+08:00"
    records[2]["visited_at"] = "1900-01-01T10:00:00+08:00"
    records[3]["impression"] = "营业员态度热情\u0000"
    records[4]["remarks"] = {"appearance.uniform": "半个表情\ud83d"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"visits": records}), encoding="utf-8")
    result = runner.invoke(args=["visits", "import", str(path), "--lang", "en"])
    assert result.exit_code == 1
    out = result.output
    assert "Nothing was imported: 4 problems were found." in out
    assert "Record 2 (id" in out and "visited_at: The visit time is too far in the past: the earliest accepted is" in out
    assert "Record 3 (id" in out
    assert "Record 4: impression: it contains the character U+0000 at position 8" in out
    assert "Record 5: remarks.appearance.uniform: it contains the character U+D83D at position 5" in out
    assert count() == 0


def test_a_file_nested_too_deep_is_refused(runner, tmp_path, planning_org):
    path = tmp_path / "deep.json"
    path.write_text('{"visits": ' + "[" * 100000 + "]" * 100000 + "}", encoding="utf-8")
    result = runner.invoke(args=["visits", "import", str(path), "--lang", "en"])
    assert result.exit_code == 1 and "nested more than" in result.output
