"""Assessed months kept in the database, so a process that has not assessed a month reads it instead of computing.

A company runs several gunicorn workers, and each keeps the months it assessed (:mod:`.cache`); without this, the
first view of a month in every worker paid the whole computation (about 0.4 s for 5,000 halls). Now the worker
that computes a month writes it to :class:`~surveyapp.assessment.models.AssessedMonth`:

- under the same key as the process cache: the assessment stamp's token (read *before* the data), the month, the
  scope, the policy (its version and its content) and the closing time. The row's ``slot`` is a digest of all but
  the token; the token is a column, and a reader trusts the row only when it equals the token it read. Every
  change that gives the stamp a new token (visits, answers, halls, units, policy versions, publications, bulk
  writes: the hooks of :mod:`.cache`) makes every stored month stale at once; a random token never comes back.
- in a transaction of its own, after the month is computed (the page's own transaction stays a read); two workers
  storing the same slot at once: the later one's row stands, both are right for their token. Rows of older tokens
  are deleted with the write, since nothing can ever trust them again.
- as compact JSON of integers and strings, compressed (:func:`encode`): scores as exact ``[numerator, denominator]``, money
  as its text. Nothing is unpickled or evaluated; a row that does not decode is ignored and recomputed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import zlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from math import gcd
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp import clock, collector
from surveyapp.assessment import cache
from surveyapp.assessment.models import AssessedMonth
from surveyapp.assessment.policy import CHANNELS, Policy
from surveyapp.assessment.results import HallResult, MonthResults, Summary
from surveyapp.db import insert_for

log = logging.getLogger("surveyapp.assessment")

#: Version of the stored layout; rows of another one are recomputed.
LAYOUT = 2
_TABLE = AssessedMonth.__table__
_CHANNELS = tuple(c.value for c in CHANNELS)
_new = object.__new__


def assessed(session: Session, key: tuple[Any, ...], policy: Policy, compute: Callable[[], MonthResults]) -> MonthResults:
    """The month for ``key`` (what :func:`~surveyapp.assessment.services.assess` caches under): from this process's
    cache, else from the database when stored under the current token, else ``compute()``, then kept in both."""
    full_key = cache.stamped_key(session, key)
    if full_key is None:  # no stamp (an emptied database): nothing may be kept anywhere
        with collector.paused():
            return compute()
    month = cache.recall(full_key)
    if month is not cache.MISSING:
        return month  # type: ignore[no-any-return]
    token, where = full_key[1], slot(key)  # type: ignore[index]
    month = load(session, where, token, policy)
    if month is None:
        with collector.paused():
            month = compute()
        save(session, where, token, month)
    cache.keep(full_key, month)
    return month


def slot(key: Hashable) -> str:
    """The row a key's month is stored in: a digest of the key without the token."""
    return hashlib.sha256(repr(key).encode()).hexdigest()


def load(session: Session, where: str, token: str, policy: Policy) -> MonthResults | None:
    """The month stored in ``where`` under ``token``, or ``None`` (not stored, stored under another token, or not
    readable: the caller computes it)."""
    row = session.connection().execute(
        sa.select(_TABLE.c.token, _TABLE.c.data).where(_TABLE.c.slot == where)).first()
    if row is None or row.token != token:
        return None
    try:
        return decode(row.data, policy)
    except (ValueError, TypeError, KeyError, IndexError, zlib.error) as exc:
        log.warning("stored month %s not readable, computed again: %s", where, exc)
        return None


def save(session: Session, where: str, token: str, month: MonthResults) -> None:
    """Store ``month`` in ``where`` under ``token`` in a transaction of its own, dropping every row of another token.

    Not when the session's own transaction changed what months are made of (the month includes changes that may
    still roll back), nor when it has written anything on SQLite (the second connection would wait for its lock):
    the month is then kept in this process only.
    """
    connection = session.connection()
    if session.info.get(cache.WROTE) or (
            connection.dialect.name == "sqlite" and connection.connection.driver_connection.in_transaction):
        return
    data = encode(month)
    upsert = insert_for(connection)
    statement = upsert(_TABLE).values(slot=where, period=month.period, token=token, stored_at=clock.now(), data=data)
    statement = statement.on_conflict_do_update(index_elements=[_TABLE.c.slot], set_={
        "period": statement.excluded.period, "token": statement.excluded.token,
        "stored_at": statement.excluded.stored_at, "data": statement.excluded.data})
    try:
        with session.get_bind().begin() as own:
            own.execute(sa.delete(_TABLE).where(_TABLE.c.token != token))
            own.execute(statement)
    except sa.exc.SQLAlchemyError as exc:  # busy, or the table is being changed: the next reader computes again
        log.info("assessed month %s not stored: %s", month.period, exc.__class__.__name__)


