"""Login throttling: how many wrong passwords an address may try, and for which accounts.

Two limits over a sliding window (one minute by default):

- **per account and address** (``LOGIN_FAILURES_PER_MINUTE``, 10): failures for one username from one address.
  An attacker guessing one account from address A is stopped there, while the owner logs in from address B
  as usual: an account is never locked against its owner's other addresses by failures from elsewhere.
- **per address** (``LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE``, 30): failures for any username from one address.
  It stops one address from guessing many accounts; an office behind one NAT address keeps logging in as long
  as its people together mistype fewer than 30 passwords a minute.

A guesser spread over many addresses is slowed to 10 guesses per minute per address and account, and argon2id
makes every guess expensive; accounts are not locked for it (that would hand the attacker a way to lock
anyone out).

Every attempt is booked as a failure *before* its password is checked, and the check of both limits and the
booking are one atomic step, so a burst of parallel attempts gets at most the limit of password checks; a right
password turns its booking into a success. An attempt refused by a limit is not booked: it does not count
and does not make the wait longer.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp.auth.models import LoginAttempt

#: How far back failures count.
WINDOW = dt.timedelta(minutes=1)


@dataclasses.dataclass(frozen=True)
class Limits:
    """Failures allowed within ``window``."""

    per_account_and_address: int
    per_address: int
    window: dt.timedelta = WINDOW


@dataclasses.dataclass(frozen=True)
class Refusal:
    """Why an attempt was refused, and in how many seconds the oldest counted failure leaves the window."""

    whole_address: bool
    retry_after: int


def _failures(ip: str, since: dt.datetime, username: str | None = None) -> sa.ScalarSelect[int]:
    query = sa.select(sa.func.count()).select_from(LoginAttempt).where(
        LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    if username is not None:
        query = query.where(LoginAttempt.username == username)
    return query.scalar_subquery()


def _lock_address(session: Session, ip: str) -> None:
    """Serialise the bookings of one address until the transaction ends. PostgreSQL's READ COMMITTED would let
    two parallel bookings both see 9 failures; an advisory lock per address orders them. (SQLite needs none:
    the booking is one INSERT, and SQLite takes its write lock before the INSERT reads.)"""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"surveyapp.login:{ip}".encode()).digest()[:8], "big", signed=True)
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def book(session: Session, username: str, ip: str, limits: Limits, now: dt.datetime) -> int | Refusal:
    """Book an attempt as a failure if both limits allow it, in one atomic step; return its id, or why not.

    The caller commits the booking before checking the password, so that parallel attempts see it.
    """
    since = now - limits.window
    _lock_address(session, ip)
    values = sa.select(
        sa.literal(username, LoginAttempt.username.type), sa.literal(ip, LoginAttempt.ip.type),
        sa.literal(now, LoginAttempt.at.type), sa.false(),
    ).where(
        _failures(ip, since, username) < limits.per_account_and_address,
        _failures(ip, since) < limits.per_address,
    )
    insert = sa.insert(LoginAttempt).from_select(["username", "ip", "at", "success"], values)
    booked = session.scalar(insert.returning(LoginAttempt.id))
    if booked is not None:
        return booked
    whole_address = session.scalar(sa.select(_failures(ip, since))) >= limits.per_address
    oldest = session.scalar(
        sa.select(sa.func.min(LoginAttempt.at)).where(
            LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at >= since,
            *([] if whole_address else [LoginAttempt.username == username])))
    retry_after = int((oldest + limits.window - now).total_seconds()) + 1 if oldest is not None else 1
    return Refusal(whole_address, max(retry_after, 1))


def succeeded(session: Session, attempt_id: int) -> None:
    """The booked attempt had the right password: it no longer counts as a failure."""
    session.execute(sa.update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True))


def prune(session: Session, before: dt.datetime) -> int:
    """Delete the attempts made before ``before``; return how many."""
    return session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < before)).rowcount or 0
