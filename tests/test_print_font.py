"""The print font: `flask pdf fonts` cuts Noto Sans CJK SC down once; PDFs then embed the cut-down copy,
and characters it lacks still come from the full font."""
from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

from surveyapp import create_app, pdf, print_font
from surveyapp.pdf import RefusedURL, StaticOnlyFetcher, render_pdf
from tests.pdfcheck import read_pdf

# 玥 and 堃 are common in given names but outside GB 2312.
RARE = "玥堃"
PAGE = """{% extends "pdf/base.html" %}{% block content %}<h1>{{ title }}</h1><p>{{ text }}</p>{% endblock %}"""


def font_app(folder: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "PDF_FONT_FOLDER": str(folder)})


@pytest.fixture(scope="module", autouse=True)
def own_font_configuration() -> Iterator[None]:
    """The renderer's font configuration lives as long as the process and keeps every font a PDF has
    loaded: these tests start and end with a fresh one, so other tests never see the print font."""
    pdf._font_config = None
    yield
    pdf._font_config = None


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two app servers' start-up scripts build the font at the same moment: one builds, one finds it built."""
    folder = tmp_path_factory.mktemp("fonts")
    app = font_app(folder)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: print_font.build(app), range(2)))
    assert sorted(face.new for faces in results for face in faces) == [False, False, True, True]
    assert not [f for f in folder.iterdir() if f.suffix == ".tmp"]
    return folder


def render(app: Flask, text: str) -> bytes:
    with app.test_request_context():
        html = app.jinja_env.from_string(PAGE).render(title="营业厅服务质量通报", company="某某公司", text=text)
        return render_pdf(html)


def test_flask_pdf_fonts_builds_each_weight_once(built):
    files = sorted(built.iterdir())
    assert [f.name for f in files] == sorted(print_font.FILES.values())
    before = [f.stat().st_mtime_ns for f in files]
    result = font_app(built).test_cli_runner().invoke(args=["pdf", "fonts"])
    assert result.exit_code == 0 and result.output.count("：已是最新（") == 2, result.output
    assert [f.stat().st_mtime_ns for f in files] == before, "an existing font is not rebuilt"
    assert all(1_000_000 < f.stat().st_size < 4_000_000 for f in files)


def test_pdfs_embed_the_print_font_and_take_rare_characters_from_the_full_font(built):
    app = font_app(built)
    common = read_pdf(render(app, "本月共检查营业厅66个，平均得分89.3分。★红线问题3次。"))
    # The heading is bold, the paragraph regular: both weights of the print font, nothing else.
    assert {f.name.split("+")[-1] for f in common.fonts} == {"Surveyapp-CJK-SC", "Surveyapp-CJK-SC-Bold"}
    assert all(f.embedded and f.subset for f in common.fonts)
    assert "本月共检查营业厅66个，平均得分89.3分。★红线问题3次。" in common.text.replace(" ", "")

    rare = read_pdf(render(app, f"服务之星：王{RARE}（工号050302）"))
    assert {f.name.split("+")[-1] for f in rare.fonts} == {"Surveyapp-CJK-SC", "Surveyapp-CJK-SC-Bold",
                                                           "Noto-Sans-CJK-SC"}
    assert f"服务之星：王{RARE}（工号050302）" in rare.text.replace(" ", "")


def test_the_print_font_keeps_gb2312_and_leaves_out_rarer_hanzi():
    kept = set(print_font.characters())
    assert {"营", "业", "厅", "★", "（", "：", "A", "é", "—"} <= kept
    assert not set(RARE) & kept
    assert len(kept) > 7_000


def test_without_noto_sans_cjk_the_command_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(print_font, "SOURCE_FAMILY", "No Such Font SC")
    result = font_app(tmp_path).test_cli_runner().invoke(args=["pdf", "fonts", "--lang", "en"])
    assert result.exit_code == 1
    assert "No Such Font SC Regular is not installed: apt-get install fonts-noto-cjk" in result.output
    assert list(tmp_path.iterdir()) == [], "nothing half-built is left"


def test_the_renderer_reads_only_the_print_fonts_own_files(built):
    regular = built / print_font.FILES[400]
    fetcher = StaticOnlyFetcher(fonts={regular.name: regular})
    assert fetcher.fetch(f"http://surveyapp.invalid/_print-font/{regular.name}").read() == regular.read_bytes()
    for url in ("http://surveyapp.invalid/_print-font/../config.py", "http://surveyapp.invalid/_print-font/x.otf",
                f"http://other.example/_print-font/{regular.name}", f"file://{regular}"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