# --- the stored layout ----------------------------------------------------------------------------------
# One array per field rather than one object per hall: a month of 5,000 halls decodes into far fewer Python
# objects (repeated texts such as unit names are stored once and referred to by position), which is most of what
# reading it costs.


def encode(month: MonthResults) -> bytes:
    """The month without its policy (the key holds it) as compact JSON of integers, strings and lists, compressed
    (zlib's fastest level: a month of 5,000 halls is 700 KiB of JSON, 210 KiB to write and read)."""
    halls = month.halls
    texts: dict[str, int] = {}

    def text(value: str | None) -> int:
        return -1 if value is None else texts.setdefault(value, len(texts))

    columns: dict[str, Any] = {
        "hall_id": [h.hall_id for h in halls], "code": [h.code for h in halls], "name": [h.name for h in halls],
        "assessed": [int(h.assessed) for h in halls], "rank": [h.rank for h in halls],
        "redline_visits": [h.redline_visits for h in halls], "consecutive_last": [h.consecutive_last for h in halls],
        "previous_rank": [h.previous_rank for h in halls],
    }
    for name in ("unit_code", "unit_name", "hall_type", "band", "reward", "reward_withheld"):
        columns[name] = [text(None if (v := getattr(h, name)) is None else str(v)) for h in halls]
    columns["penalties"] = [text(_pairs(h.penalties)) for h in halls]
    columns["flags"] = [text(",".join(h.flags)) for h in halls]
    for channel in _CHANNELS:
        columns[f"visits.{channel}"] = [h.visits[channel] for h in halls]
        _fraction_columns(columns, f"channel_scores.{channel}", [h.channel_scores[channel] for h in halls])
    _fraction_columns(columns, "score", [h.score for h in halls])
    _fraction_columns(columns, "previous_score", [h.previous_score for h in halls])
    return zlib.compress(json.dumps({
        "layout": LAYOUT, "period": month.period, "previous_period": month.previous_period,
        "unit_code": month.unit_code, "unit_name": month.unit_name, "policy_number": month.policy_number,
        "computed_at": month.computed_at.isoformat(), "summary": month.summary.to_json(), "texts": list(texts),
        "halls": columns,
    }, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def decode(blob: bytes, policy: Policy) -> MonthResults:
    """Read :func:`encode`'s output back: equal to the month encoded (with ``policy``).

    The cycle collector pauses meanwhile (:func:`surveyapp.collector.paused`; three times quicker).

    :raise ValueError: not compressed JSON, another layout, columns of different lengths, or a score that is not a
        reduced fraction.
    """
    with collector.paused():
        data = json.loads(zlib.decompress(blob))
        if not isinstance(data, dict) or data.get("layout") != LAYOUT:
            raise ValueError("another layout")
        halls = _halls(data["halls"], data["texts"])
        return MonthResults(
            period=data["period"], previous_period=data["previous_period"], unit_code=data["unit_code"],
            unit_name=data["unit_name"], policy=policy, policy_number=data["policy_number"],
            computed_at=dt.datetime.fromisoformat(data["computed_at"]), halls=halls,
            summary=Summary.from_json(data["summary"]),
        )


def _halls(columns: dict[str, Any], texts: list[str]) -> tuple[HallResult, ...]:
    count = len(columns["hall_id"])
    if any(len(values) != count for values in columns.values()):
        raise ValueError("columns of different lengths")

    def strings(name: str) -> list[str | None]:
        return [None if i < 0 else texts[i] for i in columns[name]]

    # Each distinct text decoded once: the rewards and penalties of 5,000 halls are a handful of amounts.
    money = {i: Decimal(texts[i]) for i in {*columns["reward"], *columns["reward_withheld"]}}
    penalty_sets = {i: _penalties(texts[i]) for i in set(columns["penalties"])}
    flag_sets = {i: tuple(texts[i].split(",")) if texts[i] else () for i in set(columns["flags"])}
    visits = list(zip(*(columns[f"visits.{c}"] for c in _CHANNELS), strict=True))
    channel_scores = list(zip(*(_fractions(columns, f"channel_scores.{c}") for c in _CHANNELS), strict=True))
    out = []
    for (hall_id, code, name, unit_code, unit_name, hall_type, assessed_, visit_counts, channel_means, score, rank,
         band, redline_visits, reward, withheld, penalties, flags, consecutive_last, previous_score,
         previous_rank) in zip(
            columns["hall_id"], columns["code"], columns["name"], strings("unit_code"), strings("unit_name"),
            strings("hall_type"), columns["assessed"], visits, channel_scores, _fractions(columns, "score"),
            columns["rank"], strings("band"), columns["redline_visits"], columns["reward"], columns["reward_withheld"],
            columns["penalties"], columns["flags"], columns["consecutive_last"], _fractions(columns, "previous_score"),
            columns["previous_rank"], strict=True):
        # The frozen dataclass's __init__ sets its 20 fields one by one through object.__setattr__; filling the
        # instance's dict at once builds the same object in a fraction of the time (5,000 halls per month).
        hall = _new(HallResult)
        hall.__dict__.update({
            "hall_id": hall_id, "code": code, "name": name, "unit_code": unit_code, "unit_name": unit_name,
            "hall_type": hall_type, "assessed": bool(assessed_), "visits": dict(zip(_CHANNELS, visit_counts)),
            "channel_scores": dict(zip(_CHANNELS, channel_means)), "score": score, "rank": rank, "band": band,
            "redline_visits": redline_visits, "reward": money[reward], "reward_withheld": money[withheld],
            "penalties": dict(penalty_sets[penalties]), "flags": flag_sets[flags],
            "consecutive_last": consecutive_last, "previous_score": previous_score, "previous_rank": previous_rank,
        })
        out.append(hall)
    return tuple(out)


def _pairs(penalties: Mapping[str, Decimal]) -> str:
    """Penalties as one text, ``kind:amount`` pairs joined by ``;`` in their order (empty: none)."""
    return ";".join(f"{kind}:{amount}" for kind, amount in penalties.items())


def _penalties(text: str) -> dict[str, Decimal]:
    return {kind: Decimal(amount) for kind, amount in (pair.split(":") for pair in text.split(";"))} if text else {}


def _fraction_columns(columns: dict[str, Any], name: str, values: Sequence[Fraction | None]) -> None:
    """Exact scores as two columns of integers (denominator 0: no score)."""
    columns[f"{name}.n"] = [0 if v is None else v.numerator for v in values]
    columns[f"{name}.d"] = [0 if v is None else v.denominator for v in values]


def _fractions(columns: dict[str, Any], name: str) -> list[Fraction | None]:
    """The scores of :func:`_fraction_columns`, checked to be what it writes: integers (``gcd`` takes nothing
    else), denominators not negative, each fraction reduced. ``Fraction(n, d)`` would reduce them again, several
    times slower, and a month has 25,000 of them; the slots are set directly as the reduced fractions they are."""
    numerators, denominators = columns[f"{name}.n"], columns[f"{name}.d"]
    if len(numerators) != len(denominators) or (denominators and min(denominators) < 0) or not set(
            map(gcd, numerators, denominators)) <= {0, 1}:  # gcd 0: no score (0/0); 1: reduced
        raise ValueError(f"{name} are not reduced fractions")
    out: list[Fraction | None] = []
    append = out.append
    for numerator, denominator in zip(numerators, denominators):
        if denominator:
            fraction = _new(Fraction)
            fraction._numerator, fraction._denominator = numerator, denominator
            append(fraction)
        else:
            append(None)
    return out
