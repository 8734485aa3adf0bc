"""Episodes through the real engine with scripted agents (an `InstantModel` whose reply is a
scripted policy): environments are deterministic for a seed, the oracle policies solve
every solvable episode, games give the textbook payoffs, and every kind of bad input is
recorded as its attributed failure while the run goes on."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from assay.agents.metrics import pass_hat_k, summarize_episodes
from assay.agents.tasks import make_env_task, parse_env_options
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.envs import Action, Environment, StepResult, env_class, env_names, register_env, tool_schema
from assay.errors import ConfigError, UnknownNameError
from assay.testing.instant import InstantModel
from tests.support import scripted_agents as agents


def _run(tmp_path: Path, name: str, reply: Any, **options: Any):
    task = make_env_task(name, options)
    model = InstantModel(reply=reply)
    run = evaluate(model, [task], ResponseCache(tmp_path / f"{name}.sqlite"), RunOptions(show_progress=False))
    return run, model


@pytest.mark.parametrize("name", ["tools", "chat", "memory", "rag", "prisoners-dilemma", "public-goods",
                                  "cost-sharing", "bargaining", "swarm"])
def test_every_environment_is_deterministic_for_its_seed(name: str) -> None:
    cls = env_class(name)
    first = [cls().reset(seed) for seed in range(6)]
    assert first == [cls().reset(seed) for seed in range(6)]
    if name not in ("prisoners-dilemma", "public-goods"):  # their rules are the same every episode
        assert len({str(x) for x in first}) > 1  # the seed matters


def test_builtin_environments_are_listed() -> None:
    assert {"tools", "chat", "memory", "rag", "prisoners-dilemma", "public-goods", "cost-sharing", "bargaining",
            "swarm"} <= set(env_names())


def test_tools_oracle_solves_the_solvable_and_says_unsolvable(tmp_path: Path) -> None:
    run, _ = _run(tmp_path, "tools", agents.tools_oracle, n=24)
    kinds = {r.metadata["trajectory"][0]["observation"].split()[0] for r in run.samples}
    assert len(kinds) >= 3
    assert all(r.scores["success"] == 1.0 for r in run.samples), [
        (r.prompt, r.metadata["episode"]) for r in run.samples if r.scores["success"] != 1.0]
    assert all(r.scores["progress"] == 1.0 for r in run.samples)
    unsolvable = [r for r in run.samples if r.scores["unsolvable"] == 1.0]
    assert 3 <= len(unsolvable) < 24 and all(r.scores["honest"] == 1.0 for r in unsolvable)
    # the trajectory: observation, then tool calls with their results, then the answer
    file_task = next(r for r in run.samples if r.prompt.startswith("Read the file") or "Read the file" in r.prompt)
    steps = file_task.metadata["trajectory"]
    assert [s.get("action", {}).get("tool") for s in steps[1:]] == ["read_file", "calculator", None]
    assert "credits" in steps[1]["observation"] and steps[-1]["reward"] == 1.0


def test_a_wrong_answer_is_the_agents_failure(tmp_path: Path) -> None:
    run, _ = _run(tmp_path, "tools", lambda req: "The answer is 7.", n=8, kind="arithmetic")
    assert all(r.metadata["episode"]["outcome"] == "wrong_answer" for r in run.samples)
    assert all(r.scores["fail_agent"] == 1.0 and r.scores["success"] == 0.0 for r in run.samples)


@pytest.mark.parametrize("name, oracle", [("chat", agents.chat_oracle), ("memory", agents.memory_oracle)])
def test_conversation_oracles_solve_every_episode(tmp_path: Path, name: str, oracle: Any) -> None:
    run, _ = _run(tmp_path, name, oracle, n=10, max_turns=30)
    assert [r.scores["success"] for r in run.samples] == [1.0] * 10
    if name == "memory":
        assert any(not math.isnan(r.scores["acc_updated"]) for r in run.samples)


def test_memory_rewards_the_updated_value_not_the_first(tmp_path: Path) -> None:
    def first_value_only(request):  # remembers the first value of a fact, ignores updates
        facts: dict[str, str] = {}
        for m in request.messages:
            if m.role == "user" and not m.content.startswith("Update"):
                import re
                for p in (r"(\w+)'s favourite colour is (\w+)", r"(\w+)'s pet is a (\w+)", r"(\w+) lives in (\w+)"):
                    if f := re.search(p, m.content):
                        facts.setdefault(f[1], f[2])
        last = [m.content for m in request.messages if m.role == "user"][-1]
        return next((v for k, v in facts.items() if k in last), "Noted.") if last.endswith("?") else "Noted."

    run, _ = _run(tmp_path, "memory", first_value_only, n=12, max_turns=30)
    updated = [r.scores["acc_updated"] for r in run.samples if not math.isnan(r.scores["acc_updated"])]
    static = [r.scores["acc_static"] for r in run.samples if not math.isnan(r.scores["acc_static"])]
    assert updated and max(updated) == 0.0 and min(static) == 1.0


def test_prisoners_dilemma_textbook_payoffs(tmp_path: Path) -> None:
    """Always-defect against always-cooperate over 5 rounds: 25 vs 0 points, efficiency
    25/30, Gini 0.5, cooperation 1/2 (no model seat: the game runs on scripted strategies)."""
    run, model = _run(tmp_path, "prisoners-dilemma", agents.always_c, n=2, players="always-defect+always-cooperate")
    assert model.calls == []
    for r in run.samples:
        assert r.metadata["episode"]["totals"] == [25.0, 0.0]
        assert r.scores["efficiency"] == pytest.approx(25 / 30)
        assert r.scores["gini"] == pytest.approx(0.5)
        assert r.scores["cooperation"] == 0.5


def test_cooperating_agent_against_tit_for_tat(tmp_path: Path) -> None:
    run, model = _run(tmp_path, "prisoners-dilemma", agents.always_c, n=3)
    assert len(model.calls) == 5  # one call per round; the three episodes are the same game, so steps are shared
    for r in run.samples:
        assert r.scores["cooperation"] == 1.0 and r.scores["efficiency"] == 1.0 and r.scores["gini"] == 0.0
        assert [s["moves"] for s in r.metadata["trajectory"][1:]] == [{"0": "C", "1": "C"}] * 5


def test_public_goods_and_cost_sharing_measures(tmp_path: Path) -> None:
    run, _ = _run(tmp_path, "public-goods", agents.always_c, n=2,
                  players="always-cooperate+always-cooperate+always-cooperate")
    assert all(r.scores["efficiency"] == pytest.approx(1.0) and r.scores["gini"] == 0.0 for r in run.samples)
    run, _ = _run(tmp_path, "public-goods", agents.always_c, n=2,
                  players="always-defect+always-defect+always-defect")
    assert all(r.scores["efficiency"] == pytest.approx(1 / 1.6) and r.scores["cooperation"] == 0.0 for r in run.samples)
    run, _ = _run(tmp_path, "cost-sharing", agents.always_c, n=2,
                  players="always-cooperate+always-cooperate+always-cooperate")
    assert all(r.scores["efficiency"] == pytest.approx(1.0) and r.scores["cooperation"] == 1.0 for r in run.samples)
    run, _ = _run(tmp_path, "cost-sharing", agents.always_c, n=2, players="always-defect+always-cooperate+always-cooperate")
    assert all(r.scores["efficiency"] == 0.0 for r in run.samples)  # 20 < 30: never built


def test_bargaining_fair_scripts_strike_deals(tmp_path: Path) -> None:
    run, _ = _run(tmp_path, "bargaining", agents.always_c, n=12, players="fair+fair")
    for r in run.samples:
        env = env_class("bargaining")()
        env.reset(r.metadata["seed"])
        if env.value > env.cost:
            assert r.scores["deal"] == 1.0 and r.scores["efficiency"] == pytest.approx(1.0)
            assert 0 <= r.scores["fairness"] <= 1
        elif env.value < env.cost:
            assert r.scores["deal"] == 0.0  # no price leaves both sides a gain


def test_swarm_oracle_gathers_and_random_does_worse(tmp_path: Path) -> None:
    greedy, _ = _run(tmp_path, "swarm", agents.always_c, n=8, players="greedy+greedy+greedy", max_turns=20)
    rand, _ = _run(tmp_path, "swarm", agents.always_c, n=8, players="random+random+random", max_turns=20)
    g = sum(r.scores["progress"] for r in greedy.samples)
    assert g > sum(r.scores["progress"] for r in rand.samples)
    assert any(r.scores["success"] == 1.0 for r in greedy.samples)


def test_rag_retrieval_recall_beside_accuracy(tmp_path: Path) -> None:
    def read_docs(request):  # answers from the documents it was given
        import re
        text = request.messages[-1].content
        q = re.search(r"Question: (?:In what year did|Which town was) ([A-Z]\w+ [A-Z]\w+)", text)
        doc = re.search(rf"{q[1]} was an inventor from (\w+)\. In (\d+)", text) if q else None
        if not doc:
            return "I do not know."
        return doc[2] if "year" in text.split("Question:")[1] else doc[1]

    bm25, _ = _run(tmp_path, "rag", read_docs, n=20, retrieval="bm25")
    closed, _ = _run(tmp_path, "rag", read_docs, n=20, retrieval="none")
    recall = [r.scores["retrieval_recall"] for r in bm25.samples]
    assert sum(recall) >= 16
    # accuracy follows retrieval: right whenever the gold document was retrieved
    assert all(r.scores["success"] == r.scores["retrieval_recall"] for r in bm25.samples)
    assert all(r.scores["success"] == 0.0 and math.isnan(r.scores["retrieval_recall"]) for r in closed.samples)


# --- bad input: each recorded as its attributed failure, the episode ends, the run goes on ---

@pytest.mark.parametrize("policy, kind", [(agents.bad_json, "invalid_json"), (agents.unknown_tool, "unknown_tool"),
                                          (agents.bad_arguments, "bad_arguments")])
def test_bad_tool_calls_are_the_agents_failure(tmp_path: Path, policy: Any, kind: str) -> None:
    run, _ = _run(tmp_path, "tools", policy, n=3, max_errors=3)
    for r in run.samples:
        episode = r.metadata["episode"]
        assert episode["outcome"] == "bad_action" and r.error is None
        errors = [s["error"]["kind"] for s in r.metadata["trajectory"] if "error" in s]
        assert errors == [kind] * 3
        assert r.scores["fail_agent"] == 1.0 and r.scores["errors"] == 3.0 and r.scores["correction"] == 0.0


def test_never_stopping_agent_hits_the_turn_budget(tmp_path: Path) -> None:
    run, _ = _run(tmp_path, "tools", agents.never_stops, n=3, max_turns=4)
    assert all(r.metadata["episode"]["outcome"] == "turns" and r.scores["over_budget"] == 1.0 for r in run.samples)
    assert all(r.scores["turns"] == 4.0 and r.scores["fail_budget"] == 1.0 for r in run.samples)


def test_token_and_cost_budgets(tmp_path: Path) -> None:
    run, _ = _run(tmp_path, "tools", agents.never_stops, n=2, max_tokens=1)
    assert {r.metadata["episode"]["outcome"] for r in run.samples} == {"tokens"}
    run, _ = _run(tmp_path, "tools", agents.never_stops, n=2, max_cost=2.5e-6, price_out=1.0)  # 1 token a reply
    assert {r.metadata["episode"]["outcome"] for r in run.samples} == {"cost"}


def test_correction_after_an_error_message(tmp_path: Path) -> None:
    def errs_once(request):
        if not any(m.content.startswith("Error:") for m in request.messages if m.role == "user"):
            return agents.bad_json(request)
        return agents.tools_oracle(request)

    run, _ = _run(tmp_path, "tools", errs_once, n=6)
    # unsolvable lookups add a second, corrected error: the tool rejects the unknown country
    assert all(r.scores["correction"] == 1.0 and r.scores["errors"] >= 1.0 for r in run.samples)
    assert all(r.scores["success"] == 1.0 for r in run.samples)


@register_env("test-broken")
class _Broken(Environment):
    """Raises inside a tool on odd seeds and inside step on a final answer for seeds = 2 mod 4."""

    tools = (tool_schema("boom", "explodes", {}, ()),)

    def reset(self, seed: int) -> str:
        self.seed = seed
        return "call boom, then answer"

    def step(self, action: Action) -> StepResult:
        if action.is_tool_call and self.seed % 2:
            raise RuntimeError("tool crashed")
        if not action.is_tool_call and self.seed % 4 == 2:
            raise KeyError("simulator lost its state")
        return StepResult("ok", reward=float(not action.is_tool_call), done=not action.is_tool_call,
                          info={"outcome": "solved"})


def test_a_raising_environment_is_the_environments_failure_and_the_run_goes_on(tmp_path: Path) -> None:
    def policy(request):
        return '{"tool": "boom", "arguments": {}}' if len(request.messages) <= 2 else "done"

    run, _ = _run(tmp_path, "test-broken", policy, n=8)
    outcomes = [r.metadata["episode"]["outcome"] for r in run.samples]
    seeds = [r.metadata["seed"] for r in run.samples]
    assert outcomes == ["tool_exception" if s % 2 else "simulator_error" if s % 4 == 2 else "solved" for s in seeds]
    summary = summarize_episodes(run.samples)[run.samples[0].task]
    assert summary.parties == {"agent": 0, "environment": 6, "budget": 0}
    assert all(r.error is None for r in run.samples)


def test_pass_hat_k_matches_tau_bench() -> None:
    """tau-bench's pass^k: C(c, k) / C(n, k); all-success gives 1, one failure in 4 trials
    gives pass^4 = 0, pass^2 = C(3,2)/C(4,2) = 1/2."""
    assert pass_hat_k(4, 4, 4) == 1.0
    assert pass_hat_k(4, 3, 4) == 0.0
    assert pass_hat_k(4, 3, 2) == pytest.approx(0.5)
    assert pass_hat_k(4, 3, 1) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        pass_hat_k(2, 1, 3)


def test_trials_give_pass_k_and_trial_spread(tmp_path: Path) -> None:
    def flaky(request):  # solves on trial-seeded parity: different trials, different luck
        return agents.tools_oracle(request) if request.params.seed is None or request.params.seed % 3 else "no idea"

    run, _ = _run(tmp_path, "tools", flaky, n=6, trials=3, temperature=0.7)
    summary = summarize_episodes(run.samples)[run.samples[0].task]
    assert summary.episodes == 6 and summary.trials == 3
    assert summary.pass_k[1][0] >= summary.pass_k[2][0] >= summary.pass_k[3][0]
    assert summary.pass_k[1][0] == pytest.approx(summary.success)
    assert len(summary.trial_success) == 3 and not math.isnan(summary.trial_std)


def test_bad_options_name_the_field() -> None:
    with pytest.raises(ConfigError, match="max_turns"):
        parse_env_options("tools", "max_turns=many")
    with pytest.raises(UnknownNameError, match="tools"):
        make_env_task("no-such-env")
    with pytest.raises(ConfigError, match="players"):
        make_env_task("prisoners-dilemma", {"players": "agent"})
    with pytest.raises(ConfigError, match="retrieval"):
        make_env_task("rag", {"retrieval": "magic"})


def test_env_tasks_resolve_from_the_command_line_and_task_files(tmp_path: Path) -> None:
    from assay.tasks.resolve import resolve_task

    (task,) = resolve_task("env:tools:n=3,kind=lookup,max_turns=5")
    assert task.name == "env:tools:kind=lookup" and len(task.load()) == 3
    assert task.source["budget"]["max_turns"] == 5
    path = tmp_path / "lookup.yaml"
    path.write_text("env: memory\nname: memory-small\noptions: {n: 2, facts: 2, trials: 2}\n")
    (from_file,) = resolve_task(str(path))
    assert from_file.name == "memory-small" and len(from_file.load()) == 4
    path.write_text("env: memory\noptions: {n: 2}\nturns: 3\n")
    with pytest.raises(ConfigError, match="lookup.yaml.*turns"):
        resolve_task(str(path))
