"""What every command-line command shares: the ``--lang`` choice and tables aligned for a terminal."""
from __future__ import annotations

import unicodedata

import click
from flask import current_app
from flask_babel import force_locale

LANG_HELP = "Language of the messages (zh_CN or en; default: the app's first language)."


def language(lang: str | None) -> str:
    """The language asked with ``--lang``, or the app's first one.

    :raise click.BadParameter: a language the app does not speak.
    """
    languages = current_app.config["LANGUAGES"]
    if lang and lang not in languages:
        raise click.BadParameter(f"use one of {', '.join(languages)}", param_hint="--lang")
    return lang or languages[0]


def use_language(ctx: click.Context, lang: str | None) -> None:
    """Speak :func:`language` for the rest of the command."""
    ctx.with_resource(force_locale(language(lang)))


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: list[list[str]]) -> list[str]:
    """Rows of cells as lines with aligned columns."""
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]
