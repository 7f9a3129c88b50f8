"""The one way surveyapp makes a PDF: WeasyPrint behind a URL fetcher that reads only our own static files.

Every PDF (blank checklists, monthly notices, hall feedback letters) is a template extending
``templates/pdf/base.html`` (autoescaped, so user text is printed as text), passed to :func:`render_pdf`.

Whatever the HTML asks for (images, stylesheets, ``@import``, fonts, SVG ``<image>``, ``<object>``,
attachments) goes through :class:`StaticOnlyFetcher`: ``data:`` URIs are decoded in memory,
``/static/...`` paths are read from the package's ``static`` folder and the print font's files
(:mod:`surveyapp.print_font`) from its folder. Everything else (``file://``, any other host, any other
scheme, paths outside ``static``) is refused and logged. The fetcher never opens a network
connection, so there is no request to forge and no redirect to follow. Photos go into a PDF as ``data:``
URIs of their thumbnails (:func:`surveyapp.photos.data_uri`).

Speed: see README "PDFs and photos". Fonts are subset by HarfBuzz (``libharfbuzz-subset0``); without it
WeasyPrint falls back to fontTools, which takes seconds per CJK font, so :func:`fast_font_subsetting`
is checked by the test suite and a missing library is logged at the first render. The print font
(:mod:`surveyapp.print_font`, built by ``flask pdf fonts``) saves another tenth; a missing one is logged
at the first render too.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import multiprocessing
import os
import threading
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, has_app_context
from flask_babel import gettext
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from surveyapp import collector, print_font
from surveyapp.resources import PACKAGE_DIR

log = logging.getLogger("surveyapp.pdf")

#: What relative URLs resolve against. ``.invalid`` never resolves (RFC 2606).
INTERNAL_BASE_URL = "http://surveyapp.invalid/"
STATIC_DIR = PACKAGE_DIR / "static"
#: Where the print font's files are found (:class:`StaticOnlyFetcher`).
FONT_URL_PATH = "/_print-font/"
#: Images larger than print needs at this resolution are downsampled in the PDF.
PRINT_DPI = 300

_MEDIA_TYPES = {
    ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(pdf_page_css=page_css)


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that cannot end the string, the rule or the ``<style>`` element:
    everything but letters, digits and spaces is a hex escape (ended by the one space CSS then drops)."""
    return '"' + "".join(ch if ch.isalnum() or ch == " " else f"\\{ord(ch):06x} " for ch in text) + '"'


def page_css(company: str, header: str, margins: str = "all", total: int | None = None) -> Markup:
    """The page rules of every PDF (``templates/pdf/base.html``): the print font's faces, when it is built,
    and the page margins: ``company | header`` on top, "第 X 页 / 共 Y 页" at the bottom. ``margins``:
    ``"head"`` leaves the footer out, ``"foot"`` the header, ``"none"`` both (a document rendered in parts,
    :func:`render_parts`). ``total``: the "Y" of the footer, for pages that are part of a longer document
    (by default the document's own page count).

    The margins' text is CSS strings, not running elements: WeasyPrint lays out a running element again
    on every page, a few percent of a long notice's render time."""
    faces = print_font.faces(current_app) if has_app_context() else {}
    rules = [
        f"@font-face {{ font-family: {css_string(print_font.FAMILY)}; font-weight: {weight};"
        f" src: url({INTERNAL_BASE_URL.rstrip('/')}{FONT_URL_PATH}{path.name}) }}"
        for weight, path in faces.items()
    ]
    # The translated footer, split around its two numbers: odd parts are the CSS counters.
    footer = gettext("Page %(page)s of %(pages)s", page="\x00counter(page)\x00",
                     pages="\x00counter(pages)\x00" if total is None else str(total))
    content = " ".join(part if n % 2 else css_string(part) for n, part in enumerate(footer.split("\x00")) if part)
    head = f"@top-left {{ content: {css_string(company)} }} @top-right {{ content: {css_string(header)} }}"
    foot = f"@bottom-center {{ content: {content} }}"
    rules.append(f"@page {{ {head if margins in ('all', 'head') else ''} {foot if margins in ('all', 'foot') else ''} }}")
    return Markup("\n".join(rules))


class RefusedURL(ValueError):
    """A URL the PDF renderer may not fetch."""


