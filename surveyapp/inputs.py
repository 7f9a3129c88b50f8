"""What the app accepts from outside, decided once: text, whole numbers and JSON bodies.

Every way in uses this module: the request edge (query strings, form fields, uploaded file names and JSON
bodies of every endpoint, see :func:`init_app`), spreadsheet imports (:mod:`surveyapp.tabular`), JSON visit
imports and the TOML checklist and policy files.

The text rule (the README's security section says the same): any Unicode text is accepted and kept exactly
as sent (no normalisation, no trimming here), except

- control characters other than tab, line feed and carriage return: U+0000–U+0008, U+000B, U+000C,
  U+000E–U+001F, U+007F and U+0080–U+009F (PostgreSQL cannot store NUL; the others corrupt exports and mail);
- unpaired UTF-16 surrogates U+D800–U+DFFF (half an emoji: not text, cannot be encoded as UTF-8);
- the non-characters U+FFFE and U+FFFF.

Text holding one of these is refused whole, with a translated message naming the field (or the file's row
and column) and the character; nothing is silently dropped. Unicode is not normalised to NFC because NFC
rewrites CJK compatibility ideographs, which appear in people's and places' names.

This is infrastructure: it imports nothing above :mod:`surveyapp.errors` and :mod:`surveyapp.i18n`'s layer.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request, Response
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from surveyapp.errors import ValidationError

#: Characters no accepted text may hold (see the module's docstring).
REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: Deepest nesting of arrays and objects a JSON body may have (the app's own bodies have three levels).
MAX_JSON_DEPTH = 20
#: Longest whole number accepted from outside, in digits, and the largest value (fits every INTEGER column).
MAX_DIGITS = 9
MAX_WHOLE = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why the app refuses ``text`` (translated), or ``None`` when it is accepted."""
    found = REFUSED.search(text)
    if found is None:
        return None
    return _("it contains the character U+%(code)04X at position %(position)d, which is not accepted "
             "(control characters other than tab and line breaks, and broken emoji, cannot be stored)",
             code=ord(found.group()), position=found.start() + 1)


def check_text(text: str, field: object) -> str:
    """``text`` unchanged when accepted.

    :param field: what the user calls the field (a label, a column name, a row), for the message.
    :raise ValidationError: it holds a refused character.
    """
    problem = text_problem(text)
    if problem is not None:
        raise ValidationError(_("%(field)s: %(problem)s.", field=field, problem=problem), field=str(field))
    return text


def check_tree(value: Any, where: str = "") -> None:
    """Check every string (keys included) of parsed JSON or TOML data, and its depth.

    :param where: the path of ``value`` in the document, for the message (``fields[3][1]``).
    :raise ValidationError: naming the path of the first problem.
    """
    found = tree_problem(value, where)
    if found is not None:
        path, problem = found
        raise ValidationError(_("%(field)s: %(problem)s.", field=path, problem=problem) if path else problem,
                              field=path or None)


def tree_problem(value: Any, where: str = "") -> tuple[str, str] | None:
    """The path and the (translated) problem of the first string in ``value`` that breaks the text rule,
    or of nesting deeper than :data:`MAX_JSON_DEPTH`; ``None`` when all is well."""
    # Iterative, so that depth is checked before it can exhaust the interpreter's stack.
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return "", _("The data is nested more than %(n)d levels deep.", n=MAX_JSON_DEPTH)
        if isinstance(node, str):
            if REFUSED.search(node):
                return path or _("The text"), str(text_problem(node))
        elif isinstance(node, dict):
            for key, item in node.items():
                if isinstance(key, str) and REFUSED.search(key):
                    return _("A name in %(place)s", place=path) if path else _("A name"), str(text_problem(key))
                stack.append((item, f"{path}.{key}" if path else str(key), depth + 1))
        elif _is_pair(node):
            # A form field posted as JSON (``[name, value]``): the message names the field.
            stack.extend([(node[1], node[0], depth + 1), (node[0], f"{path}[0]", depth + 1)])
        elif isinstance(node, list | tuple):
            stack.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(node))
    return None


def _is_pair(node: Any) -> bool:
    return (isinstance(node, list) and len(node) == 2 and all(isinstance(x, str) for x in node)
            and not REFUSED.search(node[0]))


def whole_number(text: object, maximum: int = MAX_WHOLE) -> int | None:
    """``text`` as a whole number 0..``maximum`` written in ASCII digits, else ``None``.

    ``str.isdigit`` also accepts "²" and other digits ``int`` refuses, and ``int`` refuses more than 4,300
    digits with an English message; every whole number typed by a person goes through here instead.
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if 0 <= text <= maximum else None
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _ASCII_DIGITS.fullmatch(text) or len(text.lstrip("0")) > MAX_DIGITS:
        return None
    value = int(text)
    return value if value <= maximum else None


def whole(text: object) -> int:
    """:func:`whole_number` for ``request.args.get(name, default, type=inputs.whole)``.

    :raise ValueError: not a whole number (the caller's default is used then).
    """
    value = whole_number(text)
    if value is None:
        raise ValueError("not a whole number")
    return value


# --- the request edge -------------------------------------------------------------------------------


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, where nesting too deep for the parser is a malformed body rather than a RecursionError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise UnreadableBody("nested too deep") from None


class UnreadableBody(ValueError):
    """A JSON body nested too deep to parse."""


class AppRequest(Request):
    """A body that cannot be read is the client's mistake: a 400 with a translated reason (JSON for JSON clients)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, UnreadableBody):
            raise ValidationError(_("The data is nested more than %(n)d levels deep.", n=MAX_JSON_DEPTH))
        raise ValidationError(_("The request body is not valid JSON."))


class AppResponse(Response):
    """Text stored before the rule existed may hold a lone surrogate, which UTF-8 cannot encode: it is shown
    as U+FFFD (the replacement character) rather than making the page fail."""

    def set_data(self, value: bytes | str) -> None:
        if isinstance(value, str):
            try:
                value = value.encode("utf-8")
            except UnicodeEncodeError:
                value = _SURROGATE.sub("\ufffd", value).encode("utf-8")
        super().set_data(value)


def _check_request() -> None:
    """Refuse a request whose query string, form fields, file names or JSON body break the text rule."""
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            check_text(name, _("A field name"))
            check_text(value, name)
    for name, upload in request.files.items(multi=True):
        check_text(name, _("A field name"))
        if upload.filename:
            check_text(upload.filename, _("The name of the file sent as %(field)s", field=name))
    if request.is_json:
        check_tree(request.get_json())


class WholeConverter(IntegerConverter):
    """``<int:...>`` in every route: an id no INTEGER column can hold (2147483648, a 30-digit number) matches
    no object, so it is a 404 like any missing one, never an overflow in the database driver."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.max = MAX_WHOLE if self.max is None else min(self.max, MAX_WHOLE)


def init_app(app: Flask) -> None:
    # Before any blueprint is registered: the rules take their converter when they are added.
    app.url_map.converters["int"] = WholeConverter
    app.json = JSONProvider(app)
    app.request_class = AppRequest
    app.response_class = AppResponse
    app.before_request(_check_request)
