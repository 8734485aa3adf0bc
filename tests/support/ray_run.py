"""The scale-out tests' run: SmolLM2 (llama.cpp, one thread) on a small quiz.

`python -m tests.support.ray_run ADDRESS WORKERS CACHE OUT QUIZ` runs it sharded on the Ray
cluster at ADDRESS, throttled 0.5 s per batch so that a test can kill it part-way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SPEC, LIMIT = "llamacpp:smollm2", 8
SETTINGS = {"n_threads": 1, "n_ctx": 512}

_QUIZ = [("Which is a fruit?", ["apple", "chair", "stone"]), ("2 + 3 =", ["5", "6", "7"]),
         ("The sky is", ["blue", "green", "loud"]), ("Water is", ["wet", "dry", "square"]),
         ("A cat says", ["meow", "moo", "quack"]), ("Snow is", ["white", "black", "red"]),
         ("Fire is", ["hot", "cold", "slow"]), ("One plus one is", ["two", "ten", "zero"])]


def write_quiz(directory: Path) -> Path:
    """Eight three-option questions as `quiz.jsonl` (24 short log-likelihood requests)."""
    path = directory / "quiz.jsonl"
    path.write_text("".join(json.dumps({"question": q, "choices": c, "answer": 0}) + "\n" for q, c in _QUIZ))
    return path


if __name__ == "__main__":
    import assay
    from assay.testing.throttle import throttled

    address, workers, cache, out, quiz = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    assay.evaluate(throttled(SPEC, 0.5, **SETTINGS), [quiz], limit=LIMIT, cache=cache, out=out, chunk_size=2,
                   executor=assay.RayExecutor(address=address, workers=workers))
