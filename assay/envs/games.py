"""Repeated social dilemmas and bargaining with private values (MAgIC, GLEE, GTBench-style).

Every game is a `MultiAgentEnvironment`: each player sees only its own view (its payoffs,
its private value, the history as it saw it). Scripted strategies (`scripted_move`) play
the seats no model takes, so a model can face tit-for-tat, always-defect or random.

Measures (`episode_metrics`):
- cooperation rate: the share of cooperative moves (dilemmas: C, or contributing at least
  half; cost sharing: offering at least one's fair share);
- welfare efficiency: total payoff over the social optimum's;
- fairness: the Gini coefficient of the players' total payoffs (0 = equal);
- bargaining: deal rate, efficiency (share of the surplus realised: 1 when a deal is struck
  while buyer value exceeds seller cost) and fairness (1 − |buyer share − seller share|).
"""

from __future__ import annotations

import random
import re
from typing import Any

import numpy as np

from assay.envs.base import MultiAgentEnvironment
from assay.envs.registry import register_env


def gini(values: list[float] | np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = everyone equal), the mean absolute
    difference over twice the mean; 0 when every value is 0."""
    x = np.asarray(values, dtype=float)
    if x.size == 0 or np.allclose(x, 0):
        return 0.0
    x = x - min(0.0, float(x.min()))  # shift negative payoffs so the measure stays defined
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size ** 2 * x.mean()))


def _first_number(text: str) -> float | None:
    found = re.search(r"-?\d+(?:\.\d+)?", text)
    return None if found is None else float(found.group())


class _Repeated(MultiAgentEnvironment):
    """Shared bookkeeping of the repeated games: rounds, history, total payoffs."""

    metrics = ("cooperation", "efficiency", "gini", "payoff")

    def reset(self, seed: int) -> list[str]:
        self.rng = random.Random(seed)
        self.rounds = int(self.params.get("rounds", 5))
        self.round = 0
        self.history: list[list[Any]] = []
        self.totals = [0.0] * self.n_players
        self.cooperative = 0
        self.moves = 0
        return [self.intro(i) for i in range(self.n_players)]

    def intro(self, player: int) -> str:
        raise NotImplementedError

    def _record(self, moves: list[Any], payoffs: list[float], cooperative: list[bool]) -> None:
        self.history.append(moves)
        self.round += 1
        for i, p in enumerate(payoffs):
            self.totals[i] += p
        self.cooperative += sum(cooperative)
        self.moves += len(cooperative)

    def _round_views(self, results: list[str], ask: str) -> tuple[list[str], bool]:
        """Each player's view after a round (its result, then what to reply next unless the
        game is over) and whether it is over."""
        done = self.round >= self.rounds
        return [text if done else f"{text} Round {self.round + 1}: {ask}" for text in results], done

    def episode_metrics(self) -> dict[str, float]:
        optimum = self.optimum() * max(self.round, 1)
        return {"cooperation": self.cooperative / self.moves if self.moves else float("nan"),
                "efficiency": sum(self.totals) / optimum if optimum else float("nan"),
                "gini": gini(self.totals),
                "payoff": self.totals[0] / (self.best_single() * max(self.round, 1))}

    def optimum(self) -> float:
        """Total payoff of all players in one round of the social optimum."""
        raise NotImplementedError

    def best_single(self) -> float:
        """The most player 0 can earn in one round (normalises `payoff`)."""
        raise NotImplementedError


@register_env("prisoners-dilemma")
class PrisonersDilemma(_Repeated):
    """Repeated prisoner's dilemma, T=5 > R=3 > P=1 > S=0, a known number of rounds."""

    description = "repeated prisoner's dilemma (cooperation, efficiency, Gini)"
    PAYOFF = {("C", "C"): (3, 3), ("C", "D"): (0, 5), ("D", "C"): (5, 0), ("D", "D"): (1, 1)}

    def intro(self, player: int) -> str:
        return (f"You play {self.rounds} rounds of a game with another player. Each round you both choose "
                "C (cooperate) or D (defect) at the same time. Points: both C: 3 each; both D: 1 each; "
                "if you choose D and they choose C you get 5 and they get 0 (and the reverse). "
                "Maximise your total points. Round 1: reply with C or D.")

    def parse(self, player: int, text: str) -> str:
        found = re.findall(r"\b([CD])\b", text.upper().replace("COOPERATE", "C").replace("DEFECT", "D"))
        if not found:
            raise ValueError("reply with C or D")
        return found[-1]

    def step(self, moves: list[Any]) -> tuple[list[str], list[float], bool, dict[str, Any]]:
        a, b = moves
        pa, pb = self.PAYOFF[(a, b)]
        self._record(moves, [pa, pb], [a == "C", b == "C"])
        obs, done = self._round_views(
            [f"Round {self.round}: you chose {me}, the other chose {them}; you got {mine} points."
             for me, them, mine in ((a, b, pa), (b, a, pb))], "reply with C or D.")
        return obs, [pa, pb], done, {}

    def scripted_move(self, player: int, strategy: str) -> str:
        other = 1 - player
        if strategy == "always-defect":
            return "D"
        if strategy == "always-cooperate":
            return "C"
        if strategy == "random":
            return self.rng.choice("CD")
        if strategy == "tit-for-tat":
            return "C" if not self.history else self.history[-1][other]
        raise KeyError(strategy)

    def optimum(self) -> float:
        return 6.0

    def best_single(self) -> float:
        return 5.0


