"""A multi-step run in its own process, for the kill -9 resume test.

    python -m tests.support.multistep_run CACHE OUT_JSON

Each sample is two steps: a chat answer, then a second turn that quotes it (turn 2 depends
on turn 1). The model is the InstantModel slowed to 20 ms a batch, so the test can kill
the process part-way. Writes the records' (sample id, response, scores) and how many
requests reached the model.
"""

from __future__ import annotations

import json
import sys
import time

from assay.core import ChatMessage, Sample, Score, Task, TaskKind
from assay.core.requests import Generate, GenerationParams
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.testing.instant import InstantModel


class SlowModel(InstantModel):
    def generate(self, requests):  # type: ignore[no-untyped-def]
        time.sleep(0.02)
        return super().generate(requests)


def reply(request: Generate) -> str:
    text = " ".join(m.content for m in request.messages or ())
    return f"{len(text) % 7} {'yes' if len(text) % 3 else 'no'}"


class Said:
    name = "said"
    metrics = ("yes",)

    def __call__(self, sample, output):  # type: ignore[no-untyped-def]
        return Score({"yes": float(output.text.endswith("yes"))}, extracted=output.text)


async def two_turns(planned, ctx):  # type: ignore[no-untyped-def]
    first = await ctx.generate(planned.requests[0])
    turn2 = planned.requests[0].messages + (ChatMessage("assistant", first.text), ChatMessage("user", "Sure?"))
    return await ctx.generate(Generate(messages=turn2, params=planned.requests[0].params))


def main() -> None:
    cache_path, out_path = sys.argv[1], sys.argv[2]
    samples = [Sample(id=f"s{i:03d}", input=f"Question number {i * 37}", target="") for i in range(120)]
    task = Task(name="two-turns", version="1", kind=TaskKind.GENERATE, load=lambda: samples, scorers=(Said(),),
                solver=two_turns, generation=GenerationParams(max_tokens=8))
    model = SlowModel(reply=reply)
    cache = ResponseCache(cache_path)
    run = evaluate(model, [task], cache, RunOptions(show_progress=False, chunk_size=4, samples_in_flight=8))
    cache.close()
    rows = [[r.sample_id, r.response, r.scores, len(r.metadata.get("transcript", []))] for r in run.samples]
    with open(out_path, "w") as fh:
        json.dump({"rows": rows, "model_requests": len(model.calls)}, fh)


if __name__ == "__main__":
    main()
