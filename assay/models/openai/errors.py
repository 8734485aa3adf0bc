"""Which failed API requests are permanent: authentication, unknown model, a context overflow.

A permanent failure would repeat for every request of the run, so it raises
`PermanentModelError` (the run stops with one message); everything else stays a
per-request error that a rerun retries.
"""

from __future__ import annotations

import re
from typing import Sequence

from assay.errors import PermanentModelError
from assay.models.openai.transport import RequestFailed

_CONTEXT_OVERFLOW = re.compile(
    r"context[ _]length|context[ _]window|context[ _]size|maximum context|exceed_context|"
    r"maximum model length|too many tokens|prompt is too long|reduce the length", re.IGNORECASE)
"""How servers say a request is longer than the context: OpenAI and vLLM ("This model's
maximum context length is N tokens", code context_length_exceeded), llama-cpp-python
("Requested tokens (N) exceed context window of M", served as OpenAI's message), llama.cpp's
own server ("the request exceeds the available context size", exceed_context_size_error)."""


def permanent_error(failed: RequestFailed, model: str, base_url: str,
                    served: Sequence[str] = ()) -> PermanentModelError | None:
    """The `PermanentModelError` a failed request stands for, or None when it is transient
    (or a one-off bad request) and stays a per-request error."""
    status, where = failed.status, f"the server at {base_url}"
    if status in (401, 403):
        return PermanentModelError(
            f"{where} refused the request: HTTP {status} ({'unauthorized' if status == 401 else 'forbidden'})",
            reason="auth", hint="put a valid key in OPENAI_API_KEY, or name the variable that holds it with "
                                "--model-arg api_key_env=VAR")
    if status == 404:
        if "model" in failed.body.lower() or not failed.body:
            known = f"; it serves: {', '.join(served[:10])}" if served else ""
            return PermanentModelError(f"{where} does not know the model '{model}' (HTTP 404){known}",
                                       reason="unknown_model", hint="write the model name as the server lists "
                                                                    "it under /v1/models: openai:NAME@URL")
        return PermanentModelError(f"{where} has no such endpoint: {failed}", reason="unsupported",
                                   hint="check the base URL (it usually ends in /v1)")
    if status in (400, 413, 422) and _CONTEXT_OVERFLOW.search(failed.body or str(failed)):
        return PermanentModelError(f"{where} refused a request longer than the context of '{model}': {failed}",
                                   reason="context_length",
                                   hint="shorten the prompts (e.g. fewer few-shot examples), lower max_tokens, "
                                        "or serve the model with a longer context")
    return None
