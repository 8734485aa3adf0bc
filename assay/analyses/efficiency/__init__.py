"""Efficiency, cost and energy: price tables, per-run measures and cost-of-pass, the
roofline's idealized runtime, and test-time scaling curves with their Pareto fronts.

- `prices`: YAML price tables ($/M tokens or $/hour) and the cost of a request.
- `measures`: per-sample measures and per-task summaries of a run, with cost-of-pass.
- `roofline`: FLOPs and bytes per token from a model's config, the machine's peak FLOP/s and
  bandwidth from a microbenchmark, and each request's idealized time.
- `scaling`: best-of-N, majority vote and pass@N from one pool of N_max samples per item.
"""
