"""Every import of the command line with generated files: CSV and XLSX of every bulk kind (units, halls, staff,
users), JSON visits, TOML checklists and assessment policies.

The property: the command succeeds, or exits 1 with a message and no traceback, and then the database is as
it was. The bulk kinds come from :data:`surveyapp.bulk.KINDS`, so a kind added later is fuzzed too.
"""
from __future__ import annotations

import csv
import io
import json
import random
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from surveyapp import bulk, resources
from tests.conftest import xlsx_bytes
from tests.fuzz.strategies import FUZZ, dates, json_values, numbers, texts
from tests.test_access_matrix import _fingerprint
from tests.visits.conftest import planning_org  # noqa: F401 - a fixture
from tests.visits.test_import import paper_records

#: The command of each bulk kind; ``test_every_import_command_is_fuzzed`` keeps this complete.
BULK_COMMANDS = {"units": ["org", "import-units"], "halls": ["org", "import-halls"], "staff": ["org", "import-staff"],
                 "users": ["users", "import"]}
OTHER_COMMANDS = [["visits", "import"], ["forms", "load"], ["policy", "load"]]


def test_every_import_command_is_fuzzed(app) -> None:
    """A command that reads a file (``import*``, ``load``) must be one this suite sends generated files to."""
    readers = {(group, name) for group in app.cli.list_commands(None)
               for name in getattr(app.cli.get_command(None, group), "commands", {})
               if name.startswith("import") or name == "load"}
    fuzzed = {(args[0], args[1]) for args in [*BULK_COMMANDS.values(), *OTHER_COMMANDS]}
    assert readers - {("demo", "load")} == fuzzed
    assert set(bulk.KINDS) == set(BULK_COMMANDS)


def _run(runner: Any, args: list[str], path: Path, data: bytes) -> None:
    """Run an import command on ``data``; check the outcome and that a failure wrote nothing."""
    path.write_bytes(data)
    before = _fingerprint()
    result = runner.invoke(args=[*args, str(path)])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: {result.exception!r}\n{output[:2000]}")
    assert "Traceback (most recent call last)" not in output
    assert result.exit_code in (0, 1), (result.exit_code, output[:2000])
    if result.exit_code:
        assert output.strip(), f"{args} failed without a word"
        assert _fingerprint() == before, f"{args} failed but changed data"


def _real_values(org: dict[str, Any]) -> list[str]:
    halls = org["halls"]
    return [org["city"].code, org["north"].code, halls[0].code, halls[0].name, halls[0].staff[0].job_number,
            "self-run", "cooperative", "自办", "合作", "market", "supervisor", "hall_manager", "是", "否", "1", "0"]


cells = st.one_of(texts, numbers.map(str), dates)


@pytest.mark.parametrize("kind", sorted(BULK_COMMANDS))
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bulk_imports_refuse_bad_files_cleanly(kind, fmt, runner, tmp_path, planning_org) -> None:  # noqa: F811
    command = BULK_COMMANDS[kind]
    columns = [name for column in bulk.KINDS[kind].columns for name in (column.key, column.zh, column.en)]
    values = st.one_of(st.sampled_from(_real_values(planning_org)), cells)
    headers = st.lists(st.one_of(st.sampled_from(columns), texts), min_size=1, max_size=6, unique=True)

    @FUZZ
    @given(headers=headers, rows=st.lists(st.lists(values, max_size=7), max_size=5), garbage=st.binary(max_size=64))
    def fuzz(headers: list[str], rows: list[list[str]], garbage: bytes) -> None:
        table = [headers, *rows]
        if fmt == "csv":
            out = io.StringIO()
            csv.writer(out).writerows(table)
            data = out.getvalue().encode("utf-8", "surrogatepass") + (garbage if len(rows) % 2 else b"")
        else:
            data = xlsx_bytes([[_xlsx_safe(c) for c in row] for row in table]) if len(rows) % 3 else garbage
        _run(runner, command, tmp_path / f"file.{fmt}", data)

    fuzz()


def _xlsx_safe(cell: str) -> str:
    """openpyxl itself refuses control characters and lone surrogates: the file could not hold them."""
    return "".join(c for c in cell if c.isprintable() or c in "\t\n") .encode("utf-8", "replace").decode()


def _mutate(tree: Any, rng: random.Random, value: Any) -> Any:
    """``tree`` with one leaf replaced by ``value``, one key removed or one stray key added."""
    if isinstance(tree, dict) and tree:
        key = rng.choice(sorted(tree, key=str))
        action = rng.random()
        if action < 0.15:
            return {k: v for k, v in tree.items() if k != key}
        if action < 0.3:
            return {**tree, "extra": value}
        return {**tree, key: _mutate(tree[key], rng, value)}
    if isinstance(tree, list) and tree:
        index = rng.randrange(len(tree))
        return [*tree[:index], _mutate(tree[index], rng, value), *tree[index + 1:]]
    return value


def test_visit_imports_refuse_bad_files_cleanly(runner, tmp_path, planning_org) -> None:  # noqa: F811
    records = paper_records(planning_org, 3)

    @FUZZ
    @given(seed=st.integers(0, 2**32), value=json_values, mutations=st.integers(1, 3))
    def fuzz(seed: int, value: Any, mutations: int) -> None:
        rng = random.Random(seed)
        tree: Any = {"visits": records}
        for _ in range(mutations):
            tree = _mutate(tree, rng, value)
        _run(runner, ["visits", "import"], tmp_path / "visits.json",
             json.dumps(tree, ensure_ascii=False).encode("utf-8", "surrogatepass"))

    fuzz()


def _toml(tree: Any) -> bytes:
    try:
        return tomli_w.dumps(tree).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError):  # TOML has no null, and a top level must be a table
        return json.dumps(tree, default=str).encode()


toml_values = st.one_of(texts, numbers, dates, st.booleans(), st.lists(st.one_of(texts, numbers), max_size=3))


@pytest.mark.parametrize("what", ["checklist", "policy"])
def test_toml_files_refuse_bad_files_cleanly(what, runner, tmp_path, planning_org) -> None:  # noqa: F811
    if what == "checklist":
        source = tomllib.loads((resources.resource_dir("forms") / "hall-etiquette.toml").read_text(encoding="utf-8"))
        source["form"]["version"] = 2
        args = ["forms", "load"]
    else:
        exported = runner.invoke(args=["policy", "export"])
        assert exported.exit_code == 0, exported.output
        source = tomllib.loads(exported.output)
        args = ["policy", "load"]

    @FUZZ
    @given(seed=st.integers(0, 2**32), value=toml_values, mutations=st.integers(1, 3))
    def fuzz(seed: int, value: Any, mutations: int) -> None:
        rng = random.Random(seed)
        tree = source
        for _ in range(mutations):
            tree = _mutate(tree, rng, value)
        _run(runner, args, tmp_path / f"{what}.toml", _toml(tree))

    fuzz()
