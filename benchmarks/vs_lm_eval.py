"""assay against lm-evaluation-harness, side by side, on the same bundled model and machine.

    .venv/bin/python benchmarks/vs_lm_eval.py                       # SmolLM2, 500 items, 3 rounds
    .venv/bin/python benchmarks/vs_lm_eval.py --model gemma3-270m --n 100 --rounds 1

Installs lm-eval 0.4.13 (CPU torch first) into benchmarks/.lm-eval-venv on first use, builds
two suites from one seeded generator and exports them for both harnesses:

  (a) `long-options`: 4 options of 8+ tokens each, contexts of 100+ tokens;
  (b) `short-options`: the same contexts, one-token options.

Both harnesses score the exact same `context + " " + option` strings: the contexts and
continuations are taken from assay's own request plan and written as a local lm-eval task
(`dataset_path: json`, no Hub). Each round runs assay then lm-eval (alternately), each in a
fresh process, with the response caches off; medians over rounds are printed. It also
measures the raw forward-pass throughput of the model alone (full head, best batch size) and
assay's useful tokens/s (each distinct context once plus every option's tokens, divided by
scoring time) as a fraction of it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LM_EVAL_VENV = ROOT / "benchmarks" / ".lm-eval-venv"
LM_EVAL_VERSION = "0.4.13"

_NAMES = ["Avel", "Brisk", "Corran", "Dunmere", "Elsin", "Fallow", "Garth", "Hollin", "Istra", "Jorun"]
_THINGS = ["copper lanterns", "river salt", "blue wool", "glass beads", "dried figs", "iron nails",
           "cedar planks", "wax candles", "silver thread", "barley flour"]
_COLOURS = ["red", "green", "white", "black"]


def make_items(n: int, seed: int) -> list[dict]:
    """Items with a ~110-token context, a long-option and a one-token-option version each."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        towns = rng.sample(_NAMES, 4)
        goods = rng.sample(_THINGS, 4)
        colours = rng.sample(_COLOURS, 4)
        facts = " ".join(
            f"The market town of {t} trades mainly in {g}, and its banners are {c}."
            for t, g, c in zip(towns, goods, colours)
        )
        k = rng.randrange(4)
        context = (f"Read the record of the four market towns of the northern valley. {facts} "
                   f"Travellers say the roads between them are safe in summer but closed in winter. "
                   f"Question: what does the market town of {towns[k]} trade in, and what colour are its banners?\nAnswer:")
        long_opts = [f"It trades mainly in {g} and flies {c} banners over the square." for g, c in zip(goods, colours)]
        items.append({"id": i, "context": context, "long": long_opts, "short": list(colours), "answer": k})
    return items


def export(items: list[dict], kind: str, workdir: Path) -> Path:
    """A bare assay JSONL ({question, choices, answer}) for suite `kind`."""
    path = workdir / f"{kind}.jsonl"
    with path.open("w") as f:
        for it in items:
            f.write(json.dumps({"id": f"{kind}-{it['id']}", "question": it["context"],
                                "choices": it[kind], "answer": it["answer"]}) + "\n")
    return path


def listed(task):  # type: ignore[no-untyped-def]
    """The task with its options listed in the prompt: the layout every earlier figure here
    was measured with (~200-token contexts), kept so figures compare across versions."""
    from dataclasses import replace

    return replace(task, format=replace(task.format, show_choices=True))


