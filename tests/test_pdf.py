"""PDFs: Chinese text with embedded fonts on A4 pages with header and page numbers, tables that repeat their
header, and a renderer that fetches nothing but our own static files."""
from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import tinycss2
from flask import Flask
from flask_babel import force_locale
from PIL import Image

from surveyapp.pdf import css_string, fast_font_subsetting, render_pdf
from tests.conftest import serving
from tests.pdfcheck import read_pdf

DOCUMENT = """{% extends "pdf/base.html" %}
{% block content %}
<h1>{{ title }}</h1>
<div class="prose">{% for p in paragraphs %}<p>{{ p }}</p>{% endfor %}</div>
{% if rows %}
<h2>排名情况</h2>
<table>
  <colgroup><col class="w-10"><col><col class="w-20"></colgroup>
  <thead><tr><th>排名</th><th>营业厅</th><th>总分</th></tr></thead>
  <tbody>{% for n in rows %}<tr><td>{{ n }}</td><td>第{{ n }}营业厅</td><td class="num">{{ 100 - n / 10 }}</td></tr>{% endfor %}</tbody>
</table>
{% endif %}
{% if free_text %}<h2>检查情况</h2><p>{{ free_text }}</p>{% endif %}
{% if raw_html %}{{ raw_html | safe }}{% endif %}
{% endblock %}
"""

NARRATIVE = ("本月，市场部会同各分公司对全市营业厅开展了明查暗访工作，共检查营业厅66个。从检查结果看，服务规范执行情况"
             "总体平稳，窗口服务形象进一步提升；但部分营业厅仍存在服务意识不强、细节执行不到位等问题。")


def render(app: Flask, **context: object) -> bytes:
    """Render DOCUMENT (autoescaped, like every template) and make a PDF of it."""
    context.setdefault("title", "关于2026年11月营业厅服务质量明查暗访情况的通报")
    context.setdefault("company", "某某供电公司")
    context.setdefault("header", "2026年11月")
    context.setdefault("paragraphs", [])
    context.setdefault("rows", [])
    base_url = context.pop("base_url", None)
    with app.test_request_context():
        html = app.jinja_env.from_string(DOCUMENT).render(**context)
    return render_pdf(html, base_url)  # type: ignore[arg-type]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_long_chinese_document_has_header_page_numbers_and_repeated_table_header(app):
    data = render(app, paragraphs=[NARRATIVE] * 6, rows=range(1, 121), author="市场部")
    pdf = read_pdf(data)  # A4, every font embedded, a CJK font among them

    assert pdf.page_count >= 3
    assert {f.name.split("+")[-1] for f in pdf.cjk_fonts} >= {"Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"}
    assert all(f.subset for f in pdf.fonts), "fonts are subset, not embedded whole"
    assert "服务规范执行情况总体平稳，窗口服务形象进一步提升；" in squeeze(pdf.text)
    for number, page in enumerate(pdf.pages, 1):
        assert "某某供电公司" in page and "2026年11月" in page
        assert f"第{number}页/共{pdf.page_count}页" in squeeze(page)
    second = pdf.pages[1]
    assert re.search(r"排名\s+营业厅\s+总分", second), "the table header repeats on the next page"
    assert "第120营业厅" in squeeze(pdf.text)
    assert pdf.info["Title"] == "关于2026年11月营业厅服务质量明查暗访情况的通报"
    assert pdf.info["Author"] == "市场部"


def test_a_heading_is_never_left_alone_at_the_bottom_of_a_page(app):
    # Enough prose to fill most of the first page, then headings each followed by a paragraph: wherever the
    # break falls, a heading must start the page with its paragraph, never end the page without it.
    for filler in range(8, 15):
        with app.test_request_context():
            html = app.jinja_env.from_string(
                '{% extends "pdf/base.html" %}{% block content %}'
                '{% for n in range(filler) %}<p>{{ text }}</p>{% endfor %}'
                '{% for n in range(4) %}<h2>第{{ n }}部分小标题</h2><p>{{ text }}</p>{% endfor %}{% endblock %}'
            ).render(title="标题", company="公司", filler=filler, text=NARRATIVE)
        pdf = read_pdf(render_pdf(html))
        for page in pdf.pages[:-1]:
            body = [line.strip() for line in page.splitlines() if line.strip() and "共" not in line]
            assert "小标题" not in body[-1], f"orphaned heading with {filler} paragraphs: {body[-1]!r}"


