"""The assessment policy's versions: every change is a new row; the newest is the policy in force."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.assessment.policy import Policy
from surveyapp.auth.models import User
from surveyapp.db import Model


class PolicyVersion(Model):
    """One version of the assessment policy, never changed once written (notices refer to it)."""

    __tablename__ = "policy_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 1, 2, ...; unique, so two people saving at once cannot both write the same version.
    number: Mapped[int] = mapped_column(unique=True)
    #: The policy as data (:meth:`Policy.to_json`).
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime]
    #: ``None`` for the system (the built-in default) and the command line.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: ``default`` (built in), ``page`` (the edit page) or ``file`` (``flask policy load``).
    source: Mapped[str] = mapped_column(sa.String(20))
    #: The file's name for ``file``.
    source_name: Mapped[str | None] = mapped_column(sa.String(255))
    #: Why it changed, as its author said.
    note: Mapped[str | None] = mapped_column(sa.Text)

    created_by: Mapped[User | None] = relationship()

    @property
    def policy(self) -> Policy:
        """The content as a :class:`Policy` (parsed once per loaded object; a version never changes)."""
        cached = self.__dict__.get("_policy")
        if cached is None:
            cached = self.__dict__["_policy"] = Policy.from_json(self.content)
        return cached

    def __repr__(self) -> str:
        return f"<PolicyVersion {self.number}>"


class AssessmentStamp(Model):
    """One row whose token changes, in the same transaction, with every change that can change a month's results
    (visits and their answers, halls, units, the policy): the key of each process's cache of assessed months
    (:mod:`surveyapp.assessment.cache`). A fresh random token per change, so a rolled-back change never comes back."""

    __tablename__ = "assessment_stamp"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(sa.String(36))


class MonthStamp(Model):
    """A token per month (``YYYY-MM``) that changes, in the same transaction, with every change of that month's
    visits or their answers; the row ``*`` changes with what touches every month (a hall or a unit, a bulk write).
    What is stored per month (:class:`HeatTally`) is keyed by the two, so closed months keep theirs while this
    month's visits come in (:func:`surveyapp.assessment.cache.month_key`)."""

    __tablename__ = "month_stamp"

    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(36))


class HeatTallyMonth(Model):
    """That the month's :class:`HeatTally` rows were counted under ``stamp`` (the month's key then)."""

    __tablename__ = "heat_tally_month"

    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    stamp: Mapped[str] = mapped_column(sa.String(80))


class HeatTally(Model):
    """A month's failed and counted answers of validated visits, and their Σ earned and Σ possible points, per
    checklist item row and hall unit: what the heat map and the section trends add up, counted once per month and
    kept until the month's key changes."""

    __tablename__ = "heat_tally"

    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    item_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    failures: Mapped[int]
    answered: Mapped[int]
    earned: Mapped[int]
    possible: Mapped[int]


class AssessedMonth(Model):
    """A month's results as :func:`~surveyapp.assessment.services.assess` computed them, kept for the other processes
    (:mod:`surveyapp.assessment.store`): one row per month, scope, policy and closing time (``slot``, a digest of
    them), holding the results computed under the assessment stamp's ``token``; a reader trusts it only while the
    stamp still has that token, so every change that makes a process recompute makes the row stale too."""

    __tablename__ = "assessed_month"

    slot: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    token: Mapped[str] = mapped_column(sa.String(36))
    stored_at: Mapped[dt.datetime]
    #: The results as compact JSON, zlib-compressed (:func:`surveyapp.assessment.store.encode`).
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
