"""Hostile values for the fuzz suite: text the app must refuse or keep, numbers, dates, JSON of any shape.

The example count comes from ``SURVEYAPP_FUZZ_EXAMPLES`` (``make fuzz`` raises it); ``make test`` keeps the
default, small enough for the whole fuzz suite to take about a minute per database.
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Examples per endpoint, per import format.
EXAMPLES = int(os.environ.get("SURVEYAPP_FUZZ_EXAMPLES", "6"))

FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=EXAMPLES <= 10,
                suppress_health_check=list(HealthCheck))

#: Text that broke apps like this one: NUL and other controls, half an emoji, right-to-left marks,
#: digits ``int`` refuses, spreadsheet formulas, markup, SQL wildcards, a 1 MB string.
NASTY = ["", " ", "\x00", "a\x00b", "\ud83d", "\udc00x", "\u202eevil\u202c", "\u200f\u200e", "\ufeff", "\ufffe",
         "²", "٣", "１２", "-1", "0", "1e400", "NaN", "Infinity", "9" * 30, "9" * 5000, "-" + "9" * 20, "2147483648",
         "0001-01-01T00:00", "9999-12-31T23:59:59+14:00", "1900-01-01", "2026-02-30", "=cmd|' /C calc'!A0",
         "<script>alert(1)</script>", "%_%", "' OR 1=1 --", "../../etc/passwd", "\\\\server\\share", "a\r\nb",
         "\t", "营业厅", "😀" * 50, "x" * 300, "x" * 1_000_000]

texts = st.one_of(st.sampled_from(NASTY), st.text(max_size=40),
                  st.text(st.characters(codec=None, exclude_categories=()), max_size=20))
numbers = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from([0, -1, 2**31, 2**63, 10**400]),
                    st.floats(allow_nan=True, allow_infinity=True))
dates = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(dt.datetime.isoformat),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.sampled_from(["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-12:00", "2026-13-01", "2026-11", "0000-00-00"]))
scalars = st.one_of(texts, numbers, dates, st.booleans(), st.none())
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(texts, inner, max_size=4)), max_leaves=12)
#: Deep nesting, as a raw body (the JSON encoder itself would recurse).
DEEP = "[" * 100_000 + "]" * 100_000


def form_bodies(names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Form fields: the form's own names (some missing, some repeated) plus stray ones, any text as values."""
    keys = st.one_of(st.sampled_from(names), texts) if names else texts
    values = st.one_of(texts, numbers.map(str), dates)
    return st.lists(st.tuples(keys, values), max_size=max(4, len(names) + 3))


def json_bodies(names: list[str]) -> st.SearchStrategy[Any]:
    """JSON of the app's own shapes (``fields`` pairs, client times, a submission id) and of every other shape."""
    keys = st.one_of(st.sampled_from(names), texts) if names else texts
    pairs = st.lists(st.one_of(st.tuples(keys, st.one_of(texts, dates)).map(list), json_values), max_size=8)
    own = st.fixed_dictionaries({}, optional={"fields": st.one_of(pairs, json_values), "client_at": st.one_of(dates, json_values),
                                              "submitted_at": st.one_of(dates, json_values),
                                              "submission_id": st.one_of(st.uuids().map(str), json_values)})
    return st.one_of(own, st.dictionaries(keys, json_values, max_size=6), json_values)
