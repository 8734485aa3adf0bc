"""The `openai:` adapter's settings (`--model-arg KEY=VALUE`), with `body.NAME` keys gathered into one field."""

from __future__ import annotations

import json
from typing import Any, Mapping

from pydantic import Field

from assay.models.settings import AdapterSettings, parse_settings


def _json_or_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class OpenAISettings(AdapterSettings):
    """Settings of `openai:` specs; `body.NAME=VALUE` keys become entries of `body`."""

    api_key_env: str | None = Field(None, description="environment variable holding the API key "
                                                      "(default: OPENAI_API_KEY when set)")
    concurrency: int = Field(4, ge=1, description="requests in flight at once")
    timeout_s: float = Field(120.0, gt=0, description="seconds before a request is abandoned and retried")
    max_retries: int = Field(6, ge=0, description="retries after the first attempt of a request")
    backoff_s: float = Field(0.5, ge=0, description="first backoff wait, doubled per retry (with jitter)")
    stream: bool = Field(True, description="stream single-sample generations (measures time to first token)")
    identity: str | None = Field(None, description="pins what is served (e.g. a checkpoint hash) in the cache key")
    chat: bool = Field(True, description="the server applies a chat template to /chat/completions")
    completions: bool = Field(True, description="the server has /completions (false for chat-only APIs: "
                                                "no log-likelihood, no raw prompts)")
    body: dict[str, Any] = Field(default_factory=dict, description="body.NAME=VALUE: extra request body fields")

    @classmethod
    def setting_names(cls) -> list[str]:
        return sorted([*(name for name in cls.model_fields if name != "body"), "body.NAME"])


def parse_openai_settings(extra: Mapping[str, Any]) -> OpenAISettings:
    """`ModelOptions.extra` as `OpenAISettings`: `body.NAME` keys are gathered into `body`
    (values parsed as JSON when they can be); every other key must be a setting."""
    raw: dict[str, Any] = {}
    body: dict[str, Any] = dict(extra.get("body") or {}) if isinstance(extra.get("body"), Mapping) else {}
    for key, value in extra.items():
        if key.startswith("body.") and len(key) > 5:
            body[key[5:]] = _json_or_text(value)
        elif key != "body" or not isinstance(value, Mapping):
            raw[key] = value
    if body:
        raw["body"] = body
    return parse_settings(OpenAISettings, raw, "openai", names=OpenAISettings.setting_names())