class StaticOnlyFetcher(URLFetcher):
    """Serves ``data:`` URIs, the app's own static files and the print font's ``fonts`` (file name -> path);
    refuses and logs everything else."""

    def __init__(self, base_url: str = INTERNAL_BASE_URL, fonts: Mapping[str, Path] | None = None) -> None:
        super().__init__(allowed_protocols=("data", "http", "https"), allow_redirects=False)
        self._hosts = {urlsplit(INTERNAL_BASE_URL).netloc, urlsplit(base_url).netloc}
        self._fonts = dict(fonts or {})
        #: Every URL refused while rendering (for the log and for tests).
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        try:
            if url.startswith("data:"):
                return _data_response(url)
            return self._static_response(url)
        except RefusedURL as exc:
            self.refused.append(url)
            log.warning("PDF: refused to fetch %.200s (%s)", url, exc)
            raise

    def _static_response(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc not in self._hosts:
            raise RefusedURL("not one of the app's own files")
        if parts.path.startswith(FONT_URL_PATH):
            font = self._fonts.get(parts.path.removeprefix(FONT_URL_PATH))
            if font is None or not font.is_file():
                raise RefusedURL("no such print font file")
            return URLFetcherResponse(url, font.read_bytes(), {"Content-Type": "font/otf"})
        _, under_static, rest = parts.path.partition("/static/")
        if not under_static:
            raise RefusedURL("not under /static/")
        path = (STATIC_DIR / unquote(rest)).resolve()
        if not path.is_relative_to(STATIC_DIR) or not path.is_file():
            raise RefusedURL("no such static file")
        media_type = _MEDIA_TYPES.get(path.suffix.lower())
        if media_type is None:
            raise RefusedURL("not a stylesheet, image or font")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type})


def _data_response(url: str) -> URLFetcherResponse:
    try:
        with urllib.request.DataHandler().data_open(urllib.request.Request(url)) as response:
            body = response.read()
            content_type = response.headers.get("Content-Type", "text/plain")
    except (ValueError, OSError) as exc:
        raise RefusedURL("malformed data: URI") from exc
    return URLFetcherResponse("data:", body, {"Content-Type": content_type})


def fast_font_subsetting() -> bool:
    """Whether WeasyPrint can subset fonts with HarfBuzz (milliseconds) rather than fontTools (seconds)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


# Renders in one process take turns: Pango's font map is not thread-safe, and one shared font
# configuration keeps the fonts loaded between renders. PDFs are rendered rarely (publishing, letters).
_lock = threading.Lock()
_font_config: FontConfiguration | None = None


def _free_lock_after_fork() -> None:
    global _lock
    _lock = threading.Lock()  # held, maybe, by another thread of the parent when it forked


# a process forked from one where another thread renders (a job worker's) starts with the lock free
os.register_at_fork(after_in_child=_free_lock_after_fork)


@contextmanager
def _rendering() -> Iterator[FontConfiguration]:
    global _font_config
    with _lock:
        if _font_config is None:
            if not fast_font_subsetting():
                log.warning("PDF: HarfBuzz subsetting is missing (install libharfbuzz-subset0): CJK PDFs will be slow")
            _font_config = FontConfiguration()
        # Layout allocates hundreds of thousands of objects that live until the PDF is written: pausing
        # the cycle collector meanwhile saves a tenth to a fifth of the time. It runs again afterwards.
        with collector.paused():
            yield _font_config


_stylesheets: dict[str, CSS] = {}


def stylesheet(name: str = "pdf.css") -> CSS:
    """A stylesheet of ``static/css`` parsed once per process, for :func:`render_pdf`'s ``stylesheets``: parsing
    ``pdf.css`` is a third of a hall letter's render time. A template given it leaves out its ``<link>``
    (``templates/pdf/base.html``: ``pdf_css_passed``). Passed stylesheets are of the user origin: they give way
    to the document's own rules (only the margins' text, :func:`page_css`, which sets nothing they set)."""
    with _lock:
        css = _stylesheets.get(name)
        if css is None:
            path = STATIC_DIR / "css" / name
            css = _stylesheets[name] = CSS(string=path.read_text(encoding="utf-8"),
                                           base_url=f"{INTERNAL_BASE_URL}static/css/{name}",
                                           url_fetcher=StaticOnlyFetcher())
        return css


_told_no_print_font = False


def _print_font_files() -> dict[str, Path]:
    """The print font's files by name, for the fetcher (said once in the log when there are none)."""
    global _told_no_print_font
    if not has_app_context():
        return {}
    files = {path.name: path for path in print_font.faces(current_app).values()}
    if not files and not _told_no_print_font:
        _told_no_print_font = True
        log.warning("PDF: no print font in %s (run `flask pdf fonts`): PDFs embed the full %s, about a tenth slower",
                    print_font.folder(current_app), print_font.SOURCE_FAMILY)
    return files


