"""The monthly assessment and its policy: the public API for the results page, ``flask assess`` and notices.

For the notice (and anyone else)
================================

A month's results::

    from surveyapp.assessment import services as assessment

    results = assessment.assess(session, "2026-11")                  # the whole company, current policy
    results = assessment.assess(session, "2026-11", unit="B1")       # a unit and the units below it
    results = assessment.assess(session, "2026-11", policy=version)  # a stored PolicyVersion (or a Policy)

    results.policy_number, results.policy          # the version applied and its content
    results.summary                                # halls, assessed, visits per channel, mean score, change ...
    for hall in results.ranked:                    # by rank, then code
        hall.rank, hall.code, hall.name, hall.unit_name, hall.channel_scores, hall.visits
        hall.score, hall.change, hall.band, hall.redline_visits, hall.flags
        hall.reward, hall.reward_withheld, hall.penalties, hall.penalty
    results.not_assessed                           # listed, never ranked, rewarded or penalised

Scores are exact ``Fraction`` values; show them with ``assessment.display(score)`` (half-up, one decimal).
Money is ``Decimal`` with two places. Flags: ``last``, ``escalate``, ``below_threshold``, ``redline``.

Snapshot (publishing a notice)::

    data = results.to_json()            # JSON-ready, exact: fractions as "n/d", money as "500.00"
    same = MonthResults.from_json(data) # == results

The month's problems and the annex::

    assessment.most_failed_items(session, "2026-11", unit=None, limit=10)  # [ItemFailure]: key, text, failures, rate
    assessment.hall_findings(session, "2026-11", unit=None)                # {hall code: [FailedAnswer]} with photo uids

Deadlines for the notice: ``results.policy.deadlines.appeal_days`` and
``results.policy.deadlines.rectify_days_for(finding.section_id)``.

The policy: :func:`current_policy` (the newest version; version 1 is the built-in default, stored with the first
change or with ``current_policy(session, store=True)``), :func:`policy_version`, :func:`policy_versions`,
:func:`save_policy`, :func:`load_policy_file`.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Sequence
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.assessment import adjust, cache, labels, queries, ranking, store
from surveyapp.assessment import policy as policy_rules
from surveyapp.assessment.models import PolicyVersion
from surveyapp.assessment.policy import Policy
from surveyapp.assessment.queries import FailedAnswer, ItemFailure
from surveyapp.assessment.results import MonthResults, display
from surveyapp.audit import display as audit_display
from surveyapp.audit.services import record
from surveyapp.auth.access import require_role
from surveyapp.auth.models import Role, User
from surveyapp.errors import Conflict, NotFound, ValidationError
from surveyapp.org.models import Unit

__all__ = ["FailedAnswer", "ItemFailure", "MonthResults", "assess", "current_policy", "display", "hall_findings", "hall_scores",
           "load_policy_file", "most_failed_items", "policy_version", "policy_versions", "save_policy"]

log = logging.getLogger("surveyapp.assessment")

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
DEFAULT, PAGE, FILE = "default", "page", "file"
#: Where the notices capability (a higher room) registers the reader of a month's published results, which the
#: results page and its Excel export show for a published month:
#: ``(session, period) -> (MonthResults, revision number, published at) | None``.
PUBLISHED_RESULTS = "surveyapp.published_results"


# --- months -----------------------------------------------------------------------------------------


def parse_period(text: str) -> str:
    """A month as ``YYYY-MM``.

    :raise ValidationError: anything else (a month from 2000-01 to 2999-12).
    """
    match = _PERIOD.match((text or "").strip())
    if not match or not 2000 <= int(match.group(1)) <= 2999 or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(_("%(value)s is not a month: write it as YYYY-MM, e.g. 2026-11.", value=text))
    return match.group(0)


def shift_period(period: str, months: int) -> str:
    """The month ``months`` after ``period`` (negative: before)."""
    year, month = map(int, period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def current_period() -> str:
    """This month in the company's time zone."""
    today = clock.today()
    return f"{today.year:04d}-{today.month:02d}"


def find_unit(session: Session, unit: Unit | str | None) -> Unit | None:
    """The unit for a scope given as a unit or its code.

    :raise NotFound: no unit has that code.
    """
    if unit is None or isinstance(unit, Unit):
        return unit
    found = session.scalar(sa.select(Unit).where(Unit.code == unit.strip()))
    if found is None:
        raise NotFound(_("No unit has the code %(code)s.", code=unit))
    return found


# --- the month's results ----------------------------------------------------------------------------


