"""A multi-step sample's steps are shown on its dashboard page, one block per step."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

import assay
from assay.core import ChatMessage, Generate, GenerationParams, Sample, Score, Task, TaskKind
from assay.report.display import step_views
from assay.store import ResultsStore
from assay.testing import InstantModel
from assay.web.app import create_app


class Said:
    name = "said"
    metrics = ("ok",)

    def __call__(self, sample, output):  # type: ignore[no-untyped-def]
        return Score({"ok": 1.0})


async def two_turns(planned, ctx):  # type: ignore[no-untyped-def]
    first = await ctx.generate(planned.requests[0])
    turn2 = planned.requests[0].messages + (ChatMessage("assistant", first.text), ChatMessage("user", "Sure?"))
    return await ctx.generate(Generate(messages=turn2, params=GenerationParams(max_tokens=4)))


def test_steps_of_a_two_turn_sample_render_on_its_page(tmp_path: Path) -> None:
    samples = [Sample(id="q1", input="What is 6 x 7?", target="42")]
    task = Task(name="chat2", version="1", kind=TaskKind.GENERATE, load=lambda: samples, scorers=(Said(),),
                solver=two_turns)
    run = assay.evaluate(InstantModel(), [task], cache=None, out=tmp_path / "run", store=tmp_path / "store.sqlite")
    views = step_views(run.samples[0].metadata)
    assert [v["number"] for v in views] == [1, 2]
    assert views[1]["asked"][0].splitlines() == ["[user] What is 6 x 7?", "[assistant] 42", "[user] Sure?"]

    with ResultsStore(tmp_path / "store.sqlite") as store:
        client = TestClient(create_app(store), base_url="http://127.0.0.1")
        page = client.get(f"/runs/{run.run_id}/samples/chat2/q1")
        assert page.status_code == 200
        html = page.text
        assert 'id="sample-steps"' in html and html.count('class="step-asked"') == 2
        assert "[assistant] 42" in html and "→ 42" in html