@register_env("public-goods")
class PublicGoods(_Repeated):
    """Public goods: each of n players keeps or contributes up to 10 tokens; the pot is
    multiplied by 1.6 and split evenly. Contributing all is socially best, keeping all
    individually best."""

    description = "repeated public goods game, 3 players (cooperation, efficiency, Gini)"
    n_players = 3
    ENDOWMENT, FACTOR = 10, 1.6

    def intro(self, player: int) -> str:
        return (f"You play {self.rounds} rounds with {self.n_players - 1} other players. Each round everyone gets "
                f"{self.ENDOWMENT} tokens and chooses how many (0 to {self.ENDOWMENT}) to put in a common pot. The "
                f"pot is multiplied by {self.FACTOR} and shared equally; you keep what you did not put in. "
                "Maximise your total. Round 1: reply with one number.")

    def parse(self, player: int, text: str) -> int:
        value = _first_number(text)
        if value is None or not 0 <= value <= self.ENDOWMENT:
            raise ValueError(f"reply with one whole number from 0 to {self.ENDOWMENT}")
        return int(round(value))

    def step(self, moves: list[Any]) -> tuple[list[str], list[float], bool, dict[str, Any]]:
        share = sum(moves) * self.FACTOR / self.n_players
        payoffs = [self.ENDOWMENT - m + share for m in moves]
        self._record(moves, payoffs, [m >= self.ENDOWMENT / 2 for m in moves])
        obs, done = self._round_views(
            [f"Round {self.round}: you put in {m}; the others put in "
             f"{', '.join(str(x) for j, x in enumerate(moves) if j != i)}; you got {payoffs[i]:.1f}."
             for i, m in enumerate(moves)], "reply with one number.")
        return obs, payoffs, done, {}

    def scripted_move(self, player: int, strategy: str) -> int:
        if strategy == "always-defect":
            return 0
        if strategy == "always-cooperate":
            return self.ENDOWMENT
        if strategy == "random":
            return self.rng.randrange(self.ENDOWMENT + 1)
        if strategy == "tit-for-tat":  # match the others' mean contribution of last round
            if not self.history:
                return self.ENDOWMENT
            others = [m for j, m in enumerate(self.history[-1]) if j != player]
            return int(round(sum(others) / len(others)))
        raise KeyError(strategy)

    def optimum(self) -> float:
        return self.n_players * self.ENDOWMENT * self.FACTOR

    def best_single(self) -> float:
        return self.ENDOWMENT + (self.n_players - 1) * self.ENDOWMENT * self.FACTOR / self.n_players


@register_env("cost-sharing")
class CostSharing(_Repeated):
    """Cost sharing: a project worth a private value to each player costs C; each offers a
    contribution; it is built when the offers cover C (each pays its offer), else nothing
    happens. Free-riding tempts; fair share is C / n."""

    description = "repeated cost sharing with private values, 3 players (cooperation, efficiency, Gini)"
    n_players = 3
    COST = 30

    def reset(self, seed: int) -> list[str]:
        rng = random.Random(seed + 7919)
        self.values = [rng.randrange(12, 25) for _ in range(self.n_players)]
        return super().reset(seed)

    def intro(self, player: int) -> str:
        return (f"You play {self.rounds} rounds with {self.n_players - 1} other players. Each round a shared project "
                f"costs {self.COST} points. If everyone's offers add up to at least {self.COST}, it is built: you "
                f"gain {self.values[player]} points (your private value) minus your offer. Otherwise nobody pays or "
                "gains. Round 1: reply with your offer (one number).")

    def parse(self, player: int, text: str) -> float:
        value = _first_number(text)
        if value is None or value < 0 or value > self.COST:
            raise ValueError(f"reply with one number from 0 to {self.COST}")
        return value

    def step(self, moves: list[Any]) -> tuple[list[str], list[float], bool, dict[str, Any]]:
        built = sum(moves) >= self.COST
        payoffs = [(v - m) if built else 0.0 for v, m in zip(self.values, moves)]
        fair = self.COST / self.n_players
        self._record(moves, payoffs, [m >= fair - 1e-9 for m in moves])
        obs, done = self._round_views(
            [f"Round {self.round}: offers {', '.join(f'{x:g}' for x in moves)} (yours {m:g}); "
             f"{'built' if built else 'not built'}; you got {payoffs[i]:g}." for i, m in enumerate(moves)],
            "reply with your offer.")
        return obs, payoffs, done, {}

    def scripted_move(self, player: int, strategy: str) -> float:
        fair = self.COST / self.n_players
        if strategy == "always-defect":
            return 0.0
        if strategy == "always-cooperate":
            return fair
        if strategy == "random":
            return float(self.rng.randrange(0, int(self.values[player]) + 1))
        if strategy == "tit-for-tat":
            if not self.history:
                return fair
            others = [m for j, m in enumerate(self.history[-1]) if j != player]
            return min(fair, sum(others) / len(others))
        raise KeyError(strategy)

    def optimum(self) -> float:
        return sum(self.values) - self.COST

    def best_single(self) -> float:
        return float(self.values[0])


