"""Translation catalogs, one per capability: ``python -m surveyapp.i18n_tool update|check``.

``update`` extracts the messages of each capability (its package's Python and its templates folder),
merges them into ``<package>/translations/zh/LC_MESSAGES/messages.po`` and compiles the ``.mo``.
``check`` changes nothing and lists what is untranslated, stale or not compiled (the test suite runs it).
Code and templates outside a capability (base pages, shared modules) belong to ``surveyapp/translations``.
"""
from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from surveyapp.resources import PACKAGE_DIR, resource_dir

LOCALES = ("zh",)  # Babel parses zh_CN as zh_Hans_CN; gettext then finds the "zh" catalog
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "_n": (1, 2), "lazy_ngettext": (1, 2)}
JINJA_OPTIONS = {"extensions": "jinja2.ext.do", "trimmed": "true"}


def capabilities() -> list[str]:
    """Packages under ``surveyapp/`` (each with its own catalog); ``""`` is the shared catalog."""
    return [""] + sorted(p.name for p in PACKAGE_DIR.iterdir() if (p / "__init__.py").is_file() and p.name not in {"home"})


def _sources(capability: str) -> Iterator[tuple[Path, str]]:
    templates = resource_dir("templates")
    if capability:
        yield from ((p, "python") for p in sorted((PACKAGE_DIR / capability).rglob("*.py")))
        yield from ((p, "jinja2") for p in sorted((templates / capability).rglob("*.html")))
        return
    owned = set(capabilities()[1:])
    yield from ((p, "python") for p in sorted(PACKAGE_DIR.glob("*.py")))
    yield from ((p, "python") for p in sorted((PACKAGE_DIR / "home").rglob("*.py")))
    for path in sorted(templates.rglob("*.html")):
        top = path.relative_to(templates).parts[0]
        if top not in owned:
            yield path, "jinja2"


def extract(capability: str) -> Catalog:
    """The messages the code and templates of one capability ask for."""
    template = Catalog(project="surveyapp", charset="utf-8")
    root = PACKAGE_DIR.parent
    for path, method in _sources(capability):
        method_fn = "jinja2.ext:babel_extract" if method == "jinja2" else "python"
        options = JINJA_OPTIONS if method == "jinja2" else {}
        for lineno, message, comments, context in extract_from_file(method_fn, str(path), KEYWORDS, options=options):
            try:
                where = str(path.relative_to(root))
            except ValueError:
                where = path.name
            template.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return template


def _po_path(capability: str, locale: str) -> Path:
    base = PACKAGE_DIR / capability if capability else PACKAGE_DIR
    return base / "translations" / locale / "LC_MESSAGES" / "messages.po"


def merged(capability: str, locale: str) -> Catalog:
    """The existing catalog updated with the current messages (translations kept, obsolete dropped)."""
    path = _po_path(capability, locale)
    template = extract(capability)
    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f, locale=locale)
    else:
        catalog = Catalog(locale=locale, project="surveyapp", charset="utf-8")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    # No line numbers: they would change with every edit of the code and make merges conflict.
    write_po(buffer, catalog, width=120, omit_header=False, sort_output=False, include_previous=False, include_lineno=False)
    return buffer.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _hashable(value: object) -> object:
    # Plural messages have a list or tuple of ids and of strings (read_mo gives lists).
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _messages(catalog: Catalog) -> dict[object, object]:
    return {_hashable(m.id): _hashable(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


def _mo_matches(mo: Path, catalog: Catalog) -> bool:
    if not mo.exists():
        return False
    with mo.open("rb") as f:
        return _messages(read_mo(f)) == _messages(catalog)


def _without_dates(po: bytes) -> bytes:
    return b"\n".join(line for line in po.splitlines() if b"-Date:" not in line)


def update() -> None:
    for capability in capabilities():
        for locale in LOCALES:
            catalog = merged(capability, locale)
            if not len(catalog) and not _po_path(capability, locale).exists():
                continue
            path = _po_path(capability, locale)
            path.parent.mkdir(parents=True, exist_ok=True)
            po = _po_bytes(catalog)
            # Rewrite only what really changed: the header dates alone would churn every catalog.
            if not path.exists() or _without_dates(path.read_bytes()) != _without_dates(po):
                path.write_bytes(po)
            if not _mo_matches(path.with_suffix(".mo"), catalog):
                path.with_suffix(".mo").write_bytes(_mo_bytes(catalog))
            missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
            print(f"{path.relative_to(PACKAGE_DIR.parent)}: {len(catalog)} messages, {len(missing)} untranslated")


def check() -> list[str]:
    """Problems that make a page speak two languages: untranslated, fuzzy, stale or uncompiled messages,
    and one message translated two ways in two catalogs (Flask-Babel merges them, so one translation would
    silently win everywhere)."""
    problems: list[str] = []
    #: (locale, msgid) -> translation -> the catalogs that give it
    translations: dict[tuple[str, object], dict[object, list[str]]] = {}
    for capability in capabilities():
        for locale in LOCALES:
            path = _po_path(capability, locale)
            catalog = merged(capability, locale)
            label = path.relative_to(PACKAGE_DIR.parent)
            if not len(catalog):
                continue
            for msgid, string in _messages(catalog).items():
                translations.setdefault((locale, msgid), {}).setdefault(string, []).append(str(label))
            if not path.exists():
                problems.append(f"{label}: missing ({len(catalog)} messages to translate); run make i18n")
                continue
            for message in catalog:
                if not message.id:
                    continue
                if not message.string or (isinstance(message.string, tuple) and not all(message.string)):
                    problems.append(f"{label}: untranslated: {message.id!r}")
                elif message.fuzzy:
                    problems.append(f"{label}: fuzzy: {message.id!r}")
            with path.open("rb") as f:
                on_disk = read_po(f, locale=locale)
            if _messages(on_disk) != _messages(catalog) or {_hashable(m.id) for m in on_disk if m.id} != {_hashable(m.id) for m in catalog if m.id}:
                problems.append(f"{label}: out of date with the code; run make i18n")
            mo = path.with_suffix(".mo")
            if not mo.exists():
                problems.append(f"{label}: not compiled; run make i18n")
            else:
                with mo.open("rb") as f:
                    if _messages(read_mo(f)) != _messages(on_disk):
                        problems.append(f"{label}: .mo differs from .po; run make i18n")
    for (locale, msgid), strings in translations.items():
        if len(strings) > 1:
            ways = "; ".join(f"{string!r} in {', '.join(labels)}" for string, labels in strings.items())
            problems.append(f"{locale}: {msgid!r} is translated in {len(strings)} ways ({ways}): use one")
    return problems


if __name__ == "__main__":
    if sys.argv[1:] == ["update"]:
        update()
    elif sys.argv[1:] == ["check"]:
        found = check()
        print("\n".join(found) or "translations complete")
        sys.exit(1 if found else 0)
    else:
        sys.exit("usage: python -m surveyapp.i18n_tool update|check")
