"""The openai adapter's whole-text log-likelihood against a scripted vLLM-style server on
127.0.0.1 whose echo lists the BOS it conditions on (model "bos"), and one that leaves it
out, as llama-cpp-python's server does (model "nobos"). No model."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assay.core import Sample, Task, TaskKind
from assay.core.requests import LoglikelihoodRolling
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.errors import PermanentModelError
from assay.models import ModelOptions, load_model
from assay.scoring.perplexity import PerplexityScorer
from tests.support.aio import run


def _value(token: str) -> float:
    return -0.5 if token.strip() == "Paris" else -0.1 * len(token)


def _echo(text: str, bos: bool) -> dict[str, Any]:
    pieces = [(m.group(), m.start()) for m in re.finditer(r"\s*\S+", text)]
    tokens = [p for p, _ in pieces] + ["."]
    offsets = [o for _, o in pieces] + [len(text)]
    values: list[float | None] = [None] + [_value(t) for t in tokens[1:]]
    if bos:
        tokens, offsets, values = ["<s>"] + tokens, [0] + offsets, [None] + [_value(tokens[0])] + values[1:]
    return {"text": text + ".", "logprobs": {"tokens": tokens, "text_offset": offsets, "token_logprobs": values,
                                            "top_logprobs": [None] * len(tokens)}}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        return None

    def _send(self, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        self._send({"data": [{"id": "bos"}, {"id": "nobos"}]})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["prompt"]
        if body.get("echo"):
            choice = _echo(prompt, bos=body["model"] == "bos")
        else:  # the probe's greedy one-token completion
            choice = {"text": " Paris", "logprobs": {"tokens": [" Paris"], "token_logprobs": [-0.5],
                                                     "text_offset": [len(prompt)], "top_logprobs": [{" Paris": -0.5}]}}
        self._send({"choices": [choice], "usage": {"prompt_tokens": 5, "completion_tokens": 1}})


@pytest.fixture()
def url() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()
    srv.server_close()


def test_a_server_that_echoes_its_bos_scores_every_token(url: str) -> None:
    model = load_model(f"openai:bos@{url}", ModelOptions(extra={"timeout_s": "5"}))
    try:
        assert model.capabilities.loglikelihood_rolling
        text = "We the People"
        [r, empty] = run(model.loglikelihood_rolling([LoglikelihoodRolling(text), LoglikelihoodRolling("")]))
    finally:
        model.close()
    assert r.error is None and r.n_tokens == 3  # "We", " the", " People"; the generated "." is not the text's
    assert r.logprob == pytest.approx(-0.1 * (2 + 4 + 7))
    assert empty.logprob == 0.0 and empty.n_tokens == 0


def test_a_server_that_leaves_out_its_bos_is_refused_before_the_run(url: str) -> None:
    model = load_model(f"openai:nobos@{url}", ModelOptions(extra={"timeout_s": "5"}))
    try:
        caps = model.capabilities
        assert caps.loglikelihood and not caps.loglikelihood_rolling and "first token" in (caps.reason or "")
        task = Task(name="ppl", version="1", kind=TaskKind.PERPLEXITY,
                    load=lambda: [Sample(id="a", input="We the People", target="")], scorers=(PerplexityScorer(),))
        with pytest.raises(PermanentModelError, match="whole texts"):
            evaluate(model, [task], ResponseCache(None), RunOptions(show_progress=False))
    finally:
        model.close()