def test_english_documents_number_pages_in_english(app):
    with force_locale("en"):
        pdf = read_pdf(render(app, title="Blank checklist", company="Example Power", paragraphs=["Hello."]))
    assert "Page 1 of 1" in " ".join(pdf.pages[0].split())


def test_the_same_html_gives_the_same_bytes_unless_a_date_is_given(app):
    assert render(app, paragraphs=[NARRATIVE]) == render(app, paragraphs=[NARRATIVE])
    assert "CreationDate" not in read_pdf(render(app, paragraphs=[NARRATIVE])).info
    with app.test_request_context():
        html = app.jinja_env.from_string(DOCUMENT).render(title="x", company="y", paragraphs=[], rows=[])
    published = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    info = read_pdf(render_pdf(html, title="通报", author="市场部", created=published)).info
    assert info["Title"] == "通报" and info["Author"] == "市场部"
    assert "Dec" in info["CreationDate"] and "2026" in info["CreationDate"]


def test_renders_from_several_threads_at_once_all_succeed(app):
    # A threaded server may render two PDFs at once; Pango's font map must not be shared mid-render.
    with app.test_request_context():
        html = app.jinja_env.from_string(DOCUMENT).render(title="并发", company="公司", paragraphs=[NARRATIVE] * 3, rows=range(30))
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(render_pdf(html))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 3 and len(set(results)) == 1
    assert "并发" in read_pdf(results[0]).text