def lm_eval_task(assay_jsonl: Path, name: str, workdir: Path) -> None:
    """Write assay's exact planned (context, continuation) strings as a local lm-eval task."""
    from assay.engine.prompts import plan_task
    from assay.tasks.resolve import resolve_tasks

    task = listed(resolve_tasks([str(assay_jsonl)])[0])
    rows = []
    for planned in plan_task(task, task.load()):
        ctxs = {r.context for r in planned.requests}
        assert len(ctxs) == 1, "one context per item"
        context = ctxs.pop()
        stripped = context.rstrip()
        choices = []
        for r in planned.requests:
            cont = context[len(stripped):] + r.continuation
            assert cont.startswith(" ") and not cont.startswith("  "), cont
            choices.append(cont[1:])
        rows.append({"ctx": stripped, "choices": choices, "gold": planned.sample.target,
                     "id": planned.sample.id})
    data = workdir / f"{name}.json"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (workdir / f"{name}.yaml").write_text(
        f"task: {name}\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {data}\n"
        "test_split: test\n"
        "output_type: multiple_choice\n"
        "doc_to_text: \"{{ctx}}\"\n"
        "doc_to_choice: \"{{choices}}\"\n"
        "doc_to_target: \"{{gold}}\"\n"
        "target_delimiter: \" \"\n"
        "metric_list:\n  - metric: acc\n"
    )


