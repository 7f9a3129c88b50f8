"""Each process keeps the months it assessed, keyed by the database's assessment stamp.

Pages and commands assess the same months again and again (the results page assesses the whole month to show
one page of it; trends assess twelve months). A month's results change only when a visit, an answer, a hall,
a unit or the policy changes, and every such change replaces the stamp's token in the same transaction (the
session hooks below; the flush notes what changed, and the new tokens are written just before the commit, so
that the one stamp row every writer updates is locked for an instant, not for the writer's whole transaction),
so a process may reuse what it computed under the token it reads now.

Why this is safe on several hosts and in any order of events:

- The token lives in the database and changes in the writing transaction; a process holds nothing another
  process must be told about. Losing the cache (a restart) only costs one computation.
- The token is read *before* the data: results cached under token T are at least as new as T. Data committed
  after T came with a new token, so a reader that still sees T sees no newer data.
- A new token is random, so a rolled-back change (whose token some transaction may have used as a key)
  never comes back.
- A database without the stamp row (emptied) disables the cache until the next change writes one.

:mod:`.store` keeps the assessed months in the database under the same token, so the other processes (gunicorn
workers, hosts) read a month one of them computed instead of computing it again.

Writes that bypass the ORM (raw SQL, bulk loads by the benchmarks) must replace the token themselves with
:func:`touch`; visits' own such write (the release in bulk) says so with its signal ``visit_rows_updated``.

The same hooks keep a token per month (:class:`~surveyapp.assessment.models.MonthStamp`): a change of a visit or
its answers replaces its month's token (both months when a visit moves); a change of a hall or a unit, a bulk
statement or :func:`touch` replaces the token of every month (the row ``*``). :func:`month_key` is what a month's
stored counts are kept under (the heat map's, :mod:`surveyapp.insight.trends`), so a month closed long ago keeps
them while this month's visits come in.
"""
from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from surveyapp.assessment.models import AssessmentStamp, MonthStamp, PolicyVersion
from surveyapp.db import insert_for
from surveyapp.org.models import Hall, Unit
from surveyapp.visits.models import Answer, Visit
from surveyapp.visits.signals import visit_rows_updated

T = TypeVar("T")

#: The objects whose changes can change a month's results.
WATCHED = (Visit, Answer, Hall, Unit, PolicyVersion)
#: Visit columns a change of which changes no result (a supervisor's draft, saved every few seconds).
UNSCORED_VISIT_COLUMNS = frozenset({"draft", "draft_client_at", "draft_saved_at"})
#: Entries each process keeps, least recently used dropped first: a month for the company and a few units, a
#: year of trends, a heat map. A month of 5,000 halls holds about 7.6 MB, so at most about 250 MB per process.
SIZE = 32

_STAMP = AssessmentStamp.__table__
_MONTHS = MonthStamp.__table__
#: The month row whose token changes with what changes every month.
EVERY_MONTH = "*"
_lock = threading.Lock()
_entries: OrderedDict[Hashable, Any] = OrderedDict()
#: ``session.info`` key set while the session's transaction has replaced the token (cleared when it ends): what it
#: computes then includes its own uncommitted changes, which :mod:`.store` never writes for other processes.
WROTE = "surveyapp.assessment.wrote"
#: ``session.info`` key: the months whose tokens the transaction's flushed changes will replace when it commits
#: (``*``: every month), with the stamp's; until then nothing read in it is kept (:func:`token` is ``None``).
PENDING = "surveyapp.assessment.pending"
_COMMITTING = "surveyapp.assessment.committing"
#: What :func:`recall` returns for a key nothing is kept under.
MISSING = _MISSING = object()


def touch(session: Session, *, every_month: bool = True) -> None:
    """Give the stamp and every month new tokens (in the session's transaction): every process's cached months
    and every stored month count are stale.

    :param every_month: ``False`` for a change that leaves visits and answers as they were (publishing a notice,
        which trends read): the stored month counts stay.
    """
    _replace_token(session)
    if every_month:
        touch_months(session, {EVERY_MONTH})


def _replace_token(session: Session) -> None:
    session.info[WROTE] = True
    connection = session.connection()
    token = str(uuid.uuid4())
    if connection.execute(sa.update(_STAMP).where(_STAMP.c.id == 1).values(token=token)).rowcount == 0:
        connection.execute(sa.insert(_STAMP).values(id=1, token=token))


def touch_months(session: Session, periods: set[str]) -> None:
    """Give the months ``periods`` (``*``: every month) new tokens in the session's transaction."""
    connection = session.connection()
    upsert = insert_for(connection)
    for period in sorted(periods):  # always in the same order, so two writers never wait for each other in a ring
        statement = upsert(_MONTHS).values(period=period, token=str(uuid.uuid4()))
        connection.execute(statement.on_conflict_do_update(index_elements=[_MONTHS.c.period],
                                                           set_={"token": statement.excluded.token}))


def month_key(session: Session, period: str) -> str | None:
    """What the month's stored counts are kept under now: the ``*`` token and the month's (``None``: no ``*`` row,
    the database was emptied; nothing may be stored or reused until a change writes one; or changes of this
    transaction whose new tokens are not written yet)."""
    if PENDING in session.info:
        return None
    tokens = dict(session.connection().execute(
        sa.select(_MONTHS.c.period, _MONTHS.c.token).where(_MONTHS.c.period.in_([EVERY_MONTH, period]))).all())
    if EVERY_MONTH not in tokens:
        return None
    return f"{tokens[EVERY_MONTH]} {tokens.get(period, '-')}"


