"""Tournaments that rank models with fewer judged matches than a full round robin.

*Varco Arena* runs a single-elimination bracket per prompt (n − 1 matches per prompt instead
of n(n − 1)/2) and fits Bradley–Terry to the matches played; a Swiss system pairs models of
similar standing round by round. Here a match is one item judged in both orders, and the
scheduler is independent of who judges: `play` takes a batch of (item, model_a, model_b)
matches and returns their `Battle`s (an engine run with a judge, or a simulation).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import Enum
from itertools import combinations
from typing import Callable, Sequence

import numpy as np

from assay.core.pairwise import Battle

Match = tuple[str, str, str]
"""(item, model_a, model_b): model_a is shown first in the first of the two orders."""

Play = Callable[[Sequence[Match]], list[Battle]]


class TournamentFormat(str, Enum):
    ROUND_ROBIN = "round-robin"
    SINGLE_ELIMINATION = "single-elimination"
    SWISS = "swiss"


@dataclass(frozen=True)
class TournamentResult:
    """The battles a tournament played and how many matches (items × pairs) it took."""

    format: TournamentFormat
    battles: list[Battle]
    matches: int


def _match_score(battles: Sequence[Battle], a: str) -> float:
    return float(np.mean([b.score_of(a) for b in battles]))


def _by_match(battles: Sequence[Battle]) -> dict[tuple[str, frozenset[str]], list[Battle]]:
    out: dict[tuple[str, frozenset[str]], list[Battle]] = defaultdict(list)
    for b in battles:
        out[(b.item, frozenset((b.first, b.second)))].append(b)
    return out


def round_robin(models: Sequence[str], items: Sequence[str], play: Play) -> TournamentResult:
    """Every pair of models on every item."""
    matches = [(i, a, b) for i in items for a, b in combinations(models, 2)]
    return TournamentResult(TournamentFormat.ROUND_ROBIN, play(matches), len(matches))


def single_elimination(models: Sequence[str], items: Sequence[str], play: Play, seed: int = 0) -> TournamentResult:
    """One bracket per item (Varco Arena), in a seeded random order; an odd model out gets a
    bye; a drawn match goes to a seeded coin flip. All items' matches of a round are played
    as one batch."""
    rng = np.random.default_rng(seed)
    alive = {i: [models[k] for k in rng.permutation(len(models))] for i in items}
    battles: list[Battle] = []
    played = 0
    while any(len(v) > 1 for v in alive.values()):
        round_matches = [(i, v[k], v[k + 1]) for i, v in alive.items() for k in range(0, len(v) - 1, 2)]
        results = _by_match(play(round_matches))
        battles.extend(b for group in results.values() for b in group)
        played += len(round_matches)
        for i, v in alive.items():
            nxt = []
            for k in range(0, len(v) - 1, 2):
                a, b = v[k], v[k + 1]
                s = _match_score(results[(i, frozenset((a, b)))], a)
                nxt.append(a if s > 0.5 or (s == 0.5 and rng.random() < 0.5) else b)
            if len(v) % 2:
                nxt.append(v[-1])
            alive[i] = nxt
    return TournamentResult(TournamentFormat.SINGLE_ELIMINATION, battles, played)


def swiss(models: Sequence[str], items: Sequence[str], play: Play, rounds: int | None = None,
          seed: int = 0) -> TournamentResult:
    """Swiss system: each round sorts models by points so far (ties in seeded random order)
    and pairs neighbours, avoiding rematches where it can; each pairing plays one item (the
    items taken in turn). `rounds` defaults to ⌈log2 n⌉ + 1."""
    rng = np.random.default_rng(seed)
    n = len(models)
    rounds = rounds if rounds is not None else int(np.ceil(np.log2(max(n, 2)))) + 1
    points = {m: 0.0 for m in models}
    met: set[frozenset[str]] = set()
    battles: list[Battle] = []
    played, cursor = 0, 0
    for _ in range(rounds):
        order = sorted(models, key=lambda m: (-points[m], rng.random()))
        pairs = []
        while len(order) > 1:
            a = order.pop(0)
            partner = next((b for b in order if frozenset((a, b)) not in met), order[0])
            order.remove(partner)
            pairs.append((a, partner))
        round_matches = []
        for a, b in pairs:
            round_matches.append((items[cursor % len(items)], a, b))
            cursor += 1
            met.add(frozenset((a, b)))
        results = _by_match(play(round_matches))
        for item, a, b in round_matches:
            group = results[(item, frozenset((a, b)))]
            battles.extend(group)
            s = _match_score(group, a)
            points[a] += s
            points[b] += 1 - s
        played += len(round_matches)
    return TournamentResult(TournamentFormat.SWISS, battles, played)
