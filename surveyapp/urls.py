"""The one rule for redirect targets that come from a request (``?next=``, a form's ``next`` or ``anchor``).

Only a path on this site is followed. Browsers forgive a lot in a ``Location`` header: they drop tabs and
newlines, read ``\\`` as ``/`` and treat ``//host`` as another site, so ``/%09/evil.example`` or ``/\\evil.example``
would leave the site although they start with one slash. A target is therefore refused when, after
percent-decoding (repeatedly: ``%252F`` is ``%2F`` is ``/``), it

- does not start with exactly one ``/`` (``//host``, ``/\\host``, ``https:host``, ``host/path``),
- has a scheme or a host,
- contains a backslash, or a control or format character (tab, newline, NUL, bidi marks) anywhere,
- contains whitespace in its path (a space in the query, ``?q=a%20b``, is a search term and stays).

Infrastructure: imports nothing of the app, so every layer may use it.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

#: A longer target is not a page of ours.
MAX_LENGTH = 2000
#: ``%25`` decodes to ``%``: a target still changing after this many rounds is refused.
DECODING_ROUNDS = 4


def _decoded(target: str) -> str | None:
    for _ in range(DECODING_ROUNDS):
        decoded = unquote(target, errors="strict") if "%" in target else target
        if decoded == target:
            return decoded
        target = decoded
    return None


def _forbidden(ch: str) -> bool:
    return ch == "\\" or unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _has_host_or_scheme(target: str) -> bool:
    parts = urlsplit(target)
    return bool(parts.scheme or parts.netloc)


def local_path(target: str | None) -> str | None:
    """``target`` unchanged when it is a path on this site, else ``None`` (the caller falls back to a page of
    its own choice)."""
    if not target or len(target) > MAX_LENGTH:
        return None
    try:
        decoded = _decoded(target)
    except UnicodeDecodeError:
        return None
    if decoded is None:
        return None
    for text in (target, decoded):
        if not text.startswith("/") or text[1:2] in {"/", "\\"} or _has_host_or_scheme(text):
            return None
        if any(_forbidden(ch) for ch in text):
            return None
        path = text.split("?", 1)[0].split("#", 1)[0]
        if any(ch.isspace() for ch in path):
            return None
    return target
