"""Real runs for store, report and dashboard tests, made by the engine with the instant adapter.

Built-in suites give real prompts and metadata (family, skills, difficulty); the `say` task
is a generation task whose answers depend on the model's `skill`, so two models differ item
by item. `hostile=True` makes every generated response an XSS payload, and `secrets=True`
puts an API key into the manifest (as a setting, an environment value and a command-line
flag): neither may ever run or show in a page. `formats` adds prompt-format variants of
tasks named `TASK@FORMAT_ID`, exactly as `assay run --formats K` evaluates them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from assay.analyses.robustness.runner import format_variants
from assay.core import Completion, Sample, Score, Task, TaskKind
from assay.core.format import PromptFormat
from assay.core.requests import Generate, GenerationParams
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.store import write_run_dir
from assay.tasks.resolve import resolve_tasks
from assay.testing import InstantModel

SECRET = "sk-assaytest-0123456789abcdefSECRET"
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
HOSTILE_ID = "<img src=x onerror=window.__pwned=3>"
BUILTIN = ("arith-mc:n=40", "logic-mc:n=30", "arith-gen:n=20")


class EqualsScorer:
    name = "equals"
    metrics = ("exact_match",)

    def __call__(self, sample: Sample, output: Completion) -> Score:
        text = output.text.strip()
        return Score({"exact_match": float(text == sample.target)}, extracted=text)


def say_task(n: int = 60, hostile_id: bool = False) -> Task:
    samples = [
        Sample(id=HOSTILE_ID if hostile_id and i == 0 else f"say-{i:03d}", input=f"Say {100 + i}",
               target=str(100 + i),
               metadata={"family": "echo", "skills": ["copy"] + (["long"] if i % 2 else []),
                         "difficulty": 1 + i % 3, "group": f"say-{i}"})
        for i in range(n)
    ]
    return Task(name="say", version="1", kind=TaskKind.GENERATE, load=lambda: samples, scorers=(EqualsScorer(),),
                generation=GenerationParams(max_tokens=8))


def replier(skill: float, hostile: bool = False):  # type: ignore[no-untyped-def]
    """Answers `Say N` correctly for a deterministic share `skill` of the items."""
    def reply(request: Generate) -> str:
        if hostile:
            return HOSTILE
        text = request.prompt or " ".join(m.content for m in request.messages or ())
        numbers = re.findall(r"Say (\d+)", text)
        if not numbers:
            return "42"
        n = int(numbers[-1])
        return str(n) if (n * 7919) % 100 < skill * 100 else "0"
    return reply


def make_run(out: Path, model: str, *, skill: float = 0.5, builtin: Sequence[str] = BUILTIN, say_n: int = 60,
             hostile: bool = False, secrets: bool = False, formats: Sequence[PromptFormat] = ()) -> Path:
    """Evaluate InstantModel `model` and write the run directory `out`; with `formats`, the
    `say` task is evaluated again under each of them (as variants `say@FORMAT_ID`)."""
    say = say_task(say_n, hostile_id=hostile)
    tasks = list(resolve_tasks(list(builtin))) + [say] + format_variants(say, formats)
    extra = {}
    if secrets:
        extra = {"api_key": SECRET, "env": {"OPENAI_API_KEY": SECRET, "HOME": "/home/someone"},
                 "command": ["assay", "run", "openai:gpt", "--api-key", SECRET, f"--token={SECRET}"],
                 "endpoint": f"https://user:{SECRET}@example.invalid/v1"}
    run = evaluate(InstantModel(name=model, reply=replier(skill, hostile)), tasks, ResponseCache(None),
                   RunOptions(show_progress=False), model_spec=model, manifest_extra=extra)
    return write_run_dir(run, out)


def make_formats_run(out: Path, model: str = "instant", *, k: int = 3, suites: Sequence[str] = ("arith-mc:n=12",),
                     seed: int = 0) -> Path:
    """What `assay run MODEL SUITES --formats K` writes: every task once per sampled format."""
    from assay.tasks.format_grammar import sample_formats

    formats = sample_formats(k, seed)
    tasks = [v for t in resolve_tasks(list(suites)) for v in format_variants(t, formats)]
    run = evaluate(InstantModel(name=model), tasks, ResponseCache(None), RunOptions(show_progress=False),
                   model_spec=model)
    return write_run_dir(run, out)
