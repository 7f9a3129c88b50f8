"""The print font: Noto Sans CJK SC cut down to the characters Chinese documents use, for fast PDFs.

WeasyPrint subsets every font it embeds, on every render, and the cost grows with the font, not with the
text: the full Noto Sans CJK SC (65,535 glyphs in a 20 MB collection) costs about a tenth of a monthly
notice's render time (tests/bench/notices.py). The print font is the same typeface (same letterforms, same
Simplified Chinese punctuation, kerning and ligatures) keeping only GB 2312 (the 6,763 common hanzi and
its symbols), ASCII, Latin-1 and the punctuation and symbol blocks: about 8,200 glyphs, 1.8 MB per weight.
Nothing is lost: PDFs name it first and Noto Sans CJK SC next (``static/css/pdf.css``), so a rarer
character, such as one in a person's name, is drawn from the full font.

``flask pdf fonts`` builds it once per installation (fontTools, about 6 s per weight) into
:func:`folder` (``PDF_FONT_FOLDER``, by default ``<instance>/fonts``); ``make run`` and ``make bench`` do
it. Without it PDFs are the same but slower (:func:`surveyapp.pdf.render_pdf` says so once in the log).
The files are derived from the fonts installed on this machine (SIL Open Font License), never committed.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask_babel import gettext as _

#: The family name PDFs ask for first (``static/css/pdf.css``, the notices' SVG charts).
FAMILY = "Surveyapp CJK SC"
#: The installed family it is cut from (Debian: fonts-noto-cjk).
SOURCE_FAMILY = "Noto Sans CJK SC"
#: Font weight -> file name in :func:`folder`.
FILES = {400: "surveyapp-cjk-sc-regular.otf", 700: "surveyapp-cjk-sc-bold.otf"}

# Unicode blocks kept whole, besides GB 2312: Latin-1, general punctuation, letter-like symbols, number
# forms, arrows, mathematical operators, enclosed numbers, box drawing, shapes, symbols and dingbats (★ ✓),
# CJK symbols and punctuation, half- and full-width forms.
_BLOCKS = ((0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2100, 0x218F), (0x2190, 0x21FF), (0x2200, 0x22FF),
           (0x2460, 0x24FF), (0x2500, 0x25FF), (0x2600, 0x27BF), (0x3000, 0x303F), (0xFF00, 0xFFEF))


class PrintFontError(Exception):
    """The print font cannot be built here (a message for the person running the command)."""


@dataclass(frozen=True)
class Built:
    path: Path
    glyphs: int
    size: int
    #: False when the file was already there and left as it was.
    new: bool


def folder(app: Flask) -> Path:
    return Path(app.config.get("PDF_FONT_FOLDER") or Path(app.instance_path) / "fonts")


def faces(app: Flask) -> dict[int, Path]:
    """The weights of the print font built for this app, with their files."""
    base = folder(app)
    return {weight: base / name for weight, name in FILES.items() if (base / name).is_file()}


def characters() -> str:
    """Every character the print font keeps."""
    chars = {chr(c) for low, high in _BLOCKS for c in range(low, high + 1)}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(chars))


def source_face(weight: int) -> tuple[Path, int]:
    """The installed Noto Sans CJK SC file and face index of ``weight``, as fontconfig finds it."""
    pattern = f"{SOURCE_FAMILY}:weight={'bold' if weight >= 700 else 'regular'}"
    try:
        found = subprocess.run(["fc-match", "--format=%{family}\t%{weight}\t%{file}\t%{index}", pattern],
                               capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise PrintFontError(_("fc-match (fontconfig) could not be run: %(error)s", error=exc)) from exc
    families, found_weight, path, index = found.split("\t")
    # fc-match always answers with some font; make sure it is the family and weight asked for
    # (fontconfig weights: 80 regular, 200 bold).
    if SOURCE_FAMILY not in families.split(",") or (int(found_weight) >= 200) != (weight >= 700):
        font = SOURCE_FAMILY + (" Bold" if weight >= 700 else " Regular")
        raise PrintFontError(_("%(font)s is not installed: apt-get install fonts-noto-cjk", font=font))
    return Path(path), int(index)


def build(app: Flask, *, force: bool = False) -> list[Built]:
    """Build each weight of the print font that is missing (every weight with ``force``).

    Each file is written under a temporary name and renamed, so a render never sees half a font. Builders
    take turns (a lock on the folder): when several start at once on one host (each app server runs
    ``flask pdf fonts`` before starting, maybe several at a time), one builds and the others find it built."""
    from surveyapp.locks import file_lock

    base = folder(app)
    base.mkdir(parents=True, exist_ok=True)
    with file_lock(base):
        return _build(base, force)


def _build(base: Path, force: bool) -> list[Built]:
    from fontTools import subset

    text = characters()
    out = []
    for weight, name in FILES.items():
        target = base / name
        if target.is_file() and not force:
            out.append(Built(target, _glyph_count(target), target.stat().st_size, new=False))
            continue
        source, index = source_face(weight)
        options = subset.Options()
        options.font_number = index
        # What horizontal Chinese and Latin text uses. Not the other locales' glyph variants ('locl': their
        # closure alone would double the font) nor vertical or width variants, which no PDF asks for.
        options.layout_features = ["ccmp", "liga", "clig", "calt", "rlig", "kern", "palt", "halt", "mark", "mkmk"]
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        handle, temporary = tempfile.mkstemp(dir=base, prefix=f".{name}.", suffix=".tmp")
        os.close(handle)
        try:
            with subset.load_font(str(source), options) as font:
                subsetter = subset.Subsetter(options)
                subsetter.populate(text=text)
                subsetter.subset(font)
                subset.save_font(font, temporary, options)
                glyphs = len(font.getGlyphOrder())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        out.append(Built(target, glyphs, target.stat().st_size, new=True))
    return out


def _glyph_count(path: Path) -> int:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return font["maxp"].numGlyphs