def assess(session: Session, period: str, unit: Unit | str | None = None,
           policy: PolicyVersion | Policy | None = None, closed_at: dt.datetime | None = None) -> MonthResults:
    """The results of month ``period`` (``YYYY-MM``) for every hall, or for the halls of ``unit`` (a unit or its
    code) and the units below it; ranks, last places and escalations then count within that scope.

    Only validated visits of the month count. The previous month (for the change) and, for escalation,
    the months before it are assessed with the same policy and scope. A policy with
    ``[policy.calibration] adjust = true`` assesses severity-adjusted visit scores (:mod:`.adjust`). Reads only.

    Each process keeps the months it assessed until a change of the data or the policy (:mod:`.cache`): the
    same month asked again costs one small read. The process that computes a month also stores it in the database
    under the same key (:mod:`.store`), so another process reads it instead of computing it again. The results
    are immutable; share them, never change them.

    :param policy: the policy to apply: a stored version, a plain :class:`Policy`, or ``None`` for the newest.
    :param closed_at: when the month was closed, if it was: halls added later are not listed.
    :raise ValidationError: ``period`` is not a month.
    :raise NotFound: ``unit`` is an unknown code.
    """
    period = parse_period(period)
    scope = find_unit(session, unit)
    version = current_policy(session) if policy is None else policy
    rules = version.policy if isinstance(version, PolicyVersion) else version
    number = version.number if isinstance(version, PolicyVersion) else None
    key = ("assess", period, scope.code if scope else None, number, json.dumps(rules.to_json(), sort_keys=True),
           closed_at.isoformat() if closed_at else None)
    return store.assessed(session, key, rules, lambda: _assess(session, period, scope, rules, number, closed_at))


def _assess(session: Session, period: str, scope: Unit | None, rules: Policy, number: int | None,
            closed_at: dt.datetime | None = None) -> MonthResults:
    back = max(1, rules.penalties.escalate_after_consecutive_last - 1)
    periods = [shift_period(period, -n) for n in range(back + 1)]
    unit_id = scope.id if scope is not None else None
    if rules.calibration.adjust:  # adjusted scores depend on a window of months: each month is made afresh
        tallies, earlier = ranking.tally(adjust.adjusted_groups(session, periods, unit_id, rules.calibration)), None
    else:
        tallies, earlier = _with_earlier_months(session, periods, unit_id, rules)
    halls = queries.halls_listed(session, period, unit_id, closed_at)
    halls_results, summary = ranking.evaluate(halls, tallies, rules, periods, earlier)
    return MonthResults(
        period=period, previous_period=periods[1], unit_code=scope.code if scope else None,
        unit_name=scope.name if scope else None, policy=rules, policy_number=number,
        computed_at=clock.now(), halls=tuple(halls_results), summary=summary,
    )


def _with_earlier_months(session: Session, periods: list[str], unit_id: int | None,
                         rules: Policy) -> tuple[ranking.Tallies, list[ranking.Standing]]:
    """The tallies of ``periods[0]`` and the standings of the months before it (change, escalation).

    A month before only gives its scores, ranks and last places, and they change only with that month's visits (or
    with a hall or a unit): each is kept in the process under the month's key (:func:`cache.month_key`, read before
    the data), so assessing this month again after a new visit groups and ranks this month alone.
    """
    policy_text = json.dumps(rules.to_json(), sort_keys=True)
    keys = {p: cache.month_stamped_key(session, p, ("standing", p, unit_id, policy_text)) for p in periods[1:]}
    kept = {p: cache.recall(key) for p, key in keys.items() if key is not None}
    missing = [p for p in periods[1:] if kept.get(p, cache.MISSING) is cache.MISSING]
    tallies = ranking.tally(queries.visit_groups(session, [periods[0], *missing], unit_id))
    for p in missing:
        kept[p] = ranking.Standing.of(tallies.get(p, {}), rules)
        if keys[p] is not None:
            cache.keep(keys[p], kept[p])
    return tallies, [kept[p] for p in periods[1:]]


def hall_scores(session: Session, periods: Sequence[str],
                policy: PolicyVersion | Policy | None = None) -> dict[str, dict[int, Fraction]]:
    """Every assessed hall's score (by hall id) in each of ``periods``, exactly as :func:`assess` scores them, for
    pages that need scores of many months and nothing else (trends): one SQL grouping for all the months, no
    ranks, rewards or penalties. Kept per process until the data changes, like :func:`assess`.
    """
    periods = [parse_period(p) for p in periods]
    version = current_policy(session) if policy is None else policy
    rules = version.policy if isinstance(version, PolicyVersion) else version

    def compute() -> dict[str, dict[int, Fraction]]:
        groups = (adjust.adjusted_groups(session, periods, None, rules.calibration) if rules.calibration.adjust
                  else queries.visit_groups(session, periods, None))
        tallies = ranking.tally(groups)
        return {p: ranking.scores_of(tallies.get(p, {}), rules) for p in periods}

    return cache.cached(session, ("hall-scores", tuple(periods), json.dumps(rules.to_json(), sort_keys=True)), compute)


def most_failed_items(session: Session, period: str, unit: Unit | str | None = None,
                      limit: int = 10) -> list[ItemFailure]:
    """The items failed most often in the month's validated visits (see :func:`queries.most_failed_items`)."""
    scope = find_unit(session, unit)
    return queries.most_failed_items(session, parse_period(period), scope.id if scope else None, limit)


