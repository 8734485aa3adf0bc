"""`/arena` pages: GET shows a blind pair (a random item both runs answered, sides shuffled)
and the human-vote leaderboard; POST `/arena/vote` counts one vote.

Security (the pages stay script-free under the dashboard's CSP):
- every POST carries a CSRF token matched to the browser's session cookie (`csrf.py`);
- a vote names a server-issued pair id, and each pair takes one vote (`store.votes`);
- the Host check and loopback-only binding are the dashboard's own (`app.guard`);
- model text is autoescaped by Jinja2, never marked safe.

Judge verdicts stored by `assay arena run --store` are rated on a board of their own, and
their agreement with the human votes on the same item and pair is shown beside it.
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from assay.analyses.judge_audit import vote_agreement
from assay.core.pairwise import Outcome
from assay.core.results import SampleRecord
from assay.core.run import Run
from assay.stats.rating import bradley_terry
from assay.store.db import ResultsStore, StoreError
from assay.store.votes import VoteRejected, VoteStore
from assay.web.arena.csrf import COOKIE, CsrfGuard

_CHOICES = {"A": Outcome.FIRST, "B": Outcome.SECOND, "tie": Outcome.TIE, "both_bad": Outcome.BOTH_BAD}
_MAX_BODY = 4096


def _answers(run: Run) -> dict[tuple[str, str], SampleRecord]:
    return {(r.task, r.sample_id): r for r in run.samples if r.error is None and isinstance(r.response, str)}


def _cost(record: SampleRecord) -> str:
    """What the answer cost, as measured (energy) or counted (tokens, seconds)."""
    meta = record.metadata
    parts = []
    energy = meta.get("energy_j")
    if isinstance(energy, (int, float)) and math.isfinite(energy):
        parts.append(f"{energy:.2f} J ({meta.get('energy_kind', 'measured')})")
    parts.append(f"{record.tokens_out} tokens out")
    if record.latency_s:
        parts.append(f"{record.latency_s:.2f} s")
    return " · ".join(parts)


def register_arena(app: FastAPI, store: ResultsStore, render: Callable[..., HTMLResponse]) -> None:
    """Add the arena's routes to the dashboard app."""
    votes = VoteStore(store)
    guard = CsrfGuard()
    rng = random.SystemRandom()  # which item and which side: a voter must not be able to predict it

    def board(battles: list[Any]) -> dict[str, Any] | None:
        if len({m for b in battles for m in (b.first, b.second)}) < 2:
            return None
        # A weak Gaussian prior (ridge 0.1): with a handful of votes one side often won them
        # all, where the plain MLE is infinite and every bootstrap resample is the same.
        ratings = bradley_terry(battles, n_boot=200, seed=0, alpha=0.1)
        return {"rows": ratings.ranked(), "n": len(battles), "level": ratings.level}

    def boards() -> dict[str, Any]:
        human, judged = votes.battles(), votes.judge_battles()
        agreement = vote_agreement(human, judged) if human and judged else None
        return {"board": board(human), "judge_board": board(judged), "agreement": agreement,
                "judges": sorted({b.judge for b in judged})}

    @app.get("/arena", response_class=HTMLResponse)
    def arena_page(request: Request, a: str = "", b: str = "", energy: int = 0, voted: str = "") -> Response:
        session = request.cookies.get(COOKIE) or guard.new_session()
        context: dict[str, Any] = {"title": "arena", "all_runs": store.runs(), "a": a, "b": b, "energy": bool(energy),
                                   "voted": voted, "n_votes": votes.count(), "pair": None, **boards()}
        if a and b:
            try:
                run_a, run_b = store.load(a), store.load(b)
            except StoreError as exc:
                return render("error.html", 404, title="not found", message=str(exc))
            answers_a, answers_b = _answers(run_a), _answers(run_b)
            common = sorted(set(answers_a) & set(answers_b))
            if run_a.run_id == run_b.run_id:
                context["problem"] = "pick two different runs"
            elif not common:
                context["problem"] = "these two runs share no answered item"
            else:
                key = rng.choice(common)
                sides = [(run_a, answers_a[key]), (run_b, answers_b[key])]
                rng.shuffle(sides)
                (run_l, rec_l), (run_r, rec_r) = sides
                text_l, text_r = str(rec_l.response), str(rec_r.response)
                pair = votes.issue(run_left=run_l.run_id, run_right=run_r.run_id, model_left=run_l.model,
                                   model_right=run_r.model, task=key[0], sample_id=key[1], len_left=len(text_l),
                                   len_right=len(text_r))
                context["pair"] = {"id": pair.pair_id, "task": key[0], "sample_id": key[1],
                                   "prompt": str(rec_l.prompt or ""), "left": text_l, "right": text_r,
                                   "cost_left": _cost(rec_l), "cost_right": _cost(rec_r)}
                context["a"], context["b"] = run_a.run_id, run_b.run_id
        context["csrf"] = guard.token(session)
        response = render("arena.html", **context)
        response.set_cookie(COOKIE, session, httponly=True, samesite="strict", path="/arena")
        return response

    @app.post("/arena/vote")
    async def vote(request: Request) -> Response:
        body = await request.body()
        if len(body) > _MAX_BODY:
            return render("error.html", 413, title="413", message="the vote form is too large")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if not guard.valid(request.cookies.get(COOKIE), form.get("csrf")):
            return render("error.html", 403, title="403",
                          message="the vote carries no valid CSRF token for this browser: reload the arena page")
        choice = _CHOICES.get(form.get("choice", ""))
        if choice is None:
            return render("error.html", 400, title="400", message="a vote is A, B, tie or both_bad")
        try:
            votes.vote(form.get("pair", ""), choice)
        except VoteRejected as exc:
            return render("error.html", 409, title="vote not counted", message=str(exc))
        query = {"a": form.get("a", ""), "b": form.get("b", ""), "voted": "1"}
        if form.get("energy") == "1":
            query["energy"] = "1"
        return RedirectResponse("/arena?" + urlencode(query), status_code=303)
