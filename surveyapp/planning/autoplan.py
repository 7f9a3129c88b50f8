"""The automatic month plan as a pure function: halls, supervisors and counts in, a proposal out.

No database and no Flask: :mod:`surveyapp.planning.month_plan` gathers the plain data and stores the result.

The rules, in order of priority:

1. Coverage (never broken): a visit's supervisor covers the hall's unit (one of their units is the hall's
   unit or a unit above it) and does that kind of visit: announced inspections (明查) by internal
   inspectors, social-supervisor visits by external social supervisors (社会监督员), unannounced visits
   (暗访) by either. A visit nobody may do is reported, not assigned.
2. Loads as even as coverage allows: the month's loads (visits already planned plus new ones) have the
   smallest possible sum of squares. That minimises the largest load, and gives loads that differ by at
   most one whenever any assignment can (an optimal "semi-matching", Harvey et al. 2006).
3. Fewest visits to a hall by a supervisor who visited it last month, among plans that keep rule 2.
4. Fewest halls visited twice in the month by the same supervisor (an inspector the staff met on an
   announced visit is no mystery customer), among plans that keep rules 2 and 3, as far as the search
   below finds them.
5. Due windows spread through the month: the days from ``first_day`` are cut into ``windows`` windows; a
   hall's visits fall into different windows, and each supervisor's visits spread across them.

Method: a greedy start (the most constrained visits first, each to the least loaded eligible supervisor),
then negative-cycle cancelling in the residual graph between supervisors, which is optimal for rules 2
and 3 (min-cost flow with convex costs). Ties are broken by a random generator seeded with ``seed``, so a
request always gives the same proposal.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from surveyapp.checklists.definition import VisitType

#: The order in which a hall's visits are listed.
CHANNELS = (VisitType.ANNOUNCED, VisitType.UNANNOUNCED, VisitType.SUPERVISOR)


def may_do(external: bool, visit_type: VisitType) -> bool:
    """Who does which kind of visit: announced by internal inspectors, social-supervisor visits by external
    social supervisors, unannounced by either."""
    if visit_type is VisitType.ANNOUNCED:
        return not external
    if visit_type is VisitType.SUPERVISOR:
        return external
    return True


@dataclass(frozen=True)
class PlanHall:
    id: int
    #: Ids of the hall's unit and of every unit above it.
    units: frozenset[int]


@dataclass(frozen=True)
class PlanSupervisor:
    id: int
    #: Ids of the units the supervisor covers (each with every unit below it).
    units: frozenset[int]
    external: bool = False

    def covers(self, hall: PlanHall) -> bool:
        return not self.units.isdisjoint(hall.units)


@dataclass(frozen=True)
class PlannedVisit:
    """A visit of the month that is already planned: kept as it is, it counts in loads, pairs and windows."""

    hall_id: int
    type: VisitType
    supervisor_id: int
    due_from: dt.date | None = None


@dataclass(frozen=True)
class MonthRequest:
    halls: Sequence[PlanHall]
    supervisors: Sequence[PlanSupervisor]
    #: Visits of each kind every hall gets in the month (those already planned included).
    counts: Mapping[VisitType, int]
    #: The days due windows may use (inclusive).
    first_day: dt.date
    last_day: dt.date
    windows: int = 4
    #: ``(supervisor id, hall id)`` of last month's visits.
    last_month: frozenset[tuple[int, int]] = frozenset()
    existing: Sequence[PlannedVisit] = ()
    seed: int = 0


@dataclass(frozen=True)
class Assignment:
    hall_id: int
    type: VisitType
    supervisor_id: int
    due_from: dt.date
    due_until: dt.date
    #: The supervisor visited this hall last month (unavoidable under rules 1 and 2).
    repeat: bool = False
    #: The supervisor has another visit to this hall in the month.
    double: bool = False


@dataclass(frozen=True)
class Shortfall:
    """Visits of a kind a hall should get but that nobody may do (no eligible supervisor covers it)."""

    hall_id: int
    type: VisitType
    missing: int


@dataclass(frozen=True)
class Proposal:
    assignments: tuple[Assignment, ...]
    shortfalls: tuple[Shortfall, ...]
    #: Supervisor id → (visits already planned in the month, new visits), for every supervisor given.
    loads: Mapping[int, tuple[int, int]]
    #: Supervisors who may do at least one of the new visits: the ones whose loads are balanced.
    eligible: frozenset[int]
    windows: tuple[tuple[dt.date, dt.date], ...]

    def total(self, supervisor_id: int) -> int:
        existing, new = self.loads[supervisor_id]
        return existing + new

    @property
    def spread(self) -> int:
        """Largest minus smallest month load among the eligible supervisors (0 when there are none)."""
        totals = [self.total(s) for s in self.eligible]
        return max(totals) - min(totals) if totals else 0

    @property
    def balanced(self) -> bool:
        return self.spread <= 1

    @property
    def repeats(self) -> int:
        return sum(a.repeat for a in self.assignments)

    @property
    def doubles(self) -> int:
        return sum(a.double for a in self.assignments)


def month_windows(first_day: dt.date, last_day: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """``first_day``..``last_day`` cut into ``count`` windows of nearly equal length (fewer if there are fewer days)."""
    days = (last_day - first_day).days + 1
    if days < 1:
        raise ValueError("the planning period has no days")
    count = max(1, min(count, days))
    bounds = [first_day + dt.timedelta(days=days * i // count) for i in range(count + 1)]
    return [(bounds[i], bounds[i + 1] - dt.timedelta(days=1)) for i in range(count)]


def plan_month(request: MonthRequest) -> Proposal:
    """The proposal for one month (see the module's docstring for the rules)."""
    solver = _Solver(request, random.Random(request.seed))
    solver.start()
    solver.improve()
    return solver.proposal()


class _Solver:
    """Slots (visits to assign) and supervisors by index; costs as in the module's docstring."""

    def __init__(self, request: MonthRequest, rng: random.Random) -> None:
        self.request = request
        self.rng = rng
        self.sups = list(request.supervisors)
        self.index = {s.id: i for i, s in enumerate(self.sups)}
        self.rank = rng.sample(range(len(self.sups)), len(self.sups))
        self.load = [0] * len(self.sups)
        self.pairs: dict[tuple[int, int], int] = {}  # (hall id, supervisor index) → visits in the month
        self.existing_load = [0] * len(self.sups)
        have: Counter[tuple[int, VisitType]] = Counter()
        for visit in request.existing:
            have[visit.hall_id, visit.type] += 1
            i = self.index.get(visit.supervisor_id)
            if i is not None:
                self.existing_load[i] += 1
                self.load[i] += 1
                self.pairs[visit.hall_id, i] = self.pairs.get((visit.hall_id, i), 0) + 1
        self.repeat = {(h, self.index[s]) for s, h in request.last_month if s in self.index}
        self.slots: list[tuple[int, VisitType]] = []
        self.eligible: list[tuple[int, ...]] = []
        self.shortfalls = tuple(self._make_slots(request, have))
        self.assigned: list[int] = [-1] * len(self.slots)
        n = len(self.slots)
        # Weights that make the rules strictly lexicographic: any repeat outweighs every double (even
        # as the search over-estimates doubles, by at most one per move), and any step towards even
        # loads outweighs every repeat.
        self.w_repeat = 2 * n + 2
        self.w_load = self.w_repeat * (n + 1) + 2 * n + 2

    def _make_slots(self, request: MonthRequest, have: Counter[tuple[int, VisitType]]) -> list[Shortfall]:
        """One slot per visit to plan, with the supervisors who may do it (shared by halls of one unit)."""
        by_units: dict[frozenset[int], list[int]] = {}
        by_channel: dict[tuple[frozenset[int], VisitType], tuple[int, ...]] = {}
        shortfalls = []
        for hall in request.halls:
            covering = by_units.get(hall.units)
            if covering is None:
                covering = by_units[hall.units] = [i for i, s in enumerate(self.sups) if s.covers(hall)]
            for visit_type in CHANNELS:
                missing = request.counts.get(visit_type, 0) - have[hall.id, visit_type]
                if missing <= 0:
                    continue
                able = by_channel.get((hall.units, visit_type))
                if able is None:
                    able = tuple(i for i in covering if may_do(self.sups[i].external, visit_type))
                    by_channel[hall.units, visit_type] = able
                if not able:
                    shortfalls.append(Shortfall(hall.id, visit_type, missing))
                    continue
                for _ in range(missing):
                    self.slots.append((hall.id, visit_type))
                    self.eligible.append(able)
        return shortfalls

    # --- costs -------------------------------------------------------------------------------------

    def _cost(self, hall_id: int, sup: int) -> int:
        """What adding a visit of ``hall_id`` to ``sup`` costs apart from loads: a repeat, a double."""
        return self.w_repeat * ((hall_id, sup) in self.repeat) + (self.pairs.get((hall_id, sup), 0) >= 1)

    def _move(self, slot: int, dst: int) -> None:
        hall_id = self.slots[slot][0]
        src = self.assigned[slot]
        if src >= 0:
            self.load[src] -= 1
            self.pairs[hall_id, src] -= 1
        self.assigned[slot] = dst
        self.load[dst] += 1
        self.pairs[hall_id, dst] = self.pairs.get((hall_id, dst), 0) + 1

    # --- a good start ------------------------------------------------------------------------------

    def start(self) -> None:
        """Optimal quotas per group of interchangeable slots, then each group's slots to supervisors
        within their quotas avoiding repeats and doubles; :meth:`improve` then makes it optimal."""
        groups: dict[tuple[int, ...], list[int]] = {}
        for slot, able in enumerate(self.eligible):
            groups.setdefault(able, []).append(slot)
        quotas = self._balanced_quotas(groups)
        # Groups of announced visits first, so the doubles a later visit would make are known.
        for able, slots in sorted(groups.items(), key=lambda g: min(CHANNELS.index(self.slots[s][1]) for s in g[1])):
            self._fill_group(able, slots, quotas[able])

    def _balanced_quotas(self, groups: dict[tuple[int, ...], list[int]]) -> dict[tuple[int, ...], Counter[int]]:
        """How many slots of each group each supervisor takes, with optimal loads: water-filling, then
        cost-reducing paths (from a supervisor to one with two or more visits fewer) until none is left."""
        load = list(self.load)
        rank = self.rank
        quotas: dict[tuple[int, ...], Counter[int]] = {}
        held: list[set[tuple[int, ...]]] = [set() for _ in self.sups]
        for able in sorted(groups, key=lambda able: (len(able), able)):
            quota = quotas[able] = Counter()
            for _ in groups[able]:
                sup = min(able, key=lambda i: (load[i], rank[i]))
                quota[sup] += 1
                load[sup] += 1
                held[sup].add(able)
        improved = True
        while improved:
            improved = False
            for top in sorted(range(len(self.sups)), key=lambda i: (-load[i], rank[i])):
                path = self._cost_reducing_path(top, load, quotas, held)
                if path is None:
                    continue
                amount = min([(load[top] - load[path[-1][2]]) // 2] + [quotas[able][src] for able, src, _ in path])
                for able, src, dst in path:
                    quotas[able][src] -= amount
                    quotas[able][dst] += amount
                    if not quotas[able][src]:
                        held[src].discard(able)
                    held[dst].add(able)
                load[top] -= amount
                load[path[-1][2]] += amount
                improved = True
        return quotas

    def _cost_reducing_path(self, top: int, load: list[int], quotas: dict[tuple[int, ...], Counter[int]],
                            held: list[set[tuple[int, ...]]]) -> list[tuple[tuple[int, ...], int, int]] | None:
        """The path ``[(group, from, to), ...]`` from ``top`` to the least loaded supervisor it reaches, if
        that one has at least two visits fewer."""
        parent: dict[int, tuple[tuple[int, ...], int]] = {top: ((), -1)}
        queue = [top]
        for sup in queue:
            for able in held[sup]:
                for other in able:
                    if other not in parent:
                        parent[other] = (able, sup)
                        queue.append(other)
        low = min(queue, key=lambda i: (load[i], self.rank[i]))
        if load[low] > load[top] - 2:
            return None
        path = []
        node = low
        while node != top:
            able, src = parent[node]
            path.append((able, src, node))
            node = src
        return path[::-1]

    def _fill_group(self, able: tuple[int, ...], slots: list[int], quota: Counter[int]) -> None:
        """Give the group's slots to its supervisors within ``quota``, each to the cheapest with quota left;
        when only costly ones are left, first try passing a slot of the group from a cheap one to another."""
        held: dict[int, list[int]] = {sup: [] for sup in able}
        order = sorted(slots, key=lambda slot: (CHANNELS.index(self.slots[slot][1]), self.rng.random()))
        for slot in order:
            hall_id = self.slots[slot][0]
            open_ = [i for i in able if quota[i] > 0]
            best = min(open_, key=lambda i: (self._cost(hall_id, i), -quota[i], self.rank[i]))
            if self._cost(hall_id, best):
                best = self._make_room(hall_id, able, open_, held, quota) or best
            quota[best] -= 1
            self._move(slot, best)
            held[best].append(slot)

    def _make_room(self, hall_id: int, able: tuple[int, ...], open_: list[int], held: dict[int, list[int]],
                   quota: Counter[int]) -> int | None:
        """Free a supervisor who costs nothing for ``hall_id`` by moving one of their slots to a supervisor
        with quota left who costs nothing for it either; return the freed supervisor."""
        for sup in able:
            if self._cost(hall_id, sup):
                continue
            for other in held[sup]:
                other_hall = self.slots[other][0]
                spare = next((i for i in open_ if i != sup and not self._cost(other_hall, i)), None)
                if spare is not None:
                    self._move(other, spare)
                    held[sup].remove(other)
                    held[spare].append(other)
                    quota[spare] -= 1
                    quota[sup] += 1
                    return sup
        return None

    # --- improvement -------------------------------------------------------------------------------

    def improve(self) -> None:
        """Cancel negative cycles until there is none, in each group of supervisors that share visits:
        then the plan is optimal for loads and repeats. Each cycle found lowers the true cost (its
        estimate is never below it), so this ends. After a cycle only the edges it touched are rebuilt."""
        for members, slots in self._components():
            held: dict[int, set[int]] = {sup: set() for sup in members}
            of_hall: dict[int, list[int]] = {}
            for slot in slots:
                held[self.assigned[slot]].add(slot)
                of_hall.setdefault(self.slots[slot][0], []).append(slot)
            out = {sup: self._edges_from(held[sup]) for sup in members}
            receivers = {dst for slot in slots for dst in self.eligible[slot]}
            while (cycle := self._negative_cycle(members, out, receivers)) is not None:
                touched = set()
                for slot, dst in cycle:
                    src = self.assigned[slot]
                    held[src].remove(slot)
                    held[dst].add(slot)
                    self._move(slot, dst)
                    # Other visits to the same hall now cost differently (doubles) wherever they are.
                    touched.update(self.assigned[other] for other in of_hall[self.slots[slot][0]])
                    touched.add(src)
                for sup in touched:
                    out[sup] = self._edges_from(held[sup])

    def _components(self) -> list[tuple[list[int], list[int]]]:
        """Supervisors linked by visits they may both do, with those visits: independent subproblems."""
        root = list(range(len(self.sups)))

        def find(i: int) -> int:
            while root[i] != i:
                root[i] = root[root[i]]
                i = root[i]
            return i

        for able in set(self.eligible):
            for other in able[1:]:
                root[find(other)] = find(able[0])
        slots: dict[int, list[int]] = {}
        for slot, able in enumerate(self.eligible):
            slots.setdefault(find(able[0]), []).append(slot)
        members: dict[int, list[int]] = {}
        for sup in range(len(self.sups)):
            members.setdefault(find(sup), []).append(sup)
        return [(members[r], slots[r]) for r in sorted(slots)]

    def _edges_from(self, slots: set[int]) -> dict[int, tuple[int, int]]:
        """The residual edges out of the supervisor who holds ``slots``: for each other supervisor who may
        take one of them, the cheapest to pass on, ``{to: (weight, slot)}``; the weight is the change in
        repeats and doubles."""
        best: dict[int, tuple[int, int]] = {}
        pairs, repeat, w_repeat = self.pairs, self.repeat, self.w_repeat
        for slot in slots:
            src = self.assigned[slot]
            hall_id = self.slots[slot][0]
            saving = w_repeat * ((hall_id, src) in repeat) + (pairs[hall_id, src] >= 2)
            for dst in self.eligible[slot]:
                if dst == src:
                    continue
                weight = w_repeat * ((hall_id, dst) in repeat) + (pairs.get((hall_id, dst), 0) >= 1) - saving
                known = best.get(dst)
                if known is None or weight < known[0]:
                    best[dst] = (weight, slot)
        return best

    def _negative_cycle(self, members: list[int], out: dict[int, dict[int, tuple[int, int]]],
                        receivers: set[int]) -> list[tuple[int, int]] | None:
        """A negative cycle as ``[(slot, new supervisor), ...]`` (Bellman-Ford from a virtual source), or
        ``None``. Node ``-1`` stands for the loads: an edge into it adds a visit to a supervisor (the
        marginal cost of its load), an edge out of it takes one away."""
        edges = [(src, dst, weight, slot) for src in members for dst, (weight, slot) in out[src].items()]
        edges += [(-1, s, -self.w_load * (2 * self.load[s] - 1), -1) for s in members if out[s]]
        edges += [(s, -1, self.w_load * (2 * self.load[s] + 1), -1) for s in receivers]
        dist = dict.fromkeys([-1, *members], 0)
        pred: dict[int, tuple[int, int]] = {}  # node → (from, slot)
        for _ in range(len(members) + 2):
            changed = []
            for src, dst, weight, slot in edges:
                if dist[src] + weight < dist[dst]:
                    dist[dst] = dist[src] + weight
                    pred[dst] = (src, slot)
                    changed.append(dst)
            if not changed:
                return None
            cycle = self._cycle_in(pred, changed)
            if cycle is not None:
                return cycle
        raise AssertionError("Bellman-Ford found no cycle where one must be")

    @staticmethod
    def _cycle_in(pred: dict[int, tuple[int, int]], starts: list[int]) -> list[tuple[int, int]] | None:
        """A cycle of the predecessor graph (always a negative one in Bellman-Ford), reached from ``starts``."""
        seen: dict[int, int] = {}
        for mark, start in enumerate(starts):
            node: int | None = start
            while node is not None and node not in seen:
                seen[node] = mark
                node = pred[node][0] if node in pred else None
            if node is None or seen[node] != mark:
                continue
            moves, first = [], node
            while True:
                src, slot = pred[node]
                if slot >= 0:
                    moves.append((slot, node))
                node = src
                if node == first:
                    return moves
        return None

    # --- the result --------------------------------------------------------------------------------

    def proposal(self) -> Proposal:
        windows = month_windows(self.request.first_day, self.request.last_day, self.request.windows)
        placed = self._place_in_windows(windows)
        assignments = []
        for slot, sup in enumerate(self.assigned):
            hall_id, visit_type = self.slots[slot]
            start, end = windows[placed[slot]]
            assignments.append(Assignment(hall_id, visit_type, self.sups[sup].id, start, end,
                                          repeat=(hall_id, sup) in self.repeat, double=self.pairs[hall_id, sup] > 1))
        assignments.sort(key=lambda a: (a.hall_id, CHANNELS.index(a.type), a.due_from, a.supervisor_id))
        loads = {s.id: (self.existing_load[i], self.load[i] - self.existing_load[i]) for i, s in enumerate(self.sups)}
        eligible = frozenset(self.sups[i].id for able in self.eligible for i in able)
        return Proposal(tuple(assignments), self.shortfalls, loads, eligible, tuple(windows))

    def _place_in_windows(self, windows: list[tuple[dt.date, dt.date]]) -> list[int]:
        """A window per slot: a hall's visits in different windows, each supervisor's spread evenly across them.

        A bipartite edge colouring (windows are colours, visits are edges between halls and supervisors):
        every hall and supervisor is split into nodes of at most ``len(windows)`` visits, and each visit
        takes a window free at both of its nodes, swapping along an alternating path when needed (König),
        so nodes never repeat a window. Visits already planned keep their windows; a path through one of
        them is not swapped, and the visit then takes the window its supervisor uses least.
        """
        count = len(windows)

        def window_of(day: dt.date | None) -> int | None:
            return next((w for w, (start, end) in enumerate(windows) if day is not None and start <= day <= end), None)

        # node → {window: (edge, other node)}; edges are slot numbers, or negative for visits already planned.
        used: dict[tuple[str, int, int], dict[int, tuple[int, tuple[str, int, int]]]] = {}
        seen: Counter[tuple[str, int]] = Counter()

        def node(kind: str, key: int) -> tuple[str, int, int]:
            seen[kind, key] += 1
            return (kind, key, (seen[kind, key] - 1) // count)

        fixed = [(v, w) for v in self.request.existing if (w := window_of(v.due_from)) is not None]
        for n, (visit, w) in enumerate(fixed, start=1):
            hall, sup = node("h", visit.hall_id), node("s", self.index.get(visit.supervisor_id, -1))
            if w not in used.setdefault(hall, {}) and w not in used.setdefault(sup, {}):
                used[hall][w], used[sup][w] = (-n, sup), (-n, hall)
        order = sorted(range(len(self.slots)), key=lambda slot: (self.assigned[slot], self.rng.random()))
        ends = {slot: (node("h", self.slots[slot][0]), node("s", self.assigned[slot])) for slot in order}
        placed = [0] * len(self.slots)
        for slot in sorted(order, key=lambda slot: self.rng.random()):
            hall, sup = ends[slot]
            at_hall, at_sup = used.setdefault(hall, {}), used.setdefault(sup, {})
            free_hall = [w for w in range(count) if w not in at_hall]
            free_sup = [w for w in range(count) if w not in at_sup]
            both = [w for w in free_hall if w in free_sup]
            if both:
                w = self.rng.choice(both)
            elif free_hall and free_sup and self._swap(used, sup, free_hall[0], free_sup[0]):
                w = free_hall[0]
            else:
                w = min(free_hall or range(count), key=lambda w: (w in at_sup, self.rng.random()))
            at_hall[w], at_sup[w] = (slot, sup), (slot, hall)
            placed[slot] = w
        for slot, (hall, sup) in ends.items():
            placed[slot] = next(w for w, (edge, _) in used[hall].items() if edge == slot)
        return placed

    @staticmethod
    def _swap(used: dict[tuple[str, int, int], dict[int, tuple[int, tuple[str, int, int]]]], start: tuple[str, int, int],
              a: int, b: int) -> bool:
        """Swap windows ``a`` and ``b`` along the alternating path from ``start`` (which uses ``a``, not ``b``),
        so that ``a`` becomes free there; refused (``False``) if the path holds a visit already planned."""
        path = []
        node, colour, other = start, a, b
        while colour in used[node]:
            edge, next_node = used[node][colour]
            if edge < 0:
                return False
            path.append((node, next_node, edge, colour))
            node, colour, other = next_node, other, colour
        for u, v, _, colour in path:
            del used[u][colour]
            del used[v][colour]
        for u, v, edge, colour in path:
            flipped = b if colour == a else a
            used[u][flipped], used[v][flipped] = (edge, v), (edge, u)
        return True
