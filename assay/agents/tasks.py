"""Environments as tasks: `env:NAME:opt=value,...` on the command line, or a task file with
an `env:` key. Each sample is one episode (an environment seed), repeated `trials` times
for pass^k and the trial-to-trial variance; the trials of one seed share a group id, so
every interval is clustered by episode.

Options: `n` episodes, `seed`, `trials`, `temperature`, `max_turns`, `max_tokens`,
`max_seconds`, `max_cost`, `max_errors`, `price_in` / `price_out` (per million tokens),
`reply_tokens`, `protocol` (text | native tool calls), for games `players` (seats joined by `+`: `agent+tit-for-tat`),
for judged environments (mtbench) `judge` (a model spec) and `judge_tokens`, and any
environment parameter (`kind`, `rounds`, `retrieval`, `k`, `agents`, `category`, `game`, ...).
`max_turns` defaults to the environment's `default_max_turns` (BFCL multi-turn: 40), else 10.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from assay.agents.episode import BASE_METRICS, EpisodeScorer
from assay.agents.games import Seats, game_solver
from assay.agents.loop import AgentConfig, Budget, react_solver
from assay.core.requests import GenerationParams
from assay.core.sample import Sample
from assay.core.task import Task, TaskKind
from assay.envs.base import MultiAgentEnvironment
from assay.envs.registry import env_class, env_names
from assay.errors import ConfigError, UnknownNameError

_INT = ("n", "seed", "trials", "max_turns", "max_tokens", "max_errors", "reply_tokens", "judge_tokens")
DEFAULT_JUDGE = "qwen2.5-coder-0.5b"  # as the mt-bench task: the strongest bundled model (a weak judge)
_FLOAT = ("temperature", "max_seconds", "max_cost", "price_in", "price_out")
DEFAULT_PLAYERS = {"prisoners-dilemma": "agent+tit-for-tat", "public-goods": "agent+tit-for-tat+always-defect",
                   "cost-sharing": "agent+tit-for-tat+random", "bargaining": "agent+fair", "swarm": "agent+agent+agent",
                   "textarena": "agent+random"}


def _coerce(name: str, key: str, value: Any) -> Any:
    try:
        if key in _INT:
            return int(value)
        if key in _FLOAT:
            return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"'{value}' is not a number", field=f"env:{name}:{key}") from None
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def parse_env_options(name: str, text: str) -> dict[str, Any]:
    """`n=5,trials=3,kind=lookup` to typed options (ConfigError naming the bad one)."""
    options: dict[str, Any] = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ConfigError(f"bad option '{part}' for env:{name}", field=part,
                              hint="options are KEY=VALUE joined by commas, e.g. env:tools:n=10,trials=3")
        options[key.strip()] = _coerce(name, key.strip(), value.strip())
    return options


def make_env_task(name: str, options: Mapping[str, Any] | None = None, *,
                  models: Mapping[str, Any] | None = None) -> Task:
    """The task that plays `options['n']` episodes of environment `name`, each `trials`
    times. `models` names the other model objects a game's `players` may seat."""
    try:
        cls = env_class(name)
    except KeyError:
        raise UnknownNameError("environment", name, env_names()) from None
    opts = dict(options or {})
    n, seed, trials = int(opts.pop("n", 20)), int(opts.pop("seed", 0)), int(opts.pop("trials", 1))
    if n < 1 or trials < 1:
        raise ConfigError("n and trials must be at least 1", field=f"env:{name}")
    budget = Budget(max_turns=int(opts.pop("max_turns", getattr(cls, "default_max_turns", 10))), max_tokens=opts.pop("max_tokens", None),
                    max_seconds=opts.pop("max_seconds", None), max_cost=opts.pop("max_cost", None),
                    max_errors=int(opts.pop("max_errors", 3)), price_in=float(opts.pop("price_in", 0.0)),
                    price_out=float(opts.pop("price_out", 0.0)))
    protocol = str(opts.pop("protocol", "text"))
    if protocol not in ("text", "native"):
        raise ConfigError(f"protocol must be text or native, not '{protocol}'", field=f"env:{name}:protocol")
    judge = _judge(cls, opts.pop("judge", None), models)
    config = AgentConfig(budget=budget, max_tokens_per_turn=int(opts.pop("reply_tokens", 192)),
                         temperature=float(opts.pop("temperature", 0.0)), protocol=protocol, judge=judge,
                         judge_max_tokens=int(opts.pop("judge_tokens", 256)))
    players = str(opts.pop("players", DEFAULT_PLAYERS.get(name, "agent")))
    env_params = dict(opts)
    try:
        probe = cls(**env_params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad parameter for environment {name}: {exc}", field=f"env:{name}") from None

    def make(meta: Mapping[str, Any]) -> Any:
        return cls(**meta.get("env_params", {}))

    if isinstance(probe, MultiAgentEnvironment):
        seats = Seats(tuple(players.split("+")), dict(models or {}))
        if len(seats.players) != probe.n_players:
            raise ConfigError(f"{name} has {probe.n_players} seats but players={players} names {len(seats.players)}",
                              field=f"env:{name}:players", hint="seats are joined by '+', e.g. agent+tit-for-tat")
        solver = game_solver(make, seats, config)
    else:
        solver = react_solver(make, config)
    metrics = BASE_METRICS + tuple(m for m in probe.metrics if m not in BASE_METRICS)

    def load() -> list[Sample]:
        samples = []
        for i in range(n):
            episode_seed = seed * 100_003 + i
            for trial in range(trials):
                env = cls(**env_params)
                first = env.reset(episode_seed)
                text = first if isinstance(first, str) else first[0]
                samples.append(Sample(id=f"{name}-{i}" + (f"-t{trial}" if trials > 1 else ""), input=text, target="",
                                      metadata={"env": name, "seed": episode_seed, "trial": trial, "group": f"{name}-{i}",
                                                "env_params": env_params}))
        return samples

    suffix = "" if not env_params else ":" + ",".join(f"{k}={v}" for k, v in sorted(env_params.items()))
    return Task(name=f"env:{name}{suffix}", version="1", kind=TaskKind.GENERATE, load=load,
                scorers=(EpisodeScorer(metrics),), generation=GenerationParams(max_tokens=config.max_tokens_per_turn),
                family="agents", description=cls.description, solver=solver, chat=True,
                source={"env": name, "n": n, "seed": seed, "trials": trials, "players": players,
                        "params": env_params, "budget": budget.to_dict(), "temperature": config.temperature,
                        "protocol": protocol, **({"judge": _judge_name(judge)} if judge is not None else {})})


def _judge(cls: type, spec: Any, models: Mapping[str, Any] | None) -> Any:
    """The judge of a judged environment: `models["judge"]`, else the model named by the
    `judge` option (loaded on its first request), else the default judge; None otherwise."""
    if not getattr(cls, "needs_judge", False):
        if spec is not None:
            raise ConfigError(f"environment {cls.name} has no judge", field=f"env:{cls.name}:judge")
        return None
    if models and "judge" in models:
        return models["judge"]
    from assay.scoring.judges.lazy import LazyModel

    return LazyModel(str(spec or DEFAULT_JUDGE))


def _judge_name(judge: Any) -> str:
    spec = getattr(judge, "spec", None)
    return str(spec) if spec else str(getattr(getattr(judge, "info", None), "name", type(judge).__name__))


def resolve_env_task(spec: str) -> Task:
    """`NAME:opt=value,...` (what follows `env:` on the command line) to its task."""
    name, _, opts = spec.partition(":")
    return make_env_task(name, parse_env_options(name, opts))


def env_task_file(path: Path) -> Task | None:
    """The environment task a YAML file describes, or None when it has no `env:` key (then
    it is an ordinary task file). Unreadable files answer None: the task-file loader
    reports them with its own line-precise errors."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict) or "env" not in data:
        return None
    return load_env_task_file(Path(path), data)


def load_env_task_file(path: Path, data: Mapping[str, Any]) -> Task:
    """A task file whose `env:` key names an environment; `options:` holds its options."""
    options = data.get("options") or {}
    if not isinstance(options, Mapping):
        raise ConfigError("options must be a mapping", file=path, field="options")
    unknown = set(data) - {"env", "options", "name", "description"}
    if unknown:
        raise ConfigError(f"unknown keys {sorted(unknown)}", file=path, field=sorted(unknown)[0],
                          hint="an environment task file has env, options, name and description")
    name = str(data["env"])
    typed = {k: _coerce(name, k, v) for k, v in options.items()}
    try:
        task = make_env_task(name, typed)
    except ConfigError as exc:
        raise ConfigError(exc.message, file=path, field=exc.field or "options", hint=exc.hint) from None
    if data.get("name"):
        from dataclasses import replace

        task = replace(task, name=str(data["name"]))
    return task