@register_env("bargaining")
class Bargaining(MultiAgentEnvironment):
    """A buyer (player 0) and a seller (player 1) with private values take turns: OFFER a
    price, or ACCEPT the other's last offer. No deal after `rounds` offers gives both 0.
    The buyer gains value − price, the seller price − cost."""

    description = "bargaining with private values, alternating offers (deal rate, efficiency, fairness)"
    metrics = ("deal", "efficiency", "fairness", "payoff")

    def reset(self, seed: int) -> list[str]:
        rng = random.Random(seed)
        self.rng = rng
        self.cost = rng.randrange(20, 60)
        self.value = self.cost + rng.randrange(-10, 60)  # sometimes no deal is possible (value < cost)
        self.rounds = int(self.params.get("rounds", 6))
        self.turn = 0
        self.offers: list[tuple[int, float]] = []
        self.price: float | None = None
        rules = (f"You bargain over the price of an item for at most {self.rounds} offers in total, taking turns. "
                 "Reply 'OFFER <price>' to propose a price, or 'ACCEPT' to take the other side's last offer. "
                 "No deal gives you 0.")
        return [f"You are the buyer. The item is worth {self.value} to you (private). {rules} You start: make an offer.",
                f"You are the seller. The item costs you {self.cost} (private). {rules} Wait for the buyer's offer."]

    def acting(self) -> list[int]:
        return [self.turn % 2]

    def parse(self, player: int, text: str) -> tuple[str, float | None]:
        upper = text.upper()
        if "ACCEPT" in upper and self.offers and self.offers[-1][0] != player:
            return ("accept", None)
        price = _first_number(upper.split("OFFER", 1)[1] if "OFFER" in upper else upper)
        if price is None or price < 0:
            raise ValueError("reply 'OFFER <price>' or 'ACCEPT'")
        return ("offer", price)

    def step(self, moves: list[Any]) -> tuple[list[str], list[float], bool, dict[str, Any]]:
        player = self.turn % 2
        kind, price = moves[player]
        self.turn += 1
        if kind == "accept":
            self.price = self.offers[-1][1]
            gains = [self.value - self.price, self.price - self.cost]
            text = f"Deal at {self.price:g}."
            return [text, text], gains, True, {}
        self.offers.append((player, float(price)))
        if self.turn >= self.rounds:
            text = f"Last offer {price:g} was not accepted in time: no deal."
            return [text, text], [0.0, 0.0], True, {}
        who = ("buyer", "seller")[player]
        told = f"The {who} offers {price:g}. Reply 'OFFER <price>' or 'ACCEPT'."
        obs = ["", ""]
        obs[1 - player] = told
        obs[player] = f"You offered {price:g}; waiting for the reply."
        return obs, [0.0, 0.0], False, {}

    def scripted_move(self, player: int, strategy: str) -> tuple[str, float | None]:
        """`fair`: accept any offer with a gain, else concede from a greedy start to the
        midpoint of its own value and a guess; `hard`: accepts only big gains; `random`."""
        mine = self.value if player == 0 else self.cost
        last = self.offers[-1][1] if self.offers and self.offers[-1][0] != player else None
        if strategy == "random":
            if last is not None and self.rng.random() < 0.3:
                return ("accept", None)
            return ("offer", float(self.rng.randrange(0, 120)))
        margin = 0.0 if strategy == "fair" else 0.3 * mine
        if last is not None and ((player == 0 and last <= mine - margin) or (player == 1 and last >= mine + margin)):
            return ("accept", None)
        step = min(1.0, self.turn / max(self.rounds - 2, 1))  # at its own target by its last offer
        anchor = mine * (0.6 if player == 0 else 1.6)
        target = mine - margin if player == 0 else mine + margin
        return ("offer", round(anchor + (target - anchor) * step, 1))

    def episode_metrics(self) -> dict[str, float]:
        surplus = self.value - self.cost
        deal = self.price is not None
        if deal:
            buyer, seller = self.value - self.price, self.price - self.cost
            efficiency = (buyer + seller) / surplus if surplus > 0 else float("nan")
            total = abs(buyer) + abs(seller)
            fairness = 1 - abs(buyer - seller) / total if total else 1.0
        else:
            buyer = seller = 0.0
            efficiency = 0.0 if surplus > 0 else 1.0
            fairness = float("nan")
        return {"deal": float(deal), "efficiency": efficiency, "fairness": fairness,
                "payoff": buyer / surplus if surplus > 0 else float("nan")}