def test_images_from_static_files_and_data_uris_are_drawn(app, caplog, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    data_uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    raw = f'<p><img src="/static/favicon.svg" width="20"><img src="{data_uri}" width="40"></p>'
    with caplog.at_level(logging.WARNING):
        data = render(app, raw_html=raw)
    complaints = [r.getMessage() for r in caplog.records if "print font" not in r.getMessage()]
    assert not complaints, "both images load without a complaint"
    (tmp_path / "doc.pdf").write_bytes(data)
    listing = subprocess.run(["pdfimages", "-list", str(tmp_path / "doc.pdf")], capture_output=True, text=True,
                             check=True).stdout
    assert re.search(r"\bimage\s+40\s+30\b", listing), listing


# --- the renderer fetches nothing but our own static files -------------------------------------------


@pytest.fixture
def bait() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that must never be asked anything (it would answer with a redirect to
    /etc/passwd); yields its host and the list of paths it was asked for."""
    asked: list[str] = []

    def recorder(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        asked.append(environ["PATH_INFO"])
        start_response("302 Found", [("Location", "file:///etc/passwd")])
        return [b""]

    with serving(recorder) as url:
        yield url.removeprefix("http://"), asked


def attacks(host: str) -> list[str]:
    return [
        '<img src="file:///etc/passwd">',
        '<link rel="stylesheet" href="http://169.254.169.254/latest/meta-data/iam">',
        f'<img src="http://{host}/img.png">',
        f'<img src="http://{host}/static/favicon.svg">',
        f'<link rel="stylesheet" href="http://{host}/style.css">',
        f'<iframe src="http://{host}/frame"></iframe>',
        f'<object data="http://{host}/object.svg"></object>',
        f'<embed src="http://{host}/embed.svg">',
        f'<a rel="attachment" href="http://{host}/attachment">x</a>',
        (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
         f'<image href="http://{host}/svg.png" width="10" height="10"/><image xlink:href="file:///etc/passwd"/></svg>'),
        (f'<style>@import url("http://{host}/import.css"); @import "file:///etc/passwd";'
         f' @font-face {{ font-family: X; src: url(http://{host}/font.ttf) }}'
         f' p {{ background: url(file:///etc/passwd) }} h1 {{ background-image: url(http://{host}/bg.png) }}</style>'),
        f'<div style="background: url(http://{host}/inline.png)">inline</div>',
        '<img src="/static/../../../../etc/passwd"><img src="/static/%2e%2e/%2e%2e/setup.cfg">',
        '<link rel="stylesheet" href="/static/../surveyapp/config.py">',
        f'<img src="gopher://{host}/x"><img src="ftp://{host}/x">',
    ]


def test_user_text_with_html_is_printed_as_text_and_fetches_nothing(app, bait, caplog):
    host, asked = bait
    texts = attacks(host)
    with caplog.at_level(logging.WARNING, "surveyapp.pdf"):
        pdf = read_pdf(render(app, free_text=" ".join(texts)))
    assert asked == []
    printed = squeeze(pdf.text)
    for text in texts:
        assert squeeze(text) in printed, f"not printed as text: {text}"
    assert "root:" not in pdf.text
    assert not [r for r in caplog.records if "refused" in r.getMessage()], "escaped text asks for nothing"


def test_css_strings_read_back_as_the_same_text():
    for text in ("第 1 页 / 共 2 页", 'a "quoted" \\ back\nslash', "</style><img src=x>", "  spaces  ", "😀 emoji", ""):
        [token] = tinycss2.parse_component_value_list(css_string(text))
        assert token.type == "string" and token.value == text


def test_the_page_header_prints_the_company_and_period_as_text(app, bait, caplog):
    # The header is a CSS string in a <style> element: quotes, backslashes and "</style>" must stay text.
    host, asked = bait
    company = f'某"}}</style><img src="http://{host}/h.png">\\'
    header = f"'}}@top-left{{content:url(http://{host}/a)}}"
    with caplog.at_level(logging.WARNING, "surveyapp.pdf"):
        first = read_pdf(render(app, company=company, header="十一月", paragraphs=["正文"])).pages[0]
        second = read_pdf(render(app, company="", header=header, paragraphs=["正文"])).pages[0]
    assert asked == [] and not [r for r in caplog.records if "refused" in r.getMessage()]
    assert squeeze(company) in squeeze(first) and squeeze(header) in squeeze(second)


@pytest.mark.parametrize("same_host", [False, True], ids=["internal base", "app's own host as base"])
def test_raw_html_cannot_fetch_files_other_hosts_or_redirects(app, bait, caplog, same_host):
    host, asked = bait
    raw = "".join(attacks(host)) + f'<p>{NARRATIVE}</p>'
    with caplog.at_level(logging.WARNING, "surveyapp.pdf"):
        pdf = read_pdf(render(app, raw_html=raw, base_url=f"http://{host}/" if same_host else None))
    assert asked == [], "the renderer opened a connection"
    assert "root:" not in pdf.text and "[metadata]" not in pdf.text and "SECRET_KEY" not in pdf.text
    refused = " ".join(r.getMessage() for r in caplog.records if "refused to fetch" in r.getMessage())
    for url in ("file:///etc/passwd", "http://169.254.169.254/latest/meta-data/iam", f"http://{host}/img.png",
                f"http://{host}/import.css", f"http://{host}/font.ttf", f"http://{host}/bg.png", f"http://{host}/svg.png",
                f"http://{host}/object.svg", f"http://{host}/attachment", "/etc/passwd", "setup.cfg", f"gopher://{host}/x"):
        assert url in refused, f"{url} was not refused and logged"
    # The app's own static files are still read from disk, never over the network.
    assert (f"http://{host}/static/favicon.svg" in refused) is not same_host


def test_harfbuzz_subsets_the_fonts():
    # Without libharfbuzz-subset (>= 4.1), WeasyPrint subsets CJK fonts with fontTools: 8 to 20 seconds.
    assert fast_font_subsetting(), "install libharfbuzz-subset0 (make system-deps)"