def hall_findings(session: Session, period: str, unit: Unit | str | None = None,
                  hall_ids: Sequence[int] | None = None) -> dict[str, list[FailedAnswer]]:
    """Failed answers of the month's validated visits by hall code (see :func:`queries.hall_findings`)."""
    scope = find_unit(session, unit)
    return queries.hall_findings(session, parse_period(period), scope.id if scope else None, hall_ids)


# --- the policy's versions --------------------------------------------------------------------------


def current_policy(session: Session, *, store: bool = False) -> PolicyVersion:
    """The newest policy version.

    Until someone changes the policy, that is version 1, the built-in default (DOMAIN.md's example). It is
    written to the database with the first change (:func:`save_policy`), so reading never writes; callers
    about to write something that refers to the version by its row (e.g. publishing a notice) pass
    ``store=True`` to have it stored now (flushed, not committed).
    """
    newest = session.scalar(sa.select(PolicyVersion).order_by(PolicyVersion.number.desc()).limit(1))
    if newest is not None:
        return newest
    default = PolicyVersion(number=1, content=policy_rules.DEFAULT.to_json(), created_at=None, created_by=None,
                            source=DEFAULT)
    if store:
        _store_default(session, default)
    return default


def _store_default(session: Session, default: PolicyVersion) -> None:
    default.created_at = clock.now()
    session.add(default)
    try:
        session.flush()
    except IntegrityError as exc:  # another request stored it at the same moment; the caller rolls back
        raise Conflict(_("Someone else saved the policy at the same moment. Reload the page and try again.")) from exc


def policy_version(session: Session, number: int) -> PolicyVersion:
    """:raise NotFound: no version has that number."""
    version = session.scalar(sa.select(PolicyVersion).where(PolicyVersion.number == number))
    if version is None and number == 1:
        version = current_policy(session)
        version = version if version.number == 1 else None
    if version is None:
        raise NotFound(_("The assessment policy has no version %(n)s.", n=number))
    return version


def policy_versions(session: Session) -> list[PolicyVersion]:
    """Every version, newest first (only the built-in default until the first change)."""
    return list(session.scalars(sa.select(PolicyVersion).order_by(PolicyVersion.number.desc()))) or [
        current_policy(session)]


#: Why anyone but the market department (or the system) is refused here.
MARKET_ONLY = _l("Only the market department changes the assessment policy.")


def save_policy(session: Session, actor: User | None, policy: Policy, *, based_on: int | None = None,
                source: str = PAGE, source_name: str | None = None, note: str | None = None) -> PolicyVersion | None:
    """Store ``policy`` as a new version, unless it equals the current one.

    :param based_on: the version number the editor started from; another version saved meanwhile is a conflict.
    :return: the new version, or ``None`` when nothing changed.
    :raise Conflict: someone saved another version since ``based_on``, or at the same moment.
    """
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    current = current_policy(session)
    if based_on is not None and based_on != current.number:
        who = labels.author_text(current)
        raise Conflict(_("%(name)s saved version %(n)s of the policy at %(time)s, after you opened it. "
                         "Reload the page to see it, then make your change again.", name=who, n=current.number,
                         time=labels.when_text(current.created_at)))
    if current.policy == policy:
        return None
    if current.id is None:  # the built-in default goes into the history first, as version 1
        _store_default(session, current)
    changes = policy_rules.diff(current.policy, policy)
    note = (note or "").strip() or None
    version = PolicyVersion(number=current.number + 1, content=policy.to_json(), created_at=clock.now(),
                            created_by=actor, source=source, source_name=source_name, note=note)
    session.add(version)
    try:
        session.flush()
    except IntegrityError as exc:  # the caller rolls back (views do on any DomainError)
        raise Conflict(_("Someone else saved the policy at the same moment. Reload the page and try again.")) from exc
    record(session, actor, "policy.change", "policy", version.number, f"v{version.number}",
           {"changes": {c.key: [c.old, c.new] for c in changes}, "source": source_name or source, "note": note})
    log.info("assessment policy version %s saved by %s", version.number, actor.username if actor else "the system")
    return version


def policy_file(version: PolicyVersion) -> str:
    """The version as a policy file (``flask policy export``, the page's download), with a header saying which."""
    return version.policy.to_toml(header=[
        _("Assessment policy, version %(n)s (%(when)s, %(who)s)", n=version.number,
          when=labels.when_text(version.created_at), who=labels.author_text(version)),
        _("Load a changed copy with: flask policy load FILE"),
    ])


def load_policy_file(session: Session, actor: User | None, name: str, text: str) -> tuple[PolicyVersion, bool]:
    """Read a policy file and store it as a new version (``flask policy load``).

    :return: the current version afterwards, and whether the file changed the policy.
    :raise ValidationError: every problem of the file, each naming its key (nothing is stored).
    """
    policy, problems = policy_rules.parse_toml(text)
    if policy is None:
        raise ValidationError(_("The policy was not loaded: fix these problems first."),
                              errors=[p.format(name) for p in problems])
    version = save_policy(session, actor, policy, source=FILE, source_name=name)
    return (version or current_policy(session)), version is not None


audit_display.register_actions({"policy.change": _l("Assessment policy changed")})
audit_display.register_object("policy", _l("Assessment policy"))
