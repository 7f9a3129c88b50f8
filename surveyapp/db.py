"""The database: declarative base with a naming convention, typed column helpers, per-app-context sessions."""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from surveyapp.errors import NotFound

log = logging.getLogger("surveyapp")

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


#: Money in yuan with two decimals; never float.
Money = sa.Numeric(12, 2, asdecimal=True)


class Model(DeclarativeBase):
    """Base of every model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime(), Decimal: Money}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Enforce foreign keys and let readers work while a writer commits."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


class Database:
    """Engine per app, one session per application context, closed at teardown."""

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False, "timeout": 10}
        else:
            # A dropped connection is noticed and replaced before use, so the app recovers by itself after
            # a database restart; a server that does not answer fails the request fast (a 503) instead of
            # holding a worker until it is killed.
            options["pool_pre_ping"] = True
            if "connect_timeout" not in sa.make_url(url).query:
                options["connect_args"] = {"connect_timeout": app.config["DATABASE_CONNECT_TIMEOUT"]}
        engine = sa.create_engine(url, **options)
        app.extensions["surveyapp.db"] = (engine, sessionmaker(engine))
        app.teardown_appcontext(self._close)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["surveyapp.db"][0]

    @property
    def session(self) -> Session:
        session = g.get("_db_session")
        if session is None:
            session = g._db_session = current_app.extensions["surveyapp.db"][1]()
        return session

    @staticmethod
    def rollback_quietly() -> None:
        """Roll back this context's session, if it has one, without raising: error handlers call this,
        and a rollback on a lost connection must not turn the error page into a second error."""
        session = g.get("_db_session")
        if session is None:
            return
        try:
            session.rollback()
        except Exception as exc:  # noqa: BLE001 - whatever the driver raises, the page must still answer
            log.warning("rollback failed, session discarded: %s", exc.__class__.__name__)
            g.pop("_db_session", None)
            _close_quietly(session)

    @staticmethod
    def _close(exc: BaseException | None) -> None:
        session = g.pop("_db_session", None)
        if session is not None:
            _close_quietly(session)


def insert_for(bind: Any) -> Any:
    """The ``insert`` of ``bind``'s dialect (a connection, an engine or a session's bind), for the statements
    that need its ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (PostgreSQL's and SQLite's are alike)."""
    return postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert


def commit_keeping_loaded(session: Session) -> None:
    """Commit without expiring what the session has read, for a request that goes on with the same objects after
    an intermediate commit (the submission keeps the draft first): they are not read again. What may have
    changed meanwhile the caller expires itself; a concurrent change to a versioned row still fails its flush."""
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _close_quietly(session: Session) -> None:
    try:
        session.close()
    except Exception as exc:  # noqa: BLE001 - a dead connection is dropped by the pool; the response stands
        log.warning("closing the database session failed: %s", exc.__class__.__name__)


#: PostgreSQL SQLSTATEs that mean "the server is not there now": connection exceptions (class 08),
#: shutting down or starting up (57P01-57P03), too many connections (53300).
_PG_UNAVAILABLE = ("08", "57P01", "57P02", "57P03", "53300")
#: SQLite result codes that mean "the file cannot be reached now" (not a mistake in the SQL).
_SQLITE_UNAVAILABLE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN}


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether an error means the database cannot be reached right now (try again later), as opposed to
    a mistake in a query or in the data, which is a bug (500) and must not be hidden behind a 503."""
    for _ in range(5):  # the error itself and what it was raised from
        if exc is None:
            return False
        if _unavailable(exc):
            return True
        exc = exc.__cause__
    return False


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, (sa.exc.DisconnectionError, sa.exc.TimeoutError)):
        return True
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return isinstance(orig, sqlite3.OperationalError) and code is not None and code & 0xFF in _SQLITE_UNAVAILABLE
    if isinstance(exc, sa.exc.InterfaceError):  # psycopg: the connection is closed or broken
        return True
    if isinstance(exc, sa.exc.OperationalError):
        sqlstate = getattr(orig, "sqlstate", None)
        return sqlstate is None or sqlstate.startswith(_PG_UNAVAILABLE)
    return False


db = Database()


def plain_rows(session: Session, statement: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``statement`` as the driver returns them, on the session's connection (inside its transaction).

    For the reads of tens of thousands of rows that pages and benchmarks time (a month's visits, a window of
    ratings): SQLAlchemy's rows and its result types cost four times the driver's own fetch. The parameters go
    through their column types as usual; the values come back untyped, so select only plain columns whose driver
    values are what the caller wants: integers, text, floats (SQLite gives booleans as 0 and 1, and an
    ``Enum`` column as its text).
    """
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    processors = compiled._bind_processors  # the parameters' column types, as ``execute`` applies them
    values = {key: processors[key](value) if key in processors else value
              for key, value in compiled.construct_params().items()}
    parameters: Any = [values[key] for key in compiled.positiontup or ()] if compiled.positional else values
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), parameters)
        return cursor.fetchall()
    finally:
        cursor.close()


def looks_like_uid(uid: object) -> bool:
    """Whether ``uid`` has the shape of a public id (a UUID string): anything else is "not found" unread."""
    return isinstance(uid, str) and len(uid) == 36 and uid.count("-") == 4


def get_visible(session: Session, model: type[T], uid: object, condition: sa.ColumnElement[bool] | None,
                   message: str, *, join: Any = None, for_update: bool = False) -> T:
    """The ``model`` row with public id ``uid`` where ``condition`` (the acting user's access rule) holds.

    ``condition`` is ``None`` when the user may see no such row; ``join`` is the relationship the condition
    reads through.

    :raise NotFound: with ``message``, the same for a row that does not exist, one the user may not see and
        an id of the wrong shape: a missing and a forbidden object must look alike.
    """
    found = None
    if condition is not None and looks_like_uid(uid):
        query = sa.select(model)
        if join is not None:
            query = query.join(join)
        query = query.where(model.uid == uid, condition)  # type: ignore[attr-defined]
        found = session.scalar(query.with_for_update() if for_update else query)
    if found is None:
        raise NotFound(message)
    return found
