"""The database: declarative base with a naming convention, typed column helpers, per-app-context sessions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

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
            options["pool_pre_ping"] = True
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
    def _close(exc: BaseException | None) -> None:
        session = g.pop("_db_session", None)
        if session is not None:
            session.close()


db = Database()
