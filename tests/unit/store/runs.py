"""Real runs for store, report and dashboard tests, made by the engine with the instant adapter.

Built-in suites give real prompts and metadata (family, skills, difficulty); the `say` task
is a generation task whose answers depend on the model's `skill`, so two models differ item
by item. `hostile=True` makes every generated response an XSS payload, and `secrets=True`
puts an API key into the manifest (as a setting, an environment value and a command-line
flag): neither may ever run or show in a page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Sequence

from assay.core import Completion, Sample, Score, Task, TaskKind
from assay.core.requests import Generate, GenerationParams
from assay.engine.cache import ResponseCache
from assay.engine.outputs import write_run
from assay.engine.run import RunOptions, evaluate
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
             hostile: bool = False, secrets: bool = False) -> Path:
    """Evaluate InstantModel `model` and write the run directory `out`."""
    tasks = list(resolve_tasks(list(builtin))) + [say_task(say_n, hostile_id=hostile)]
    extra = {}
    if secrets:
        extra = {"api_key": SECRET, "env": {"OPENAI_API_KEY": SECRET, "HOME": "/home/someone"},
                 "command": ["assay", "run", "openai:gpt", "--api-key", SECRET, f"--token={SECRET}"],
                 "endpoint": f"https://user:{SECRET}@example.invalid/v1"}
    run = evaluate(InstantModel(name=model, reply=replier(skill, hostile)), tasks, ResponseCache(None),
                   RunOptions(show_progress=False), model_spec=model, manifest_extra=extra)
    return write_run(run, out)


def add_format(run_dir: Path, task: str = "say", fmt: str = "lowercase", flip_every: int = 3) -> None:
    """Append a second prompt format of `task` to a run directory (as robustness runs will
    write), with every `flip_every`-th score flipped so the formats disagree."""
    path = run_dir / "samples.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    extra = []
    for i, row in enumerate(r for r in rows if r["task"] == task):
        copy = json.loads(json.dumps(row))
        copy["format"] = fmt
        if i % flip_every == 0:
            copy["scores"] = {k: (None if v is None else 1.0 - v) for k, v in copy["scores"].items()}
        extra.append(copy)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows + extra))
