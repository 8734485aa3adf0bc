"""An agent run in its own process, for the kill -9 resume test.

    python -m tests.support.agent_run CACHE OUT_JSON

Episodes of the `tools` environment played by the scripted oracle agent behind an
InstantModel slowed to 20 ms a batch, a few samples at a time, so the test can kill the
process in the middle of episodes. Writes each record's (sample id, outcome, scores,
trajectory) and how many requests reached the model.
"""

from __future__ import annotations

import json
import sys
import time

from assay.agents.tasks import make_env_task
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.testing.instant import InstantModel
from tests.support.scripted_agents import tools_oracle


class SlowModel(InstantModel):
    def generate(self, requests):  # type: ignore[no-untyped-def]
        time.sleep(0.02)
        return super().generate(requests)


def main() -> None:
    cache_path, out_path = sys.argv[1], sys.argv[2]
    task = make_env_task("tools", {"n": 60})
    model = SlowModel(reply=tools_oracle)
    cache = ResponseCache(cache_path)
    run = evaluate(model, [task], cache, RunOptions(show_progress=False, chunk_size=2, samples_in_flight=4))
    cache.close()
    rows = [[r.sample_id, r.metadata["episode"]["outcome"], r.scores, r.metadata["trajectory"]] for r in run.samples]
    with open(out_path, "w") as fh:
        json.dump({"rows": rows, "model_requests": len(model.calls)}, fh, default=str)


if __name__ == "__main__":
    main()
