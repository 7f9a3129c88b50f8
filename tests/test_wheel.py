"""A wheel built from the repository installs into a fresh virtualenv and serves pages: templates,
static files, translations, migrations and checklist files travel inside the package."""
from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def _tracked_copy(target: Path) -> Path:
    """The repository's tracked files (what a clone has), so the build leaves the checkout untouched."""
    files = _run("git", "ls-files", "-z", cwd=REPO).stdout.split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    """A fresh virtualenv with only the wheel installed; the dependencies come from the test venv
    through a .pth file, so nothing is downloaded."""
    work = tmp_path_factory.mktemp("wheel")
    source = _tracked_copy(work / "src")
    _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", work / "dist", source)
    wheel = next((work / "dist").glob("surveyapp-*.whl"))
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "test-venv-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel)
    return {"wheel": wheel, "python": python, "site": site, "work": work}


def test_the_wheel_carries_templates_static_translations_migrations_and_forms(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    assert "surveyapp/templates/base.html" in names and "surveyapp/templates/org/halls.html" in names
    assert "surveyapp/static/css/app.css" in names and "surveyapp/static/js/app.js" in names
    assert "surveyapp/org/translations/zh/LC_MESSAGES/messages.mo" in names
    assert "surveyapp/migrations/env.py" in names
    assert any(re.match(r"surveyapp/migrations/versions/.+\.py$", n) for n in names)
    for form in (REPO / "forms").glob("*.toml"):
        assert f"surveyapp/forms/{form.name}" in names
    for package in (REPO / "surveyapp").iterdir():
        if (package / "__init__.py").is_file():
            assert f"surveyapp/{package.name}/__init__.py" in names, f"add surveyapp.{package.name} to setup.cfg packages"


def test_the_installed_app_migrates_and_serves_pages(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYAPP_")}
    env.update(SURVEYAPP_INSTANCE_PATH=str(tmp_path / "instance"), SURVEYAPP_SECRET_KEY="wheel-test")
    python = installed["python"]
    where = _run(python, "-c", "import surveyapp, surveyapp.resources as r; print(surveyapp.__file__); "
                 "print(r.resource_dir('templates')); print(r.resource_dir('migrations'))", cwd=tmp_path, env=env).stdout
    assert all(line.startswith(str(installed["site"])) for line in where.split()), where
    flask = [python, "-m", "flask", "--app", "surveyapp"]
    assert "database at revision" in _run(*flask, "db", "upgrade", cwd=tmp_path, env=env).stdout
    _run(*flask, "users", "create", "boss", "--name", "管理员", "--role", "admin", "--password", "wheel test pw", cwd=tmp_path, env=env)

    port = _free_port()
    server = subprocess.Popen([python, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "surveyapp:create_app()"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        def get(path: str, data: bytes | None = None) -> tuple[str, str, int]:
            with opener.open(base + path, data=data, timeout=5) as response:
                return response.url, response.read().decode(), response.status

        for _ in range(100):
            try:
                _, login_page, _ = get("/login")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        assert "登录" in login_page
        assert get("/static/css/app.css")[2] == 200
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "username": "boss", "password": "wheel test pw"}).encode()
        assert get("/login", form)[0].endswith("/home/admin")
        _, halls, _ = get("/org/halls")
        assert "营业厅" in halls and "编码" in halls
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()
