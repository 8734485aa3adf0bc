"""Integrity checks measured on text with known membership, and the overlap scanner's speed.

Parts (run one or all):
- membership: for each bundled model, every membership score's AUROC (with its stratified
  bootstrap 95% CI) between surely-seen passages (Debian's licence texts, the Zen of Python,
  standard-library docstrings) and passages no model can have seen (random well-formed
  sentences from a seeded grammar), TPR at 5% FPR, and the FPR of a threshold calibrated on
  half the clean passages measured on the other half. Passages are `--words` words (about
  1.3 tokens a word: 64-256 tokens). The reference score of each model uses the other.
- guessing: TS-Guessing (a rare word masked) on the same seen and unseen passages.
- rewrites: the rewrite gap (distractor, rename) of SmolLM2 on built-in suites, which no
  model can have seen: it should be near zero.
- overlap: MB/s of `scan_overlap` on generated corpora of 256 MB and 1 GB (sentences drawn
  from the licence texts, with planted copies and near-copies of benchmark items), exact
  13-grams only and with MinHash near-duplicates (Jaccard threshold 0.4: a near-copy with one
  word in 13 changed, so that no 13-gram survives, has a 5-shingle Jaccard of ~0.44); the
  planted items must all be found and nothing else flagged.

    .venv/bin/python benchmarks/integrity.py --part all

torch runs on one thread here: on a shared, loaded 2-core machine two threads were measured
4x slower than one (OpenMP threads spin while the other is descheduled).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

MODELS = ("smollm2", "gemma3-270m")


def _load() -> str:
    return "load average %.1f %.1f %.1f" % os.getloadavg()


def _models(names):  # type: ignore[no-untyped-def]
    import torch

    from assay.models import load_model

    torch.set_num_threads(1)
    return {name: load_model(name) for name in names}


def part_membership(args: argparse.Namespace, models: dict) -> None:  # type: ignore[type-arg]
    from assay.analyses.integrity.membership import score_membership, separation, with_reference
    from assay.analyses.integrity.probes import seen_passages, unseen_passages
    from assay.stats.detection import calibrate_on_clean

    seen = seen_passages(args.n, words=args.words, seed=args.seed)
    unseen = unseen_passages(args.n, words=args.words, seed=args.seed)
    print(f"\n## membership: {len(seen)} seen vs {len(unseen)} unseen passages of {args.words} words ({_load()})")
    scored = {}
    for name, model in models.items():
        started = time.perf_counter()
        s = score_membership(model, [t for _, t in seen], [i for i, _ in seen], progress=True)
        u = score_membership(model, [t for _, t in unseen], [i for i, _ in unseen], progress=True)
        scored[name] = (s, u)
        toks = [x.n_tokens for x in s + u]
        print(f"{name}: scored in {time.perf_counter() - started:.0f} s ({_load()}); tokens per passage "
              f"min {min(toks)} median {int(np.median(toks))} max {max(toks)}")
    names = list(models)
    for name in names:
        s, u = scored[name]
        others = [o for o in names if o != name]
        if others:
            rs, ru = scored[others[0]]
            s, u = with_reference(s, rs), with_reference(u, ru)
        print(f"\n{name} (reference model: {others[0] if others else 'none'})")
        print("| score | AUROC [95% CI] | TPR @ 5% FPR [95% CI] | threshold | clean-calibrated FPR (held out) [95% CI] |")
        print("|---|---|---|---|---|")
        for r in separation(s, u, 0.05, n_resamples=2000, seed=args.seed):
            clean = np.array([x.scores[r.name] for x in u])
            cal = calibrate_on_clean(clean, 0.05, rng=args.seed)
            print(f"| {r.name} | {r.auroc.estimate:.3f} [{r.auroc.low:.3f}, {r.auroc.high:.3f}] | "
                  f"{100 * r.tpr.estimate:.1f} [{100 * r.tpr.low:.1f}, {100 * r.tpr.high:.1f}] % | {r.threshold:.4f} | "
                  f"{100 * cal.fpr.estimate:.1f} [{100 * cal.fpr.low:.1f}, {100 * cal.fpr.high:.1f}] % |")


def part_guessing(args: argparse.Namespace, models: dict) -> None:  # type: ignore[type-arg]
    from assay.analyses.integrity.guessing import guess_items, guess_report, guessing_task
    from assay.analyses.integrity.probes import seen_passages, unseen_passages
    from assay.core.sample import Sample
    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions, evaluate

    sets = {"seen": seen_passages(args.n, words=args.words, seed=args.seed),
            "unseen": unseen_passages(args.n, words=args.words, seed=args.seed)}
    style = "text up to the word, continued" if args.continuation else "instructed fill-in"
    print(f"\n## TS-Guessing (a rare word masked; {style}), {args.n} passages each ({_load()})")
    print("| model | seen: exact match % [95% CI] | unseen: exact match % [95% CI] | seen verbatim examples |")
    print("|---|---|---|---|")
    cache = ResponseCache(None)
    for name, model in models.items():
        cells, examples = [], ""
        for label, pairs in sets.items():
            items = guess_items([Sample(i, t, "") for i, t in pairs], args.seed, continuation=args.continuation)
            task = guessing_task(f"probe-{label}@ts-guess", items, max_tokens=8)
            run = evaluate(model, [task], cache, RunOptions(show_progress=False))
            rep = guess_report(label, run.rows(task.name))
            cells.append(f"{100 * rep.rate.estimate:.1f} [{100 * rep.rate.low:.1f}, {100 * rep.rate.high:.1f}] (n={rep.n})")
            if label == "seen":
                examples = ", ".join(f"{v['id']}: {v['hidden']}" for v in rep.verbatim[:4]) or "—"
        print(f"| {name} | {cells[0]} | {cells[1]} | {examples} |")
    cache.close()


def part_rewrites(args: argparse.Namespace, models: dict) -> None:  # type: ignore[type-arg]
    from assay.analyses.integrity.rewrites import run_rewrite_gap
    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions
    from assay.tasks.builtin import make_builtin

    print(f"\n## rewrite gap on built-in suites, {args.rewrite_n} items each ({_load()})")
    print("| model | suite | rewrite | original % | rewritten % | gap, points [95% CI] | p |")
    print("|---|---|---|---|---|---|---|")
    cache = ResponseCache(None)
    name = next(iter(models))
    for suite in ("logic-mc", "fiction-mc", "arith-mc"):
        task = make_builtin(suite, args.rewrite_n, args.seed)
        for r in run_rewrite_gap(models[name], task, cache, RunOptions(show_progress=False), seed=args.seed):
            c = r.comparison
            print(f"| {name} | {suite} | {r.perturbation} | {100 * r.original:.1f} | {100 * r.rewritten:.1f} | "
                  f"{100 * r.drop:+.1f} [{-100 * c.ci_high:+.1f}, {-100 * c.ci_low:+.1f}] | {c.p_value:.2f} |")
    cache.close()


def _sentence_pool() -> list[str]:
    pool = []
    for p in sorted(Path("/usr/share/common-licenses").iterdir()):
        if p.is_file():
            text = " ".join(p.read_text(errors="replace").split())
            pool += [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 3]
    return pool


def _generate(path: Path, size: int, planted: list[str], seed: int) -> None:
    """`size` bytes of sentences drawn at random from the licence texts, with each planted
    text inserted once at a random place."""
    rng = random.Random(seed)
    pool = _sentence_pool()
    places = sorted(rng.sample(range(max(1, size // 1_000_000)), len(planted)))
    with open(path, "w") as fh:
        written, block, k = 0, 0, 0
        while written < size:
            text = " ".join(rng.choices(pool, k=8000)) + "\n"
            while k < len(places) and places[k] <= block:
                text += planted[k] + "\n"
                k += 1
            fh.write(text)
            written += len(text)
            block = written // 1_000_000


def part_overlap(args: argparse.Namespace) -> None:
    from assay.analyses.integrity import OverlapConfig, scan_overlap, task_items
    from assay.tasks.resolve import resolve_tasks

    items = task_items(resolve_tasks(["logic-mc:n=100", "fiction-mc:n=100", "word-mc:n=100"], seed=args.seed))
    rng = random.Random(args.seed)
    chosen = rng.sample(items, 20)
    planted = []
    folder = Path(args.tmp) / "assay-integrity-corpus"
    folder.mkdir(parents=True, exist_ok=True)
    for i, item in enumerate(chosen):
        words = item.text.split()
        if i % 2:  # a near-copy: one word in 13 replaced, so no 13-gram survives (5-shingle Jaccard ~0.44)
            words = [("zzq" if j % 13 == 6 else w) for j, w in enumerate(words)]
        planted.append(" ".join(words))
    # The suites are templated, so an item can share a 13-gram with a planted one: which items
    # the planted texts alone flag is the expected answer; anything else flagged is a false positive.
    alone = folder / "planted.txt"
    alone.write_text("\n".join(planted) + "\n")
    config = OverlapConfig(threshold=0.4)
    expected = {i.id for i in scan_overlap(items, [str(alone)], config).flagged}
    print(f"\n## overlap scan: {len(items)} items, 20 planted (10 exact, 10 near-copies); {len(expected)} items "
          f"overlap the planted texts ({_load()})")
    print("| corpus | mode | seconds | MB/s | MB per CPU-second | exact copies found | near-copies found | "
          "expected flags found | false flags | load average |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    try:
        for size_mb in args.sizes:
            path = folder / f"corpus-{size_mb}mb.txt"
            _generate(path, size_mb * 1_000_000, planted, args.seed)
            modes = [False, True] if size_mb <= args.near_up_to else [False]
            for near in modes:
                load = _load()
                cpu = time.process_time()
                rep = scan_overlap(items, [str(path)], replace(config, near_duplicates=near), progress=True)
                cpu = time.process_time() - cpu
                found = {i.id: i for i in rep.items}
                exact = sum(found[c.id].exact for c in chosen[0::2])
                near_found = sum(found[c.id].near for c in chosen[1::2])
                flagged = {i.id for i in rep.flagged}
                print(f"| {rep.corpus.bytes / 1e6:.0f} MB | {'13-gram + MinHash' if near else '13-gram'} | "
                      f"{rep.seconds:.1f} | {rep.mb_per_s:.1f} | {rep.corpus.bytes / 1e6 / cpu:.1f} | {exact}/10 | "
                      f"{near_found if near else '—'}/10 | "
                      f"{len(flagged & expected)}/{len(expected)} | {len(flagged - expected)} | {load} |")
            path.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["membership", "guessing", "rewrites", "overlap", "all"], default="all")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--n", type=int, default=40, help="passages per set")
    parser.add_argument("--words", type=int, default=100, help="words per passage")
    parser.add_argument("--rewrite-n", type=int, default=40)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024], help="corpus sizes in MB")
    parser.add_argument("--near-up-to", type=int, default=256, help="largest corpus (MB) also scanned with MinHash")
    parser.add_argument("--tmp", default="/tmp")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--continuation", action="store_true",
                        help="guessing: the text up to the hidden word is continued (not an instructed fill-in)")
    args = parser.parse_args()
    if args.part in ("overlap", "all"):
        part_overlap(args)
    if args.part in ("membership", "guessing", "rewrites", "all"):
        models = _models(args.models if args.part != "rewrites" else args.models[:1])
        if args.part in ("membership", "all"):
            part_membership(args, models)
        if args.part in ("guessing", "all"):
            part_guessing(args, models)
        if args.part in ("rewrites", "all"):
            part_rewrites(args, models)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