def ensure_lm_eval() -> Path:
    python = LM_EVAL_VENV / "bin" / "python"
    if not (LM_EVAL_VENV / "bin" / "lm-eval").exists():
        subprocess.run([sys.executable, "-m", "venv", str(LM_EVAL_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run(pip + ["torch==2.13.0"], check=True)  # CPU build first: never a CUDA one
        subprocess.run(pip + [f"lm-eval=={LM_EVAL_VERSION}", "transformers==5.24.0", "gguf", "accelerate"], check=True)
    return LM_EVAL_VENV / "bin" / "lm-eval"


def converted_dir(alias: str) -> Path:
    """The converted fp32 safetensors directory of a bundled model (created if missing)."""
    from assay.models import load_model

    model = load_model(alias)
    path = Path(model.hf_model.name_or_path)
    model.close()
    return path


def run_lm_eval(lm_eval: Path, model_dir: Path, task: str, workdir: Path, batch: int) -> dict:
    out = workdir / f"lm-eval-{task}-{time.time_ns()}"
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    started = time.perf_counter()
    subprocess.run(
        [str(lm_eval), "run", "--model", "hf", "--model_args", f"pretrained={model_dir},dtype=float32",
         "--tasks", task, "--include_path", str(workdir), "--batch_size", str(batch), "--device", "cpu",
         "--output_path", str(out), "--log_samples"],
        check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    wall = time.perf_counter() - started
    results = json.loads(next(out.rglob("results_*.json")).read_text())
    samples = [json.loads(line) for line in next(out.rglob(f"samples_{task}_*.jsonl")).read_text().splitlines()]
    preds = {}
    for s in samples:
        lls = [float(r[0][0]) if isinstance(r[0], list) else float(r[0]) for r in s["resps"]]
        preds[s["doc"]["id"]] = max(range(len(lls)), key=lls.__getitem__)
    return {"wall": wall, "scoring": float(results["total_evaluation_time_seconds"]),
            "acc": results["results"][task]["acc,none"], "preds": preds}


def run_assay(alias: str, jsonl: Path, batch: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "_assay", alias, str(jsonl), batch],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _assay_child(alias: str, jsonl: str, batch: str) -> None:
    """One timed assay run in this process: load, then build + score + write (no reuse)."""
    started = time.perf_counter()
    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions, evaluate
    from assay.models import load_model
    from assay.models.base import ModelOptions
    from assay.tasks.resolve import resolve_tasks

    model = load_model(alias, ModelOptions(batch_size=None if batch == "auto" else int(batch)))
    loaded = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        task = listed(resolve_tasks([jsonl])[0])
        run = evaluate(model, [task], ResponseCache(Path(tmp) / "c.sqlite"), RunOptions(show_progress=False))
        scored = time.perf_counter()
    (report,) = run.tasks.values()
    preds = {r.sample_id: r.extracted for r in run.samples}
    tokens = useful_tokens(model, task)
    print(json.dumps({"startup": loaded - started, "scoring": scored - loaded, "wall": scored - started,
                      "acc": report.metrics["acc"].value, "preds": preds, "useful_tokens": tokens}))


def useful_tokens(model, task) -> int:
    """Tokens a model must read to score the task with nothing recomputed: each item's
    context once plus each option's own tokens."""
    from assay.engine.prompts import plan_task

    total = 0
    for planned in plan_task(task, task.load()):
        ctx = None
        for r in planned.requests:
            c, o = model.tokens.encode_pair(r.context, r.continuation)
            ctx = ctx or c
            total += len(o)
        total += len(ctx or [])
    return total


def _raw_child(alias: str) -> None:
    """Forward-pass tokens/s of the model alone (full head, 128-token rows), best batch size."""
    import torch

    from assay.models import load_model

    model = load_model(alias).hf_model
    best = 0.0
    for batch in (8, 16, 32):
        ids = torch.randint(100, 5000, (batch, 128))
        with torch.inference_mode():
            model(input_ids=ids[:1, :16], use_cache=False)
            started = time.perf_counter()
            model(input_ids=ids, use_cache=False)
            best = max(best, ids.numel() / (time.perf_counter() - started))
    print(json.dumps({"raw_tokens_per_s": best}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_assay":
        return _assay_child(*sys.argv[2:5])
    if len(sys.argv) > 1 and sys.argv[1] == "_raw":
        return _raw_child(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2", help="smollm2 or gemma3-270m")
    parser.add_argument("--n", type=int, default=500, help="items per suite")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each harness")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lm-eval-batch", type=int, default=16)
    parser.add_argument("--assay-batch", default="auto")
    parser.add_argument("--suites", default="long,short")
    args = parser.parse_args()

    lm_eval = ensure_lm_eval()
    model_dir = converted_dir(args.model)
    workdir = Path(tempfile.mkdtemp(prefix="vs-lm-eval-"))
    items = make_items(args.n, args.seed)
    raw = json.loads(subprocess.run([sys.executable, __file__, "_raw", args.model], check=True,
                                    capture_output=True, text=True).stdout.strip().splitlines()[-1])
    raw_tps = raw["raw_tokens_per_s"]
    print(f"model {args.model} ({model_dir}); {args.n} items per suite; {args.rounds} round(s); "
          f"raw forward {raw_tps:.0f} tok/s")
    header = (f"{'suite':<8} {'acc assay':>9} {'acc lm-eval':>11} {'argmax agree':>12} "
              f"{'score s assay':>13} {'score s lm-eval':>15} {'x':>5} {'wall assay':>10} {'wall lm-eval':>12} "
              f"{'x':>5} {'start-up':>8} {'useful tok/s':>12} {'of raw':>6}")
    rows = []
    for kind in args.suites.split(","):
        jsonl = export(items, kind, workdir)
        task_name = f"assay_{kind}_options"
        lm_eval_task(jsonl, task_name, workdir)
        a_runs, l_runs = [], []
        for _ in range(args.rounds):
            a_runs.append(run_assay(args.model, jsonl, args.assay_batch))
            l_runs.append(run_lm_eval(lm_eval, model_dir, task_name, workdir, args.lm_eval_batch))
        a, lm = a_runs[-1], l_runs[-1]
        agree = sum(a["preds"][k] == lm["preds"].get(k) for k in a["preds"]) / len(a["preds"])
        med = lambda runs, key: statistics.median(r[key] for r in runs)  # noqa: E731
        useful = a["useful_tokens"] / med(a_runs, "scoring")
        rows.append(
            f"{kind:<8} {100 * a['acc']:>9.1f} {100 * lm['acc']:>11.1f} {100 * agree:>11.1f}% "
            f"{med(a_runs, 'scoring'):>13.1f} {med(l_runs, 'scoring'):>15.1f} "
            f"{med(l_runs, 'scoring') / med(a_runs, 'scoring'):>5.2f} "
            f"{med(a_runs, 'wall'):>10.1f} {med(l_runs, 'wall'):>12.1f} {med(l_runs, 'wall') / med(a_runs, 'wall'):>5.2f} "
            f"{med(a_runs, 'startup'):>8.1f} {useful:>12.0f} {100 * useful / raw_tps:>5.0f}%"
        )
        print(header, *rows, sep="\n", flush=True)


if __name__ == "__main__":
    main()
