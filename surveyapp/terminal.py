"""What every command-line command shares: the ``--lang`` choice, tables aligned for a terminal, and a progress
bar for long commands."""
from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

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


def _quiet(stage: str, done: int = 0, total: int = 0) -> None:
    """Progress heard by no one (standard error is not a terminal)."""


@contextmanager
def progress_bar(stages: Mapping[str, Any], file: IO[str] | None = None) -> Iterator[Callable[..., None]]:
    """A progress bar through ``stages`` (key → label, in order) on standard error, only when it is a terminal:
    redirected output (a log, a pipe, ``--json > file``) stays exactly as without it, and standard output is
    never touched.

    Yields ``progress(stage, done=0, total=0)``, the signature background jobs report with (so one service
    function serves a job and a command): each stage takes an equal part of the bar, ``done``/``total`` moves
    within it and is shown beside the label. The bar is filled and closed when the block ends.
    """
    stream = file if file is not None else sys.stderr
    if not stream.isatty():
        yield _quiet
        return
    keys = list(stages)
    with click.progressbar(length=100 * len(keys), label=str(stages[keys[0]]), file=stream, show_percent=True,
                           show_eta=False) as bar:
        def progress(stage: str, done: int = 0, total: int = 0) -> None:
            bar.label = str(stages[stage]) + (f" {done}/{total}" if total else "")
            target = 100 * keys.index(stage) + (100 * min(done, total) // total if total else 0)
            bar.update(max(0, target - bar.pos))

        yield progress
        bar.update(bar.length - bar.pos)
