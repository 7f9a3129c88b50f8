"""What production installs and what CI prints: every package the code imports is declared and pinned, and
the CI script never prints the database password (issue 16, item 9)."""
from __future__ import annotations

import ast
import configparser
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _requirement_name(line: str) -> str:
    return re.split(r"[\[<>=!~; ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> dict[str, str]:
    """Declared distribution -> its requirement line (install_requires and every extra)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].splitlines()
    lines += [line for extra in config["options.extras_require"].values() for line in extra.splitlines()]
    return {_requirement_name(line): line.strip() for line in lines if line.strip() and not line.strip().startswith("#")}


def _imported_top_level_modules() -> set[str]:
    names = set()
    for path in (ROOT / "surveyapp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"surveyapp"}


def test_every_package_the_code_imports_is_declared_and_pinned() -> None:
    declared = _declared()
    distributions = importlib.metadata.packages_distributions()
    undeclared = {module: distributions.get(module) for module in _imported_top_level_modules()
                  if not any(_requirement_name(d) in declared for d in distributions.get(module, [module]))}
    assert not undeclared, f"imported but not in setup.cfg: {undeclared}"
    pinned = {_requirement_name(line) for line in (ROOT / ".ci/constraints.txt").read_text().splitlines() if "==" in line}
    unpinned = set(declared) - pinned
    assert not unpinned, f"declared in setup.cfg but not pinned in .ci/constraints.txt: {sorted(unpinned)}"


def test_weasyprint_is_at_least_the_version_whose_api_the_code_uses() -> None:
    """surveyapp/pdf.py subclasses weasyprint.urls.URLFetcher, a class since WeasyPrint 68."""
    minimum = re.search(r">=(\d+)", _declared()["weasyprint"])
    assert minimum is not None and int(minimum.group(1)) >= 68


def test_ci_never_prints_the_database_password() -> None:
    """.ci/run announces the server's URL: run its very masking line on URLs with awkward passwords."""
    [line] = [line for line in (ROOT / ".ci/run").read_text().splitlines() if line.startswith("echo ") and "url" in line]
    for password in ("s3cret", "p@ss:w/rd", "%40x%3A", "a#b$c"):
        url = f"postgresql+psycopg://surveyapp:{password}@db.example:5432/surveyapp"
        shown = subprocess.run(["bash", "-c", f"url=\"$1\"; {line}", "run", url], capture_output=True, text=True,
                               check=True).stdout
        assert password not in shown and "surveyapp:***@" in shown and "db.example:5432/surveyapp" in shown, shown