def month_stamped_key(session: Session, period: str, key: Hashable) -> Hashable | None:
    """``key`` under the month's current key (:func:`month_key`), for :func:`keep` and :func:`recall`: what depends
    only on that month's visits and answers, and on halls and units (``None``: nothing may be kept)."""
    current = month_key(session, period)
    return None if current is None else (str(session.get_bind().url), "month " + current, key)


def token(session: Session) -> str | None:
    """The stamp's token now (``None``: no stamp, or changes of this transaction whose new tokens are not written
    yet: nothing may be cached)."""
    if PENDING in session.info:
        return None
    return session.connection().execute(sa.select(_STAMP.c.token).where(_STAMP.c.id == 1)).scalar()


def cached(session: Session, key: Hashable, compute: Callable[[], T], *, stamped: bool = True) -> T:
    """``compute()``, or what it returned earlier in this process for ``key`` under the current token.

    :param stamped: ``False`` for what never changes once written (a published revision): kept whatever the token.
    """
    full_key = stamped_key(session, key) if stamped else (str(session.get_bind().url), "-", key)
    if full_key is None:
        return compute()
    value = recall(full_key)
    if value is _MISSING:
        value = compute()
        keep(full_key, value)
    return value  # type: ignore[no-any-return]


def stamped_key(session: Session, key: Hashable) -> Hashable | None:
    """``key`` under the database's current token, for :func:`keep` and :func:`recall` (``None``: no stamp,
    nothing may be kept). Read it before computing what is kept: a change committed meanwhile gives a new one."""
    current = token(session)
    return None if current is None else (str(session.get_bind().url), current, key)


def recall(full_key: Hashable) -> Any:
    """What :func:`keep` kept under ``full_key`` in this process, or :data:`_MISSING`."""
    with _lock:
        if full_key not in _entries:
            return _MISSING
        _entries.move_to_end(full_key)
        return _entries[full_key]


def keep(full_key: Hashable, value: Any) -> None:
    """Keep ``value`` under ``full_key`` (:func:`stamped_key`), the least recently used entry dropped past
    :data:`SIZE`."""
    with _lock:
        _entries[full_key] = value
        _entries.move_to_end(full_key)
        while len(_entries) > SIZE:
            _entries.popitem(last=False)


def _changes_results(session: Session, obj: object) -> bool:
    if not isinstance(obj, WATCHED):
        return False
    if obj in session.new or obj in session.deleted:
        return True
    if not session.is_modified(obj):
        return False
    if isinstance(obj, Visit):
        state = sa.inspect(obj)
        return any(attr.key not in UNSCORED_VISIT_COLUMNS and attr.history.has_changes() for attr in state.attrs)
    return True


def _months_changed(session: Session, changed: list[object]) -> set[str]:
    """The months whose visits or answers ``changed`` (``{"*"}`` when a hall or a unit changed)."""
    if any(isinstance(obj, Hall | Unit) for obj in changed):
        return {EVERY_MONTH}
    periods: set[str | None] = set()
    visit_ids: set[int] = set()
    for obj in changed:
        if isinstance(obj, Visit):
            periods.add(obj.period)
            periods.update(sa.inspect(obj).attrs.period.history.deleted)  # a visit moved out of a month
        elif isinstance(obj, Answer):
            if "visit" in obj.__dict__ and obj.visit is not None:
                periods.add(obj.visit.period)
            elif obj.visit_id is not None:
                visit_ids.add(obj.visit_id)
    if visit_ids:
        with session.no_autoflush:
            periods.update(session.connection().execute(
                sa.select(Visit.period).where(Visit.id.in_(sorted(visit_ids))).distinct()).scalars())
    return {p for p in periods if p}


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    changed = [obj for obj in (*session.new, *session.dirty, *session.deleted) if _changes_results(session, obj)]
    if not changed:
        return
    session.info[WROTE] = True
    pending: set[str] = session.info.setdefault(PENDING, set())
    pending.update(_months_changed(session, changed))
    if session.info.get(_COMMITTING):  # a flush after the tokens were written (a hook's late change)
        _write_pending(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """The new tokens are written last, just before the commit: the stamp is one row that every change writes, so
    a writer holds its lock only for the moment its commit takes, not for the rest of its transaction (a phone
    submission's whole work), and writers do not queue behind each other."""
    if session.in_nested_transaction():
        return  # a savepoint's commit: the outer transaction writes them
    session.flush()
    _write_pending(session)
    session.info[_COMMITTING] = True


def _write_pending(session: Session) -> None:
    months = session.info.pop(PENDING, None)
    if months is None:
        return
    _replace_token(session)
    touch_months(session, months)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session: Session) -> None:
    for key in (WROTE, PENDING, _COMMITTING):
        session.info.pop(key, None)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: Any) -> None:
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    if not issubclass(state.bind_mapper.class_, WATCHED):
        return
    values = getattr(state.statement, "_values", None) or {}
    columns = {getattr(column, "key", column) for column in values}
    if state.bind_mapper.class_ is Visit and columns and columns <= UNSCORED_VISIT_COLUMNS:
        return
    touch(state.session)


@visit_rows_updated.connect
def _visit_rows_updated(session: Session, periods: set[str]) -> None:
    """Visit rows written past the ORM (the release in bulk): the stamp and those months get new tokens; the
    stored counts of other months stay."""
    touch(session, every_month=False)
    touch_months(session, periods)


def forget() -> None:
    """Drop this process's entries (the benchmarks time the first computation with it)."""
    with _lock:
        _entries.clear()
