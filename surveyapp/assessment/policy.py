"""The assessment policy as plain, immutable data: checking it, reading and writing its TOML file, comparing versions.

DOMAIN.md "Assessment policy" and "Assessment policy file". The same checker serves the file
(``flask policy load``) and the edit page, so a rule is stated once and every problem names its place
(``policy.rank_reward[2].ranks``). No database and no Flask here; messages are lazily translated.

Numbers are exact: weights, band minimums and the score threshold are :class:`~decimal.Decimal`; money is a
``Decimal`` with two places, written in the file as a string (``"500.00"``) so it never passes through a float.
"""
from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp import inputs
from surveyapp.assessment.calibration_policy import DEFAULT_CALIBRATION, CalibrationRules, check_calibration
from surveyapp.assessment.rewards_policy import DEFAULT_REWARDS, RewardRules, check_rewards
from surveyapp.assessment.stars_policy import DEFAULT_STARS, StarRules, check_stars
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.loader import ID_PATTERN

#: The channels in the order the policy and the notice list them (暗访, 明查, 社会监督员).
CHANNELS = (VisitType.UNANNOUNCED, VisitType.ANNOUNCED, VisitType.SUPERVISOR)
#: Version of the JSON layout written by :meth:`Policy.to_json`.
SCHEMA = 1

MAX_WEIGHT = Decimal(100)
WEIGHT_PLACES = 4
SCORE_PLACES = 2
MONEY_PLACES = 2
MAX_MONEY = Decimal("9999999999.99")  # Numeric(12, 2)
MAX_BANDS = 10
MAX_BAND_NAME = 20
MAX_RANK = 100_000
MAX_RANKS_LISTED = 1000
MAX_DAYS = 365
MAX_ESCALATION = 24
CENT = Decimal("0.01")

POLICY_KEYS = ("weights", "bands", "rank_reward", "rewards", "penalties", "deadlines", "calibration", "stars")
REWARD_KEYS = ("ranks", "amount")
PENALTY_KEYS = ("last_place", "below_score", "below_amount", "per_redline_visit", "redline_bars_reward",
                "escalate_after_consecutive_last")
DEADLINE_KEYS = ("appeal_days", "rectify_days")
DEFAULT_SECTION = "default"