def render_pdf(
    html: str,
    base_url: str | None = None,
    *,
    title: str | None = None,
    author: str | None = None,
    created: dt.datetime | None = None,
    stylesheets: list[CSS] | None = None,
) -> bytes:
    """Render an HTML document (from an autoescaping ``.html`` template) to PDF bytes.

    :param base_url: what relative URLs resolve against; its host, like the internal one, may serve only
        ``/static/`` files, read from disk. Defaults to an internal origin that never resolves.
    :param title: PDF metadata title (else the document's ``<title>``).
    :param author: PDF metadata author (else ``<meta name="author">``).
    :param created: creation time written into the PDF. Without it the PDF carries no date, so the same
        HTML always gives the same bytes.
    :param stylesheets: parsed stylesheets (:func:`stylesheet`) applied besides the document's own.
    """
    return _render(html, base_url or INTERNAL_BASE_URL, _print_font_files(), title=title, author=author,
                   created=created, stylesheets=stylesheets)[0]


def _render(html: str, base_url: str, fonts: Mapping[str, Path], *, title: str | None = None,
            author: str | None = None, created: dt.datetime | None = None,
            stylesheets: list[CSS] | None = None) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    fetcher = StaticOnlyFetcher(base_url, fonts)
    with _rendering() as font_config:
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            font_config=font_config, dpi=PRINT_DPI, stylesheets=stylesheets
        )
        if title:
            document.metadata.title = title
        if author:
            document.metadata.authors = [author]
        if created:
            document.metadata.created = document.metadata.modified = created.isoformat(timespec="seconds")
        data = document.write_pdf()
    if fetcher.refused:
        log.warning("PDF %r rendered without %d refused resource(s)", document.metadata.title, len(fetcher.refused))
    return data, len(document.pages)


# --- a long document rendered in parts, in parallel ---------------------------------------------------


def render_parts(parts: Sequence[Callable[[], str]], footers: Callable[[int, int, int], str], *, header: str,
                 title: str, author: str | None = None, stylesheets: Sequence[str] = ("pdf.css",)) -> bytes:
    """A long PDF rendered as independent parts at once, one process each (WeasyPrint lays out on one core),
    then joined. Each part (``part()``: its HTML, made in its process, which inherits this one's app and
    request context: a thousand halls' templates and charts took a quarter of a second before the other
    part could start) is a whole HTML document whose pages carry neither header nor footer
    (``page_css(..., margins="none")``); each part starts on a new page, and all pages have the same size.
    The header is the same on every page: it is rendered once, as a document of one empty page (``header``:
    its HTML, ``margins="head"``, :func:`header_page`), and stamped onto every page; laying out its two margin
    boxes on every page was a twentieth of a part's time. The footers ("第 X 页 / 共 Y 页") depend on the
    joined page count, so they are rendered last, as documents of empty pages (``footers(first, count,
    total)``: the HTML of ``count`` pages numbered from ``first``, of ``total``, :func:`footer_pages`), one
    run of pages per process at once, and stamped onto the joined pages.

    The same parts give the same bytes; text stays text and the fonts embedded (each part embeds its own
    subset). The first part is made and rendered in this process, with the header; the others in forked
    processes that already hold the fonts and stylesheets (the stylesheets named are passed to every render,
    :func:`stylesheet`), each made there (``part()``). Rendering every part in a forked process cost more:
    its writes to the memory it shares with this process made the kernel copy it, 1.5 s of system time for
    1,000 halls. This process then joins the parts with its cycle collector paused: it holds the app, the
    snapshot and the first part's garbage, and the collector, set off by the join's many small objects,
    cost more than the join itself (1.15 s of CPU against 0.26 s for 1,000 halls)."""
    global _parts
    fonts = _print_font_files()
    names = list(stylesheets)
    for name in names:
        stylesheet(name)  # parsed before forking: every process has them
    with _parts_lock, ProcessPoolExecutor(len(parts), mp_context=multiprocessing.get_context("fork"),
                                          initializer=_in_part_process) as pool:
        _parts = parts  # the processes start at the first submit (all of them, when forking): they have them
        try:
            futures = [pool.submit(_render_nth_part, n, fonts, names) for n in range(1, len(parts))]
        finally:
            _parts = ()
        sheets = [stylesheet(name) for name in names]
        heading = _render(header, INTERNAL_BASE_URL, fonts, stylesheets=sheets)[0]
        rendered = [_render(parts[0](), INTERNAL_BASE_URL, fonts, stylesheets=sheets)]
        rendered += [future.result() for future in futures]
        # the footers are rendered in the other processes, a run of pages each, while this one joins the parts
        total = sum(pages for _data, pages in rendered)
        size = -(-total // len(parts))  # pages per run, rounded up
        stamps = [pool.submit(_render_part, footers(first, min(size, total + 1 - first), total), fonts, names)
                  for first in range(1, total + 1, size)]
        with collector.paused():
            writer = _joined([data for data, _pages in rendered])
            return _stamped(writer, [stamp.result()[0] for stamp in stamps], heading, title=title, author=author)


def footer_pages(first: int, count: int, total: int, lang: str) -> str:
    """A document of ``count`` empty pages carrying only the footer, numbered from ``first`` of ``total``, for
    :func:`render_parts`."""
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><style>{page_css("", "", "foot", total)}\n'
            f"@page :first {{ counter-reset: page {first} }}\n"
            ".page + .page { break-before: page }</style></head><body>" + '<div class="page"></div>' * count
            + "</body></html>")


