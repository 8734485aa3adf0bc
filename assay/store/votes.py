"""Human-arena votes in the results store: the pairs the server issued and the one vote each
may receive (tables `assay_arena_pairs` and `assay_arena_votes`, created on first use next to
the store's own tables), and LLM judges' verdicts from `assay arena run --store`
(`assay_arena_judge_battles`), so the dashboard can set the two side by side.

A vote is accepted only for a pair the server issued, and only once: the vote's primary key
is the pair id, so a second vote for the same pair fails inside the database (no race between
two tabs can count it twice). Nothing is ever deleted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.exc import IntegrityError

from assay.core.pairwise import Battle, Outcome
from assay.store.db import ResultsStore, StoreError

votes_metadata = MetaData()

pairs_table = Table(
    "assay_arena_pairs", votes_metadata,
    Column("pair_id", String(64), primary_key=True),
    Column("run_left", String(200), nullable=False),
    Column("run_right", String(200), nullable=False),
    Column("model_left", Text, nullable=False),
    Column("model_right", Text, nullable=False),
    Column("task", String(300), nullable=False),
    Column("sample_id", Text, nullable=False),
    Column("len_left", Integer),
    Column("len_right", Integer),
    Column("issued_at", String(40), nullable=False),
)
votes_table = Table(
    "assay_arena_votes", votes_metadata,
    Column("pair_id", String(64), ForeignKey("assay_arena_pairs.pair_id"), primary_key=True),
    Column("outcome", String(16), nullable=False),
    Column("voted_at", String(40), nullable=False),
)

judge_battles_table = Table(
    "assay_arena_judge_battles", votes_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("judge", Text, nullable=False),
    Column("item", Text, nullable=False),
    Column("first", Text, nullable=False),
    Column("second", Text, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("len_first", Integer),
    Column("len_second", Integer),
    Column("category", Text),
)


class VoteRejected(StoreError):
    """A vote that cannot be counted: for a pair never issued, or one already voted on."""


@dataclass(frozen=True)
class IssuedPair:
    """Two runs' answers to one sample, in the order shown (left is "A")."""

    pair_id: str
    run_left: str
    run_right: str
    model_left: str
    model_right: str
    task: str
    sample_id: str


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class VoteStore:
    """Issued pairs and their votes, in the same database as the runs."""

    def __init__(self, store: ResultsStore) -> None:
        self.store = store
        with store._errors("open"):
            votes_metadata.create_all(store.engine)

    def issue(self, *, run_left: str, run_right: str, model_left: str, model_right: str, task: str, sample_id: str,
              len_left: int | None = None, len_right: int | None = None) -> IssuedPair:
        """Record a pair shown to a voter; its id (unguessable) is what a vote must name."""
        pair = IssuedPair(secrets.token_urlsafe(18), run_left, run_right, model_left, model_right, task, sample_id)
        with self.store._errors("write to"), self.store.engine.begin() as conn:
            conn.execute(insert(pairs_table).values(**pair.__dict__, len_left=len_left, len_right=len_right,
                                                    issued_at=_now()))
        return pair

    def pair(self, pair_id: str) -> IssuedPair | None:
        with self.store._errors("read"), self.store.engine.connect() as conn:
            row = conn.execute(select(pairs_table).where(pairs_table.c.pair_id == pair_id)).mappings().first()
        if row is None:
            return None
        return IssuedPair(**{k: row[k] for k in IssuedPair.__dataclass_fields__})

    def vote(self, pair_id: str, outcome: Outcome) -> IssuedPair:
        """Count one vote (`outcome` by position: FIRST is the left answer). Raises
        VoteRejected for a pair never issued or already voted on; the first vote stands."""
        pair = self.pair(pair_id)
        if pair is None:
            raise VoteRejected("this pair was never issued by the server: the vote is not counted")
        try:
            with self.store.engine.begin() as conn:
                conn.execute(insert(votes_table).values(pair_id=pair_id, outcome=outcome.value, voted_at=_now()))
        except IntegrityError:
            raise VoteRejected("this pair already has a vote: a vote is counted once") from None
        return pair

    def battles(self) -> list[Battle]:
        """Every vote as a `Battle` judged by "human"."""
        query = select(pairs_table, votes_table.c.outcome).join(votes_table, votes_table.c.pair_id == pairs_table.c.pair_id)
        with self.store._errors("read"), self.store.engine.connect() as conn:
            rows: list[Any] = list(conn.execute(query).mappings())
        return [Battle(r["sample_id"], r["model_left"], r["model_right"], Outcome(r["outcome"]), "human",
                       r["len_left"], r["len_right"], r["task"], metadata={"pair_id": r["pair_id"]}) for r in rows]

    def add_judge_battles(self, battles: list[Battle], source: str) -> int:
        """Store an LLM judge's verdicts (an arena run's battles) under `source`."""
        rows = [{"source": source, "judge": b.judge, "item": b.item, "first": b.first, "second": b.second,
                 "outcome": b.outcome.value, "len_first": b.len_first, "len_second": b.len_second,
                 "category": b.category} for b in battles]
        if rows:
            with self.store._errors("write to"), self.store.engine.begin() as conn:
                conn.execute(insert(judge_battles_table), rows)
        return len(rows)

    def judge_battles(self) -> list[Battle]:
        with self.store._errors("read"), self.store.engine.connect() as conn:
            rows = list(conn.execute(select(judge_battles_table)).mappings())
        return [Battle(r["item"], r["first"], r["second"], Outcome(r["outcome"]), r["judge"], r["len_first"],
                       r["len_second"], r["category"] or "", metadata={"source": r["source"]}) for r in rows]

    def count(self) -> int:
        with self.store._errors("read"), self.store.engine.connect() as conn:
            return len(list(conn.execute(select(votes_table.c.pair_id))))
