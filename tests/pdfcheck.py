"""Look inside a real PDF with poppler-utils (pdftotext, pdffonts, pdfinfo), for every capability's tests.

    from tests.pdfcheck import read_pdf
    pdf = read_pdf(response.data)          # fails the test unless it is an A4 PDF with embedded fonts
    assert "营业厅服务规范检查表" in pdf.text
    assert "第 2 页 / 共 3 页" in pdf.pages[1]
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: A4 in PDF points, either way round.
A4 = (595.28, 841.89)
CJK_FONT = re.compile(r"CJK|Hei|Song|Ming|Kai|Fang|WenQuanYi|Noto-Sans-SC|Noto-Serif-SC", re.IGNORECASE)


@dataclass(frozen=True)
class Font:
    name: str
    type: str
    embedded: bool
    subset: bool


@dataclass(frozen=True)
class PdfFacts:
    #: The whole text in layout order (``pdftotext -layout``); pages are separated by form feeds.
    text: str
    #: The text of each page.
    pages: list[str]
    fonts: list[Font]
    #: Each page's size in points (width, height).
    page_sizes: list[tuple[float, float]]
    info: dict[str, str]

    @property
    def page_count(self) -> int:
        return len(self.page_sizes)

    @property
    def cjk_fonts(self) -> list[Font]:
        return [f for f in self.fonts if CJK_FONT.search(f.name)]


def _run(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        raise AssertionError(f"{tool} is missing: run `make test` (it installs poppler-utils)")
    result = subprocess.run([tool, *args], capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise AssertionError(f"{tool} failed: {result.stderr.strip()}")
    return result.stdout


def _fonts(listing: str) -> list[Font]:
    fonts = []
    for line in listing.splitlines()[2:]:
        # name, type (may contain spaces), encoding, emb, sub, uni, object, generation
        match = re.match(r"(\S+)\s+(.+?)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        if match:
            fonts.append(Font(match[1], match[2], match[4] == "yes", match[5] == "yes"))
    return fonts


def _info(listing: str) -> tuple[dict[str, str], list[tuple[float, float]]]:
    info, sizes = {}, []
    for line in listing.splitlines():
        key, _, value = line.partition(":")
        size = re.match(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", line)
        if size:
            sizes.append((float(size[1]), float(size[2])))
        elif value:
            info[key.strip()] = value.strip()
    return info, sizes


def read_pdf(data: bytes, *, a4: bool = True, cjk: bool = True) -> PdfFacts:
    """Text, fonts, page sizes and metadata of ``data``; asserts it is a PDF whose fonts are all embedded,
    with a CJK font among them (``cjk``) and every page A4 (``a4``)."""
    assert data[:5] == b"%PDF-", f"not a PDF: {data[:20]!r}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(data)
        text = _run("pdftotext", "-layout", "-enc", "UTF-8", str(path), "-")
        fonts = _fonts(_run("pdffonts", str(path)))
        info, sizes = _info(_run("pdfinfo", "-f", "1", "-l", "100000", str(path)))
    facts = PdfFacts(text, text.split("\f")[: len(sizes)], fonts, sizes, info)
    not_embedded = [f.name for f in fonts if not f.embedded]
    assert not not_embedded, f"fonts not embedded: {not_embedded}"
    if cjk:
        assert facts.cjk_fonts, f"no embedded CJK font, only {[f.name for f in fonts]}"
    if a4:
        odd = [(n, s) for n, s in enumerate(sizes, 1) if sorted(round(x, 1) for x in s) != [round(x, 1) for x in A4]]
        assert not odd, f"pages not A4: {odd}"
    return facts
