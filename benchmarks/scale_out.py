"""Scale-out on Ray (issue 19): throughput with 1, 2, 4 actors, and the driver's overhead per request.

    .venv/bin/python benchmarks/scale_out.py                   # both parts, 1/2/4 actors
    .venv/bin/python benchmarks/scale_out.py --skip-model      # only the instant-model overhead

Part 1, a real model: SmolLM2 (llama.cpp in process, one thread per actor) scoring
`arith-mc` items, in this process (no Ray) and sharded over 1, 2 and 4 Ray actors on a
private local Ray instance. Items/s count the run only (the actors' model loads are reported
apart). On a 2-core machine this is CPU-bound: expect little gain past 2 actors.

Part 2, the driver's overhead: `assay.testing.InstantModel` (answers at once) on the same
path, so the time per request is what the driver, Ray and the actors add: the unit's trip to
its actor and back, the cache write and the scoring. That figure bounds how many requests
per second one driver can feed a cluster (see benchmarks/README.md for the projection).
Every sharded run is checked against the in-process one with `verify_runs`.

Prints `os.getloadavg()` with the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import time
from pathlib import Path

import assay
from assay.testing.instant import InstantModel

SPEC, SETTINGS = "llamacpp:smollm2", {"n_threads": 1, "n_ctx": 512}


def _timed(model, tasks, out: Path, executor=None, chunk_size: int = 64) -> tuple[assay.Run, float, float]:
    """The run, its seconds excluding the model load, and the load's seconds."""
    began = time.perf_counter()
    run = assay.evaluate(model, tasks, cache=None, out=out, executor=executor, chunk_size=chunk_size,
                         model_args=SETTINGS if isinstance(model, str) else None)
    wall = time.perf_counter() - began
    load = float(run.manifest.get("model_load_seconds") or 0.0)
    return run, wall - load, load


def _row(label: str, actors: str, run: assay.Run, seconds: float, load: float, same: str) -> str:
    n = len(run.samples)
    requests = int(run.manifest["requests"]["requests"])
    return (f"| {label} | {actors} | {n} | {requests} | {n / seconds:.3g} | {1000 * seconds / requests:.2f} | "
            f"{load:.1f} | {same} | {' / '.join(f'{x:.1f}' for x in os.getloadavg())} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", default="1,2,4")
    parser.add_argument("--n-model", type=int, default=24, help="arith-mc items for the SmolLM2 part")
    parser.add_argument("--n-instant", type=int, default=500, help="logic-mc items for the overhead part")
    parser.add_argument("--skip-model", action="store_true")
    args = parser.parse_args()
    import ray

    actors = [int(a) for a in args.actors.split(",")]
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=max(actors), include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    print(f"cpus: {os.cpu_count()}, ray {ray.__version__}, load average at start: {os.getloadavg()}")
    print("| part | actors | items | requests | items/s | ms/request | load s | == in-process | loadavg 1/5/15 |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        parts = [] if args.skip_model else [("SmolLM2 (llama.cpp, 1 thread/actor)", SPEC,
                                             [f"arith-mc:n={args.n_model}"], 8)]
        parts.append(("instant model (driver overhead)", functools.partial(InstantModel),
                      [f"logic-mc:n={args.n_instant}"], 64))
        for label, model, tasks, chunk in parts:
            local_model = model if isinstance(model, str) else model()
            _timed(local_model, tasks, root / "warm-up", chunk_size=chunk)  # imports, item generation: not timed
            base, seconds, load = _timed(local_model, tasks, root / f"{len(label)}-local", chunk_size=chunk)
            print(_row(label, "in-process", base, seconds, load, "-"), flush=True)
            for n in actors:
                out = root / f"{len(label)}-ray{n}"
                run, seconds, load = _timed(model, tasks, out, chunk_size=chunk,
                                            executor=assay.RayExecutor(workers=n))
                check = assay.verify_runs(root / f"{len(label)}-local", out)
                print(_row(label, str(n), run, seconds, load, "yes" if check.identical else
                           f"NO ({check.n_differences})"), flush=True)
    ray.shutdown()


if __name__ == "__main__":
    main()
