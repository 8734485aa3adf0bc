"""Conversations over several turns: later turns refer back (MT-Eval), and facts given over
many turns, some updated, are asked about at the end (MemoryAgentBench, Zep).

Both are single-agent environments without tools: every agent reply is an action, and the
environment answers with the next user turn. Each checked turn is a checkpoint; an episode
is solved when every checked turn is right.
"""

from __future__ import annotations

import random
import re


from assay.envs.base import Action, Environment, StepResult
from assay.envs.registry import register_env
from assay.envs.tools import last_number

_PEOPLE = ("Ana", "Bram", "Chloe", "Dario", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kaia", "Luca")
_CITIES = ("Lisbon", "Oslo", "Nairobi", "Lima", "Hanoi", "Quebec", "Tunis", "Perth", "Krakow", "Bogota")
_COLOURS = ("red", "green", "blue", "yellow", "purple", "orange", "white", "black")
_PETS = ("cat", "dog", "parrot", "rabbit", "turtle", "hamster")
_FILLER = ("By the way, the weather was nice today.", "I had coffee this morning.",
           "Work was busy this week.", "I am reading a novel at the moment.", "The train was late again.")


@register_env("chat")
class ReferBackChat(Environment):
    """Four user turns; turns 3 and 4 refer back to turn 1 (a fact the user gave) and to
    the agent's own turn-2 answer (MT-Eval's recollection and follow-up)."""

    description = "multi-turn chat whose later turns refer back to earlier ones (MT-Eval style)"
    instructions = "You are a helpful assistant. Answer each message briefly."
    checkpoints = ("greet", "number", "recall", "follow_up")

    def reset(self, seed: int) -> str:
        rng = random.Random(seed)
        self.name_, self.city = rng.choice(_PEOPLE), rng.choice(_CITIES)
        self.offset = rng.randrange(2, 9)
        self.turn = 0
        self.reached: list[str] = []
        self.number: float | None = None
        return f"Hi! My name is {self.name_} and I live in {self.city}. Please greet me by name in one sentence."

    def step(self, action: Action) -> StepResult:
        text = action.text or ""
        self.turn += 1
        if self.turn == 1:
            self._mark("greet", self.name_.lower() in text.lower())
            return StepResult("Pick a whole number between 1 and 9 and tell me just the number.")
        if self.turn == 2:
            self.number = last_number(text)
            self._mark("number", self.number is not None and 1 <= self.number <= 9)
            return StepResult("Which city did I tell you I live in?")
        if self.turn == 3:
            self._mark("recall", self.city.lower() in text.lower())
            return StepResult(f"Add {self.offset} to the number you picked earlier. What is the result?")
        got = last_number(text)
        self._mark("follow_up", self.number is not None and got is not None and got == self.number + self.offset)
        solved = len(self.reached) == len(self.checkpoints)
        return StepResult("", reward=len(self.reached) / len(self.checkpoints), done=True,
                          info={"outcome": "solved" if solved else "wrong_answer"})

    def _mark(self, checkpoint: str, ok: bool) -> None:
        if ok:
            self.reached.append(checkpoint)

    def progress(self) -> float:
        return len(self.reached) / len(self.checkpoints)


@register_env("memory")
class FactMemory(Environment):
    """Facts arrive one per turn among small talk; some are later updated; the last turns
    ask about them. An updated fact must be answered with its newest value."""

    description = "memory over incremental turns with updated facts (MemoryAgentBench / Zep style)"
    instructions = ("The user will tell you facts over several messages. Acknowledge each message briefly. "
                    "When asked a question, answer it in a few words using the latest information.")
    metrics = ("acc_static", "acc_updated")

    def reset(self, seed: int) -> str:
        rng = random.Random(seed)
        n_facts = int(self.params.get("facts", 3))
        people = rng.sample(_PEOPLE, n_facts)
        attribute = [rng.choice(("colour", "pet", "city")) for _ in people]
        pools = {"colour": _COLOURS, "pet": _PETS, "city": _CITIES}
        phrasing = {"colour": "{p}'s favourite colour is {v}", "pet": "{p}'s pet is a {v}", "city": "{p} lives in {v}"}
        questions = {"colour": "What is {p}'s favourite colour?", "pet": "What kind of pet does {p} have?",
                     "city": "Where does {p} live?"}
        self.truth: dict[str, str] = {}
        self.updated: set[str] = set()
        turns: list[str] = []
        for person, attr in zip(people, attribute):
            value = rng.choice(pools[attr])
            self.truth[person] = value
            turns.append(f"Please remember: {phrasing[attr].format(p=person, v=value)}.")
            turns.append(rng.choice(_FILLER))
        for person, attr in zip(people, attribute):  # about half the facts change later
            if rng.random() < 0.5:
                value = rng.choice([v for v in pools[attr] if v != self.truth[person]])
                self.truth[person] = value
                self.updated.add(person)
                turns.append(f"Update: {phrasing[attr].format(p=person, v=value)} now.")
        order = list(zip(people, attribute))
        rng.shuffle(order)
        self.questions = [(p, questions[a].format(p=p)) for p, a in order]
        self.turns = turns
        self.checkpoints = tuple(f"q:{p}" for p, _ in self.questions)
        self.position = 0
        self.asked = -1
        self.correct: dict[str, bool] = {}
        return turns[0]

    def step(self, action: Action) -> StepResult:
        if self.asked >= 0:  # the reply answers question `asked`
            person = self.questions[self.asked][0]
            self.correct[person] = re.search(rf"\b{re.escape(self.truth[person])}\b", action.text or "", re.I) is not None
        else:
            self.position += 1
        if self.position < len(self.turns):
            return StepResult(self.turns[self.position])
        self.asked += 1
        if self.asked < len(self.questions):
            return StepResult(self.questions[self.asked][1])
        solved = all(self.correct.values())
        return StepResult("", reward=sum(self.correct.values()) / len(self.questions), done=True,
                          info={"outcome": "solved" if solved else "wrong_answer"})

    def progress(self) -> float:
        return sum(self.correct.values()) / len(self.questions)

    def episode_metrics(self) -> dict[str, float]:
        def acc(people: list[str]) -> float:
            return sum(self.correct.get(p, False) for p in people) / len(people) if people else float("nan")

        names = [p for p, _ in self.questions]
        return {"acc_static": acc([p for p in names if p not in self.updated]),
                "acc_updated": acc([p for p in names if p in self.updated])}


