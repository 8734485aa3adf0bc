"""`python -m tests.support.store_writer STORE_URL OUT NAME`: one "machine" of the concurrent
writers test: a small instant-model run saved to the shared results store."""

from __future__ import annotations

import sys

import assay
from assay.testing.instant import InstantModel

if __name__ == "__main__":
    store, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
    messages: list[str] = []
    run = assay.evaluate(InstantModel(name=name), ["arith-mc:n=6", "logic-mc:n=4"], cache=None, out=out, store=store,
                         on_message=messages.append)
    if not any("saved run" in m for m in messages):
        sys.exit(f"not stored: {messages}")
    print(run.run_id)