_MONEY = re.compile(r"^-?\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class Band:
    """A band: scores at or above ``minimum`` (and below the band above) get ``name``."""

    name: str
    minimum: Decimal


@dataclass(frozen=True)
class RankReward:
    """The reward for each of ``ranks`` (competition ranks); halls tied over several ranks share their sum."""

    ranks: tuple[int, ...]
    amount: Decimal


@dataclass(frozen=True)
class Penalties:
    #: Halls ranked last, when at least 2 are assessed and their score is below the best.
    last_place: Decimal
    #: A hall scoring below ``below_score`` pays ``below_amount``.
    below_score: Decimal
    below_amount: Decimal
    #: For each red-line visit of the month.
    per_redline_visit: Decimal
    #: A hall with a red-line visit gets no rank reward.
    redline_bars_reward: bool
    #: Flag "escalate" when last in this month and the N − 1 before it; 0 never flags.
    escalate_after_consecutive_last: int


@dataclass(frozen=True)
class Deadlines:
    #: Days a hall has to appeal a finding.
    appeal_days: int
    #: Days to rectify a finding, by checklist section id; ``"default"`` for every other section (listed first).
    rectify_days: tuple[tuple[str, int], ...]

    def rectify_days_for(self, section_id: str) -> int:
        """Days to rectify a finding of ``section_id``."""
        days = dict(self.rectify_days)
        return days.get(section_id, days[DEFAULT_SECTION])


@dataclass(frozen=True)
class Policy:
    """One version's content. Equal policies compare equal whatever their source (``0.5 == 0.50``)."""

    #: Channel → weight, in :data:`CHANNELS` order.
    weights: tuple[tuple[VisitType, Decimal], ...]
    #: Highest minimum first; the last one's minimum is 0, so every score has a band.
    bands: tuple[Band, ...]
    rank_rewards: tuple[RankReward, ...]
    penalties: Penalties
    deadlines: Deadlines
    #: Rater calibration's flags and the opt-in to severity-adjusted scores (``[policy.calibration]``).
    calibration: CalibrationRules = DEFAULT_CALIBRATION
    #: Staff star levels (星级) from the visits naming them (``[policy.stars]``).
    stars: StarRules = DEFAULT_STARS
    #: Who gets the fen a tied split leaves (``[policy.rewards]``).
    rewards: RewardRules = DEFAULT_REWARDS

    def weight(self, channel: VisitType | str) -> Decimal:
        return dict(self.weights)[VisitType(channel)]

    def band(self, score: Fraction, approx: float | None = None) -> str:
        """The band of a full-precision score (``approx``: its ``float()``, when the caller has it)."""
        # float() never reverses an order, so unequal floats decide; equal ones are settled exactly.
        approx = float(score) if approx is None else approx
        return next(name for floor, near, name in self._band_floors
                    if approx > near or (approx == near and score >= floor))

    @cached_property
    def _band_floors(self) -> tuple[tuple[Fraction, float, str], ...]:
        return tuple((Fraction(b.minimum), float(Fraction(b.minimum)), b.name) for b in self.bands)

    def reward_for_rank(self, rank: int) -> Decimal:
        """What the policy pays for one place ``rank`` (0 when no reward names it)."""
        return next((r.amount for r in self.rank_rewards if rank in r.ranks), Decimal("0.00"))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (numbers as strings, so they stay exact) for the database and notice snapshots."""
        p, d = self.penalties, self.deadlines
        return {
            "schema": SCHEMA,
            "weights": {c.value: number_text(w) for c, w in self.weights},
            "bands": [[b.name, number_text(b.minimum)] for b in self.bands],
            "rank_rewards": [{"ranks": list(r.ranks), "amount": str(r.amount)} for r in self.rank_rewards],
            "penalties": {"last_place": str(p.last_place), "below_score": number_text(p.below_score),
                          "below_amount": str(p.below_amount), "per_redline_visit": str(p.per_redline_visit),
                          "redline_bars_reward": p.redline_bars_reward,
                          "escalate_after_consecutive_last": p.escalate_after_consecutive_last},
            "deadlines": {"appeal_days": d.appeal_days, "rectify_days": [list(pair) for pair in d.rectify_days]},
            "calibration": self.calibration.to_json(),
            "stars": self.stars.to_json(),
            "rewards": self.rewards.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policy:
        """Rebuild a policy from :meth:`to_json` output."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"assessment policy schema {data.get('schema')!r} is not {SCHEMA}")
        p, d = data["penalties"], data["deadlines"]
        return cls(
            weights=tuple((VisitType(c), Decimal(data["weights"][c.value])) for c in CHANNELS),
            bands=tuple(Band(name, Decimal(minimum)) for name, minimum in data["bands"]),
            rank_rewards=tuple(RankReward(tuple(r["ranks"]), Decimal(r["amount"])) for r in data["rank_rewards"]),
            penalties=Penalties(
                last_place=Decimal(p["last_place"]), below_score=Decimal(p["below_score"]),
                below_amount=Decimal(p["below_amount"]), per_redline_visit=Decimal(p["per_redline_visit"]),
                redline_bars_reward=p["redline_bars_reward"],
                escalate_after_consecutive_last=p["escalate_after_consecutive_last"]),
            deadlines=Deadlines(appeal_days=d["appeal_days"],
                                rectify_days=tuple((s, n) for s, n in d["rectify_days"])),
            calibration=CalibrationRules.from_json(data.get("calibration")),
            stars=StarRules.from_json(data.get("stars")),
            rewards=RewardRules.from_json(data.get("rewards")),
        )

    def to_toml(self, header: Sequence[str] = ()) -> str:
        """The policy file (DOMAIN.md format) that :func:`parse_toml` reads back to an equal policy.

        :param header: comment lines put first (e.g. which version this is).
        """
        p, d = self.penalties, self.deadlines
        lines = [f"# {line}" for line in header]
        lines += [
            "[policy]",
            "weights = { " + ", ".join(f"{c.value} = {number_text(w)}" for c, w in self.weights) + " }",
            "bands = { " + ", ".join(f"{_key(b.name)} = {number_text(b.minimum)}" for b in self.bands) + " }"
            "   # a score gets the first band whose minimum it reaches",
        ]
        for reward in self.rank_rewards:
            lines += ["", "[[policy.rank_reward]]", f"ranks = [{', '.join(map(str, reward.ranks))}]",
                      f'amount = "{reward.amount}"']
        lines += ["", *self.rewards.toml_lines()]
        lines += [
            "", "[policy.penalties]",
            f'last_place = "{p.last_place}"',
            f"below_score = {number_text(p.below_score)}",
            f'below_amount = "{p.below_amount}"',
            f'per_redline_visit = "{p.per_redline_visit}"',
            f"redline_bars_reward = {'true' if p.redline_bars_reward else 'false'}",
            f"escalate_after_consecutive_last = {p.escalate_after_consecutive_last}",
            "", "[policy.deadlines]",
            f"appeal_days = {d.appeal_days}",
            "rectify_days = { " + ", ".join(f"{_key(s)} = {n}" for s, n in d.rectify_days) + " }",
            "", *self.calibration.toml_lines(),
            "", *self.stars.toml_lines(),
        ]
        return "\n".join(lines) + "\n"


def number_text(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: ``Decimal("80.0")`` → ``80``."""
    return format(value.normalize(), "f")


def _key(name: str) -> str:
    """A TOML key: bare when it may be, else a quoted basic string."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)


DEFAULT = Policy(
    weights=((VisitType.UNANNOUNCED, Decimal("0.5")), (VisitType.ANNOUNCED, Decimal("0.3")),
             (VisitType.SUPERVISOR, Decimal("0.2"))),
    bands=(Band("A", Decimal(90)), Band("B", Decimal(80)), Band("C", Decimal(0))),
    rank_rewards=(RankReward((1,), Decimal("1000.00")), RankReward((2, 3), Decimal("500.00"))),
    penalties=Penalties(last_place=Decimal("500.00"), below_score=Decimal(80), below_amount=Decimal("300.00"),
                        per_redline_visit=Decimal("500.00"), redline_bars_reward=True,
                        escalate_after_consecutive_last=2),
    deadlines=Deadlines(appeal_days=3, rectify_days=((DEFAULT_SECTION, 10), ("appearance", 2), ("conduct", 2))),
)
"""The policy DOMAIN.md gives as its example: version 1 of every installation."""


# --- reading and checking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyProblem:
    """Something wrong in a policy: the key path (``("rank_reward", 2, "ranks")``; ``None`` for a file that
    is not TOML at all) and a message, lazily translated."""

    path: tuple[object, ...] | None
    message: object

    @property
    def where(self) -> str:
        return "" if self.path is None else path_text(self.path)

    def format(self, filename: str | None = None) -> str:
        """``policy.weights.announced: must be 0 or more``, after ``filename: `` when given."""
        text = f"{self.where}: {self.message}" if self.where else str(self.message)
        return f"{filename}: {text}" if filename else text

    def __str__(self) -> str:
        return self.format()


def parse_toml(text: str) -> tuple[Policy | None, list[PolicyProblem]]:
    """Read a policy file: the policy, or ``None`` and every problem, each naming its key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [PolicyProblem(None, _l("not valid TOML: %(reason)s", reason=str(exc)))]
    refused = inputs.tree_problem(data)
    if refused is not None:
        path, problem = refused
        return None, [PolicyProblem(None, f"{path}: {problem}" if path else problem)]
    checker = Checker()
    for key in data:
        if key != "policy":
            checker.add(None, _l("unknown table [%(key)s] (the file has one table, [policy])", key=key))
    table = data.get("policy")
    if not isinstance(table, dict):
        checker.add((), _l("the file has no [policy] table"))
        return None, checker.problems
    policy = checker.policy(table)
    return (policy if not checker.problems else None), checker.problems


def check(data: Mapping[str, Any]) -> tuple[Policy | None, list[PolicyProblem]]:
    """Check the content of a ``[policy]`` table given as plain data (what the edit page collects)."""
    checker = Checker()
    policy = checker.policy(data)
    return (policy if not checker.problems else None), checker.problems


def path_text(path: tuple[object, ...]) -> str:
    """``("rank_reward", 2, "ranks")`` → ``policy.rank_reward[2].ranks``."""
    text = "policy"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


class Checker:
    """Walks a ``[policy]`` table, collecting every problem; each problem's ``where`` is a key path tuple."""

    def __init__(self) -> None:
        self.problems: list[PolicyProblem] = []

    def add(self, path: tuple[object, ...] | None, message: object) -> None:
        self.problems.append(PolicyProblem(path, message))

    def unknown(self, table: Mapping[str, Any], allowed: Sequence[str], path: tuple[object, ...]) -> None:
        for key in table:
            if key not in allowed:
                self.add((*path, key), _l("unknown key %(key)s (allowed: %(allowed)s)", key=key,
                                          allowed=", ".join(allowed)))

    def table(self, data: Mapping[str, Any], key: str, path: tuple[object, ...]) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is None:
            self.add((*path, key), _l("%(key)s is missing", key=key))
            return None
        if not isinstance(value, Mapping):
            self.add((*path, key), _l("%(key)s must be a table", key=key))
            return None
        return value

    def number(self, value: object, path: tuple[object, ...], *, places: int, top: Decimal) -> Decimal | None:
        """A number from 0 to ``top`` with at most ``places`` decimals (an integer, a TOML float or a digit string)."""
        return self.bounded(_decimal(value, allow_float=True), path, top, places, _l("must be a number"),
                            _l("at most %(n)s decimal places", n=places))

    def money(self, value: object, path: tuple[object, ...]) -> Decimal | None:
        """An amount of yuan: 0 or more, at most 2 decimals, written as a string (or a whole number)."""
        if isinstance(value, float):
            self.add(path, _l('write money as a string, like "500.00", so it stays exact'))
            return None
        parsed = self.bounded(_decimal(value, allow_float=False), path, MAX_MONEY, MONEY_PLACES,
                              _l('must be an amount of money, like "500.00"'), _l("at most 2 decimal places (fen)"))
        return None if parsed is None else parsed.quantize(CENT)

    def bounded(self, parsed: Decimal | None, path: tuple[object, ...], top: Decimal, places: int,
                not_a_number: object, too_precise: object) -> Decimal | None:
        if parsed is None:
            self.add(path, not_a_number)
        elif parsed < 0:
            self.add(path, _l("must be 0 or more"))
        elif parsed > top:
            self.add(path, _l("must be at most %(n)s", n=number_text(top)))
        elif -parsed.normalize().as_tuple().exponent > places:  # type: ignore[operator]
            self.add(path, too_precise)
        else:
            return parsed
        return None

    def integer(self, value: object, path: tuple[object, ...], low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, _l("must be a whole number"))
        elif not low <= value <= high:
            self.add(path, _l("must be from %(low)s to %(high)s", low=low, high=high))
        else:
            return value
        return None

    # --- the policy's parts ---------------------------------------------------------------------------

    def policy(self, data: Mapping[str, Any]) -> Policy | None:
        self.unknown(data, POLICY_KEYS, ())
        weights = self.weights(data)
        bands = self.bands(data)
        rewards = self.rewards(data)
        penalties = self.penalties(data)
        deadlines = self.deadlines(data)
        calibration = check_calibration(self, data)
        stars = check_stars(self, data)
        remainder = check_rewards(self, data)
        if self.problems or None in (weights, bands, rewards, penalties, deadlines, calibration, stars, remainder):
            return None
        return Policy(weights=weights, bands=bands, rank_rewards=rewards, penalties=penalties,  # type: ignore[arg-type]
                      deadlines=deadlines, calibration=calibration, stars=stars,  # type: ignore[arg-type]
                      rewards=remainder)  # type: ignore[arg-type]

    def weights(self, data: Mapping[str, Any]) -> tuple[tuple[VisitType, Decimal], ...] | None:
        table = self.table(data, "weights", ())
        if table is None:
            return None
        names = [c.value for c in CHANNELS]
        for key in table:
            if key not in names:
                self.add(("weights", key), _l("unknown channel %(key)s (channels: %(channels)s)", key=key,
                                              channels=", ".join(names)))
        weights = []
        for channel in CHANNELS:
            if channel.value not in table:
                self.add(("weights", channel.value), _l("the weight of %(channel)s is missing", channel=channel.value))
                continue
            weight = self.number(table[channel.value], ("weights", channel.value), places=WEIGHT_PLACES, top=MAX_WEIGHT)
            if weight is not None:
                weights.append((channel, weight))
        if len(weights) == len(CHANNELS) and not any(w for _, w in weights):
            self.add(("weights",), _l("at least one weight must be above 0"))
            return None
        return tuple(weights) if len(weights) == len(CHANNELS) else None

    def bands(self, data: Mapping[str, Any]) -> tuple[Band, ...] | None:
        table = self.table(data, "bands", ())
        if table is None:
            return None
        if not table:
            self.add(("bands",), _l("give at least one band, like A = 90"))
            return None
        if len(table) > MAX_BANDS:
            self.add(("bands",), _l("at most %(n)s bands", n=MAX_BANDS))
            return None
        bands: list[Band] = []
        for name, raw in table.items():
            clean = name.strip() if isinstance(name, str) else ""
            if not clean or len(clean) > MAX_BAND_NAME:
                self.add(("bands", name), _l("a band name has 1 to %(n)s characters", n=MAX_BAND_NAME))
                continue
            minimum = self.number(raw, ("bands", name), places=SCORE_PLACES, top=Decimal(100))
            if minimum is None:
                continue
            if any(b.name == clean for b in bands):
                self.add(("bands", name), _l("the band %(name)s is given twice", name=clean))
            elif bands and minimum >= bands[-1].minimum:
                self.add(("bands", name), _l(
                    "list bands from the highest minimum down: %(name)s (%(minimum)s) must be below %(above)s "
                    "(%(above_minimum)s)", name=clean, minimum=number_text(minimum), above=bands[-1].name,
                    above_minimum=number_text(bands[-1].minimum)))
            bands.append(Band(clean, minimum))
        if len(bands) != len(table) or self.problems_at("bands"):
            return None
        if bands[-1].minimum > 0:
            lowest = _next_letter(bands[-1].name, {b.name for b in bands})
            if lowest is None:
                self.add(("bands",), _l("add a band with minimum 0 for scores below %(minimum)s",
                                        minimum=number_text(bands[-1].minimum)))
                return None
            bands.append(Band(lowest, Decimal(0)))
        return tuple(bands)

    def problems_at(self, key: str) -> bool:
        return any(p.path is not None and p.path[:1] == (key,) for p in self.problems)

    def rewards(self, data: Mapping[str, Any]) -> tuple[RankReward, ...] | None:
        raw = data.get("rank_reward", [])
        if not isinstance(raw, list) or not all(isinstance(r, Mapping) for r in raw):
            self.add(("rank_reward",), _l("rank_reward must be an array of tables ([[policy.rank_reward]])"))
            return None
        rewards: list[RankReward] = []
        owner: dict[int, int] = {}
        ok = True
        for index, entry in enumerate(raw, start=1):
            path: tuple[object, ...] = ("rank_reward", index)
            self.unknown(entry, REWARD_KEYS, path)
            ranks = self.ranks(entry.get("ranks"), (*path, "ranks"))
            amount = self.money(entry["amount"], (*path, "amount")) if "amount" in entry else None
            if "amount" not in entry:
                self.add((*path, "amount"), _l("%(key)s is missing", key="amount"))
            for rank in ranks or ():
                if rank in owner:
                    self.add((*path, "ranks"), _l("rank %(rank)s already has a reward (rank_reward %(other)s)",
                                                  rank=rank, other=owner[rank]))
                    ok = False
                owner.setdefault(rank, index)
            if ranks is None or amount is None:
                ok = False
                continue
            rewards.append(RankReward(ranks, amount))
        return tuple(rewards) if ok else None

    def ranks(self, value: object, path: tuple[object, ...]) -> tuple[int, ...] | None:
        if value is None:
            self.add(path, _l("%(key)s is missing", key="ranks"))
            return None
        if (not isinstance(value, list) or not value
                or not all(isinstance(r, int) and not isinstance(r, bool) for r in value)):
            self.add(path, _l("ranks must be a list of whole numbers, like [2, 3]"))
            return None
        if len(value) > MAX_RANKS_LISTED:
            self.add(path, _l("at most %(n)s ranks in one reward", n=MAX_RANKS_LISTED))
            return None
        bad = [r for r in value if not 1 <= r <= MAX_RANK]
        if bad:
            self.add(path, _l("ranks are from 1 to %(n)s (not %(bad)s)", n=MAX_RANK, bad=bad[0]))
            return None
        twice = sorted({r for r in value if value.count(r) > 1})
        if twice:
            self.add(path, _l("rank %(rank)s is listed twice", rank=twice[0]))
            return None
        return tuple(sorted(value))

    def penalties(self, data: Mapping[str, Any]) -> Penalties | None:
        table = self.table(data, "penalties", ())
        if table is None:
            return None
        self.unknown(table, PENALTY_KEYS, ("penalties",))
        before = len(self.problems)
        values: dict[str, Any] = {}
        for key in PENALTY_KEYS:
            path = ("penalties", key)
            if key not in table:
                self.add(path, _l("%(key)s is missing", key=key))
                continue
            raw = table[key]
            if key == "below_score":
                values[key] = self.number(raw, path, places=SCORE_PLACES, top=Decimal(100))
            elif key == "redline_bars_reward":
                if isinstance(raw, bool):
                    values[key] = raw
                else:
                    self.add(path, _l("must be true or false"))
            elif key == "escalate_after_consecutive_last":
                values[key] = self.integer(raw, path, 0, MAX_ESCALATION)
            else:
                values[key] = self.money(raw, path)
        if len(self.problems) > before:
            return None
        return Penalties(**values)

    def deadlines(self, data: Mapping[str, Any]) -> Deadlines | None:
        table = self.table(data, "deadlines", ())
        if table is None:
            return None
        self.unknown(table, DEADLINE_KEYS, ("deadlines",))
        before = len(self.problems)
        appeal = None
        if "appeal_days" in table:
            appeal = self.integer(table["appeal_days"], ("deadlines", "appeal_days"), 1, MAX_DAYS)
        else:
            self.add(("deadlines", "appeal_days"), _l("%(key)s is missing", key="appeal_days"))
        rectify = self.table(table, "rectify_days", ("deadlines",))
        pairs: list[tuple[str, int]] = []
        if rectify is not None:
            if DEFAULT_SECTION not in rectify:
                self.add(("deadlines", "rectify_days", DEFAULT_SECTION),
                         _l("give default = N: the days for sections not listed"))
            for section, raw in sorted(rectify.items(), key=lambda kv: kv[0] != DEFAULT_SECTION):
                path = ("deadlines", "rectify_days", section)
                if section != DEFAULT_SECTION and not (isinstance(section, str) and ID_PATTERN.match(section)):
                    self.add(path, _l("%(id)s is not a checklist section id (lower-case letters, digits, - and _)",
                                      id=section))
                    continue
                days = self.integer(raw, path, 1, MAX_DAYS)
                if days is not None:
                    pairs.append((section, days))
        if len(self.problems) > before or appeal is None:
            return None
        return Deadlines(appeal_days=appeal, rectify_days=tuple(pairs))


def _decimal(value: object, *, allow_float: bool) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if allow_float and math.isfinite(value) else None
    if isinstance(value, str) and _MONEY.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _next_letter(name: str, taken: set[str]) -> str | None:
    """The implied name of the lowest band: the letter after a single-letter name (``B`` → ``C``)."""
    if len(name) == 1 and "A" <= name < "Z":
        letter = chr(ord(name) + 1)
        return letter if letter not in taken else None
    return None


# --- what changed between two versions ---------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One setting that differs between two versions: its key, and the old and new values as text."""

    key: str
    old: str | None
    new: str | None


def settings(policy: Policy) -> dict[str, str]:
    """Every setting of the policy as text, by key (``weights.unannounced``, ``bands``, ``rank_reward.2``...)."""
    p, d = policy.penalties, policy.deadlines
    out = {f"weights.{c.value}": number_text(w) for c, w in policy.weights}
    out["bands"] = ", ".join(f"{b.name} ≥ {number_text(b.minimum)}" for b in policy.bands)
    for reward in policy.rank_rewards:
        for rank in reward.ranks:
            out[f"rank_reward.{rank}"] = str(reward.amount)
    out.update(policy.rewards.settings())
    out.update({
        "penalties.last_place": str(p.last_place), "penalties.below_score": number_text(p.below_score),
        "penalties.below_amount": str(p.below_amount), "penalties.per_redline_visit": str(p.per_redline_visit),
        "penalties.redline_bars_reward": "true" if p.redline_bars_reward else "false",
        "penalties.escalate_after_consecutive_last": str(p.escalate_after_consecutive_last),
        "deadlines.appeal_days": str(d.appeal_days),
    })
    out.update({f"deadlines.rectify_days.{s}": str(n) for s, n in d.rectify_days})
    out.update(policy.calibration.settings())
    out.update(policy.stars.settings())
    return out


def diff(old: Policy | None, new: Policy) -> list[Change]:
    """The settings that differ from ``old`` to ``new`` (everything, when there is no ``old``), in file order."""
    before = settings(old) if old is not None else {}
    after = settings(new)
    keys = list(after) + [k for k in before if k not in after]
    return [Change(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
