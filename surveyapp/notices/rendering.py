"""The notice's and the hall letters' HTML and PDF, from a snapshot (always in the company's first language).

Publishing calls :func:`notice_pdf` once and stores the bytes; letters are rendered from the frozen snapshot
when asked for, so they always say what the revision said.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from surveyapp import photos
from surveyapp.assessment.labels import score_text
from surveyapp.charts import Bar, ranking_chart
from surveyapp.notices import charts, labels, narrative
from surveyapp.notices.document import Document, case_id
from surveyapp.pdf import footer_pages, header_page, render_parts, render_pdf, stylesheet


def charts_of(doc: Document) -> dict[str, Any]:
    """The ranking and trend charts (SVG markup) of a document."""
    policy = doc.results.policy
    bars = [Bar(h.name, float(h.score), h.band, bool(h.redline_visits), score_text(h.score))
            for h in doc.results.ranked]
    return {
        "ranking": ranking_chart(bars, [(b.name, float(b.minimum)) for b in policy.bands],
                                 _("Scores of the month by rank")),
        "trend": charts.trend_chart([(p, m) for p, m, _n in doc.trend], _("Mean score by month")),
        "scored_months": [(p, m) for p, m, _n in doc.trend if m is not None],
    }


def thumbnail(doc: Document, uid: str) -> str | None:
    """An evidence photo's thumbnail as a ``data:`` URI for the PDF (``None`` if it is gone)."""
    key = doc.photo_key(uid)
    if key is None:
        return None
    try:
        return photos.data_uri(key)
    except Exception:  # noqa: BLE001 - a missing file must not stop a notice; the PDF says the photo is missing
        current_app.logger.warning("notice: evidence photo %s is missing", uid)
        return None


def _context(doc: Document, with_charts: bool = True) -> dict[str, Any]:
    return {"doc": doc, "charts": charts_of(doc) if with_charts else {}, "title": narrative.title(doc.period),
            "sections": narrative.SECTIONS,
            "company": doc.data["company"], "author": doc.data["issuer"], "header": narrative.month_text(doc.period),
            **labels.helpers()}


def document_language() -> str:
    """Notices and letters are written in the company's first language (Chinese by default)."""
    return current_app.config["LANGUAGES"][0]


def document_lang() -> str:
    """The ``lang`` attribute of a notice shown inside a page (``zh-CN``)."""
    return document_language().replace("_", "-")


def notice_html(doc: Document, photo_src: Any) -> Markup:
    """The notice's body for a web page, in the language of its PDF (a Chinese notice stays Chinese in the
    English UI: the preview shows what the PDF will say). ``photo_src(uid)``: a photo's URL."""
    with force_locale(document_language()):
        return Markup(render_template("notices/_document.html", photo_src=photo_src, **_context(doc)))


def notice_pdf(snapshot: Mapping[str, Any], *, draft: bool = False) -> bytes:
    """The notice as PDF bytes: the same snapshot always gives the same bytes (no creation date inside).
    ``draft`` marks every page's header as a draft (the preview before publishing).

    A notice of ``NOTICE_PARALLEL_HALLS`` halls or more, on a machine of several cores, is rendered in two
    parts at once, the body and the annex (:func:`surveyapp.pdf.render_parts`): the annex of a thousand halls
    is half of the layout's time. A smaller one is one render (forking would cost more than it saves)."""
    doc = Document(snapshot)

    def context_of(with_charts: bool = True) -> dict[str, Any]:
        context = _context(doc, with_charts)
        if draft:
            context["header"] = _("%(month)s · draft, not published", month=context["header"])
        return context

    def part(name: str) -> Callable[[], str]:
        def html() -> str:  # in the part's own process
            with force_locale(document_language()):
                return render_template("notices/pdf_notice.html", thumbnail=lambda uid: thumbnail(doc, uid), part=name,
                                       pdf_margins="none", pdf_css_passed=True, **context_of(name == "body"))
        return html

    with force_locale(document_language()):
        halls = len(doc.data["results"]["halls"])
        if (os.cpu_count() or 1) > 1 and halls >= current_app.config["NOTICE_PARALLEL_HALLS"]:
            context = context_of(with_charts=False)
            return render_parts([part("body"), part("annex")],
                                lambda first, count, total: footer_pages(first, count, total, document_lang()),
                                header=header_page(context["company"], context["header"], document_lang()),
                                title=context["title"], author=context["author"])
        context = context_of()
        html = render_template("notices/pdf_notice.html", thumbnail=lambda uid: thumbnail(doc, uid), **context)
        return render_pdf(html, title=context["title"], author=context["author"])


class Letters:
    """The hall letters of one snapshot, rendered one after another: the document (a thousand hall lines read
    back), its context and the stylesheet are made once for the batch; each letter is then its own render,
    so a letter is the same bytes whether it is rendered alone (:func:`letter_pdf`) or in a batch."""

    def __init__(self, snapshot: Mapping[str, Any]) -> None:
        self.doc = Document(snapshot)
        with force_locale(document_language()):
            # A letter shows no chart: it does not draw the ranking chart of every hall (a thousand times over).
            self.context = {**_context(self.doc, with_charts=False), "pdf_css_passed": True}
            self.month = narrative.month_text(self.doc.period)

    def pdf(self, hall_code: str, settled: Collection[str] = ()) -> bytes:
        """The feedback letter of one hall: addressed to it, opening with its result and red lines, then what it
        must still do (red lines first; ``settled``: case ids of findings closed since, left out), how to appeal."""
        doc = self.doc
        with force_locale(document_language()):
            line = doc.results.hall(hall_code)
            title = _("Feedback to %(hall)s on %(month)s", hall=line.name, month=self.month)
            findings = doc.findings(hall_code)
            todo = sorted((f for f in findings if case_id(f) not in settled), key=lambda f: not f["redline"])
            context = {**self.context, "title": title, "line": line, "findings": todo,
                       "settled": len(findings) - len(todo), "redlines": [f for f in findings if f["redline"]]}
            html = render_template("notices/pdf_letter.html", thumbnail=lambda uid: thumbnail(doc, uid), **context)
            return render_pdf(html, title=title, author=context["author"], stylesheets=[stylesheet()])


def letter_pdf(snapshot: Mapping[str, Any], hall_code: str, settled: Collection[str] = ()) -> bytes:
    """One hall's feedback letter (:meth:`Letters.pdf`); a batch of letters is :class:`Letters`."""
    return Letters(snapshot).pdf(hall_code, settled)