def header_page(company: str, header: str, lang: str) -> str:
    """A document of one empty page carrying only the header ``company | header``, for :func:`render_parts`."""
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><style>{page_css(company, header, "head")}'
            "</style></head><body></body></html>")


def _in_part_process() -> None:
    global _lock
    _lock = threading.Lock()  # held, maybe, by another thread of the parent when it forked


def _render_part(html: str, fonts: Mapping[str, Path], stylesheets: list[str]) -> tuple[bytes, int]:
    return _render(html, INTERNAL_BASE_URL, fonts, stylesheets=[stylesheet(name) for name in stylesheets])


#: The parts of the document :func:`render_parts` renders, for the processes it forks (not sent: functions).
_parts: Sequence[Callable[[], str]] = ()
_parts_lock = threading.Lock()


def _render_nth_part(n: int, fonts: Mapping[str, Path], stylesheets: list[str]) -> tuple[bytes, int]:
    return _render_part(_parts[n](), fonts, stylesheets)


def _joined(parts: Sequence[bytes]) -> Any:
    """The PDFs' pages and bookmarks, in order, in one ``pypdf.PdfWriter``."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in parts:
        writer.append(PdfReader(io.BytesIO(data)))
    return writer


def _stamped(writer: Any, footers: Sequence[bytes], header: bytes, *, title: str, author: str | None = None) -> bytes:
    """The joined PDF with page N of ``footers`` (their pages in order) and the one page of ``header`` drawn over its page N, as form
    XObjects of that page (their content and resources as they are; the header's is one object shared by all
    pages): cheaper than merging pages, which parses and renames every content stream."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    stamps = [stamp for data in footers for stamp in PdfReader(io.BytesIO(data)).pages]
    heading = writer._add_object(_form(writer, PdfReader(io.BytesIO(header)).pages[0]))
    opening, closing = DecodedStreamObject(), DecodedStreamObject()
    opening.set_data(b"q\n")
    closing.set_data(b"\nQ q /SurveyappFooter Do Q q /SurveyappHeader Do Q\n")
    opening, closing = writer._add_object(opening), writer._add_object(closing)
    for page, stamp in zip(writer.pages, stamps, strict=True):
        if page.mediabox != stamp.mediabox:
            raise ValueError("a document rendered in parts has pages of one size only")
        # WeasyPrint's pages share their resources: the page gets its own copy, naming its own footer
        resources = DictionaryObject(page["/Resources"].get_object())
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
        xobjects[NameObject("/SurveyappFooter")] = writer._add_object(_form(writer, stamp))
        xobjects[NameObject("/SurveyappHeader")] = heading
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        contents = page["/Contents"]
        existing = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
        # the page's own content may leave its coordinates transformed: it is drawn in a saved state
        page[NameObject("/Contents")] = ArrayObject([opening, *existing, closing])
    writer.add_metadata({"/Title": title, **({"/Author": author} if author else {}), "/Producer": "surveyapp"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _form(writer: Any, page: Any) -> Any:
    """A rendered page's content and resources as a form XObject of ``writer``."""
    from pypdf.generic import DecodedStreamObject, NameObject

    form = DecodedStreamObject()
    form.set_data(page.get_contents().get_data())
    form.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
                 NameObject("/BBox"): page.mediabox, NameObject("/Resources"): page["/Resources"].clone(writer)})
    return form.flate_encode()
