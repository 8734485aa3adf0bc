"""Cloze against listed multiple-choice prompts: which default should assay use?

    .venv/bin/python benchmarks/prompt_style.py                       # both bundled models
    .venv/bin/python benchmarks/prompt_style.py --models smollm2 --limit 20

Both styles score each option's text as a continuation of the prompt (`acc`: highest
log-likelihood; `acc_norm`: per byte). They differ only in the prompt:

    cloze   Question: What is the capital of France?\\nAnswer:           + " Paris"
    listed  Question: ...\\nChoices:\\nA. Berlin\\nB. Paris\\n...\\nAnswer:  + " Paris"

Items: the first `--limit` items of each built-in multiple-choice suite (seed 0, as
`assay run` makes them) and the 40 handmade general-knowledge questions in
tests/data/general_knowledge/ (easy world knowledge; no real MC benchmark installs
offline). Every score gets a 95% interval (Wilson; cluster-robust for fiction-mc, whose
items share passages) and the cloze-minus-listed difference a paired interval and
McNemar's exact p-value (a cluster permutation test where items are clustered), since
both styles answer the very same items. "built-in (all)" pools the built-in suites.
Responses are cached in `--cache` (default runs/prompt_style/cache.sqlite): a rerun only
reprints. A summary goes to `--json`.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from assay.core.task import Task
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.models import load_model
from assay.stats.summary import compare_paired, summarize
from assay.tasks.resolve import resolve_tasks

ROOT = Path(__file__).resolve().parents[1]
SUITES = ("arith-mc", "word-mc", "logic-mc", "fiction-mc")
HANDMADE = ROOT / "tests" / "data" / "general_knowledge" / "handmade_40.jsonl"
STYLES = {"cloze": False, "listed": True}  # style -> PromptFormat.show_choices


def styled(task: Task, style: str) -> Task:
    """`task` with its options shown (listed) or not (cloze), everything else unchanged."""
    return replace(task, name=f"{task.name}@{style}", format=replace(task.format, show_choices=STYLES[style]))


def measure(model_name: str, limit: int, cache: ResponseCache) -> list[dict[str, object]]:
    """One row per (task, metric): both styles' scores with CIs and their paired difference."""
    started = time.perf_counter()
    model = load_model(model_name)
    loaded = time.perf_counter() - started
    tasks = resolve_tasks([*SUITES, str(HANDMADE)])
    variants = [styled(t, s) for t in tasks for s in STYLES]
    began = time.perf_counter()
    run = evaluate(model, variants, cache, RunOptions(limit=limit, show_progress=False), model_spec=model_name)
    print(f"# {model_name}: loaded in {loaded:.0f} s, evaluated in {time.perf_counter() - began:.0f} s")
    pairs = {t.name: (run.rows(f"{t.name}@cloze"), run.rows(f"{t.name}@listed")) for t in tasks}
    # All built-in suites pooled: each item is its own cluster, except items sharing a passage.
    pooled = tuple([r for name in SUITES for r in pairs[name][i]] for i in (0, 1))
    rows: list[dict[str, object]] = []
    for name, (cloze, listed) in [*pairs.items(), ("built-in (all)", pooled)]:
        assert [r.sample_id for r in cloze] == [r.sample_id for r in listed]
        groups = [f"{r.task}:{r.metadata.get('group') or r.sample_id}" for r in cloze]
        for metric in ("acc", "acc_norm"):
            a = [r.scores.get(metric, float("nan")) for r in cloze]
            b = [r.scores.get(metric, float("nan")) for r in listed]
            sa, sb = summarize(metric, a, clusters=groups), summarize(metric, b, clusters=groups)
            diff = compare_paired(metric, a, b, clusters=groups)
            rows.append({
                "model": model_name, "task": name, "metric": metric, "n": sa.n,
                "cloze": [sa.value, sa.ci_low, sa.ci_high], "listed": [sb.value, sb.ci_low, sb.ci_high],
                "diff": [diff.diff, diff.ci_low, diff.ci_high], "p": diff.p_value,
            })
    return rows


def _pct(triple: object) -> str:
    v, lo, hi = triple  # type: ignore[misc]
    return f"{100 * v:5.1f} [{100 * lo:5.1f}, {100 * hi:5.1f}]"


def print_table(rows: list[dict[str, object]]) -> None:
    head = f"{'model':<12} {'task':<15} {'metric':<8} {'n':>4}  {'cloze % [95% CI]':<22} {'listed % [95% CI]':<22} {'cloze-listed [95% CI]':<24} {'p':>7}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['model']:<12} {r['task']:<15} {r['metric']:<8} {r['n']:>4}  {_pct(r['cloze']):<22} "
              f"{_pct(r['listed']):<22} {_pct(r['diff']):<24} {r['p']:7.3g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["smollm2", "gemma3-270m"])
    parser.add_argument("--limit", type=int, default=40, help="items per built-in suite (the handmade set has 40)")
    parser.add_argument("--cache", type=Path, default=ROOT / "runs" / "prompt_style" / "cache.sqlite")
    parser.add_argument("--json", type=Path, default=ROOT / "runs" / "prompt_style" / "summary.json")
    args = parser.parse_args()
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    cache = ResponseCache(args.cache)
    rows: list[dict[str, object]] = []
    try:
        for name in args.models:
            rows += measure(name, args.limit, cache)
    finally:
        cache.close()
    print_table(rows)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"limit": args.limit, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
