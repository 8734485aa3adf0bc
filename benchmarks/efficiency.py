"""Efficiency of the bundled models, side by side, and a self-consistency curve with its Pareto front.

Part 1 — every bundled model through `hf` (transformers, de-quantized fp32) and `llamacpp`
(in-process, quantized) on the same greedy generation items (arith-gen): median TTFT, median
TPOT, throughput (output tokens over the summed request latency), peak RSS of the process,
median joules per answer and the roofline's measured/ideal ratio (this machine's float32
peak and copy bandwidth measured once, at the start). Each (model, backend) runs in its own
process, so peak RSS is that backend's alone.

These VMs expose no energy counter (no /sys/class/powercap, no NVIDIA GPU): every joule below
is *estimated* as process CPU seconds × ASSAY_WATTS_PER_CORE (default 10 W per busy core),
and the table says so.

Part 2 — test-time scaling: one pool of N_max sampled answers per arith-gen item, reused for
N = 1 … N_max: pass@N, majority@N (self-consistency) and best-of-N (the model's own mean token
log-probability as the verifier), against tokens and estimated joules per item, with the
Pareto front across the models.

    .venv/bin/python benchmarks/efficiency.py                         # both parts
    .venv/bin/python benchmarks/efficiency.py --part 1 --n 6
    .venv/bin/python benchmarks/efficiency.py --part 2 --scale-models llamacpp:qwen2.5-coder-0.5b --scale-n 10

The machine is shared while these run: the load average is printed with every timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

console = Console(width=160)
MODELS = ("smollm2", "gemma3-270m", "qwen2.5-coder-0.5b")
BACKENDS = ("hf", "llamacpp")


def one(model: str, backend: str, n: int, max_tokens: int, machine: dict) -> dict:
    """Run one (model, backend) in this process and return its figures."""
    import assay
    from assay.analyses.efficiency.measures import run_efficiency
    from assay.analyses.efficiency.roofline import Machine, model_shape
    from assay.models import ModelOptions, load_model
    from assay.tasks.resolve import resolve_tasks

    spec = model if backend == "hf" else f"llamacpp:{model}"
    began = time.perf_counter()
    loaded = load_model(spec, ModelOptions())
    load_s = time.perf_counter() - began
    (task,) = resolve_tasks([f"arith-gen:n={n}"])
    task = replace(task, generation=replace(task.generation, max_tokens=max_tokens))
    before = os.getloadavg()
    began = time.perf_counter()
    run = assay.evaluate(loaded, [task], cache=None)
    wall = time.perf_counter() - began
    shape = model_shape(loaded)
    loaded.close()
    eff = run_efficiency(run, shape=shape, machine=Machine(**{**machine, "load_avg": tuple(machine["load_avg"])}))
    t = eff.tasks[0]
    rows = [s for s in run.samples if s.error is None]
    tokens_out = sum(s.tokens_out for s in rows)
    latency = sum(s.latency_s for s in rows)

    def med(name: str) -> float | None:
        q = t.quantiles.get(name)
        return None if q is None else q[0].estimate

    return {"model": model, "backend": backend, "n": len(rows), "load_s": load_s, "wall_s": wall,
            "ttft_s": med("ttft_s"), "tpot_s": med("tpot_s"), "tokens_out": tokens_out,
            "tok_per_s": tokens_out / latency if latency else None, "peak_rss_mb": med("peak_rss_mb"),
            "j_per_answer": med("energy_j"), "energy_kind": t.energy_kind,
            "ideal_ratio": None if t.ideal_ratio is None else t.ideal_ratio[0].estimate,
            "accuracy": t.accuracy, "load_avg": [round(x, 2) for x in (*before, *os.getloadavg())]}


def _fmt(x: float | None, spec: str = ".3g") -> str:
    return "—" if x is None else format(x, spec)


def part1(args: argparse.Namespace) -> None:
    from assay.analyses.efficiency.roofline import measure_machine

    machine = measure_machine(seconds=2.0)
    console.print(f"machine: {machine.peak_flops / 1e9:.1f} GFLOP/s float32 matmul, {machine.bandwidth / 1e9:.1f} GB/s "
                  f"copy bandwidth, {machine.threads} threads, load average {machine.load_avg}")
    results = []
    for model in args.models:
        for backend in BACKENDS:
            cmd = [sys.executable, __file__, "--one", model, backend, "--n", str(args.n),
                   "--max-tokens", str(args.max_tokens), "--machine", json.dumps(machine.to_dict())]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                console.print(f"[red]{model} {backend} timed out[/] after {args.timeout} s "
                              f"(load average {os.getloadavg()[0]:.1f})")
                continue
            line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("{")), None)
            if done.returncode != 0 or line is None:
                console.print(f"[red]{model} {backend} failed[/]: {done.stderr.strip().splitlines()[-1:]}")
                continue
            results.append(json.loads(line))
            console.print(f"  done {model} {backend} ({results[-1]['wall_s']:.0f} s): {line}")  # kept if killed later
    table = Table(title=f"generation on arith-gen ({args.n} items, greedy, max_tokens={args.max_tokens}); "
                        "energy ESTIMATED (no counter on this VM): CPU s × 10 W/core", title_justify="left")
    for col in ("model", "backend", "load s", "TTFT s (median)", "TPOT s (median)", "tokens/s", "peak RSS MiB",
                "J/answer (median)", "energy", "measured/ideal (median)", "acc", "load avg 1-min before/after"):
        table.add_column(col, justify="left" if col in ("model", "backend", "energy") else "right")
    for r in results:
        table.add_row(r["model"], r["backend"], f"{r['load_s']:.1f}", _fmt(r["ttft_s"]), _fmt(r["tpot_s"]),
                      _fmt(r["tok_per_s"]), _fmt(r["peak_rss_mb"], ".0f"), _fmt(r["j_per_answer"]),
                      r["energy_kind"] or "—", _fmt(r["ideal_ratio"], ".3g"), f"{100 * r['accuracy']:.0f}%",
                      f"{r['load_avg'][0]} / {r['load_avg'][3]}")
    console.print(table)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine.to_dict(), "results": results}, indent=2))


def part2(args: argparse.Namespace) -> None:
    from assay.analyses.efficiency.runner import scale_curve
    from assay.analyses.efficiency.scaling import ScaleSettings, Verifier
    from assay.report.efficiency import scale_section, scale_table

    ns = tuple(int(x) for x in args.scale_ns.split(","))
    settings = ScaleSettings(ns=ns, temperature=0.7, max_tokens=args.max_tokens, verifier=Verifier.LOGLIK,
                             subsets=200, seed=0)
    before = os.getloadavg()
    began = time.perf_counter()
    curve = scale_curve(args.scale_models, f"arith-gen:n={args.scale_n}", settings, cache=None)
    wall = time.perf_counter() - began
    console.print(scale_table(curve))
    console.print(f"scaling: {args.scale_n} items x {max(ns)} samples per model in {wall:.0f} s; load average "
                  f"{before[0]:.2f} before, {os.getloadavg()[0]:.2f} after. Energy is ESTIMATED (no counter).")
    if args.html:
        from assay.report.html import write_report

        write_report(list(curve.runs.values()), args.html, title="assay scale: arith-gen",
                     sections=[scale_section(curve)], max_samples=50)
        console.print(f"wrote {args.html}")
    if args.json:
        Path(args.json).with_suffix(".scale.json").write_text(json.dumps(curve.to_dict(), indent=2, default=float))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["1", "2", "both"], default="both")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--n", type=int, default=6, help="items for part 1")
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--scale-models", nargs="+", default=["llamacpp:qwen2.5-coder-0.5b", "llamacpp:smollm2"])
    parser.add_argument("--scale-n", type=int, default=10, help="items for part 2")
    parser.add_argument("--scale-ns", default="1,2,4,8,16")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed to each (model, backend)")
    parser.add_argument("--html", help="write part 2's report here")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "BACKEND"), help=argparse.SUPPRESS)
    parser.add_argument("--machine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], args.n, args.max_tokens, json.loads(args.machine))))
        return
    if args.part in ("1", "both"):
        part1(args)
    if args.part in ("2", "both"):
        part2(args)


if __name__ == "__main__":
    main()
