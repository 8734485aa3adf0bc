"""The `openai:` adapter (any OpenAI-compatible server), its retrying transport and echo log-prob reading."""

from assay.models.openai.adapter import OpenAIModel, parse_spec
from assay.models.openai.errors import permanent_error
from assay.models.openai.settings import OpenAISettings, parse_openai_settings
from assay.models.openai.transport import RequestFailed, RetryingClient, RetryPolicy, TransportCounters

__all__ = ["OpenAIModel", "OpenAISettings", "RequestFailed", "RetryPolicy", "RetryingClient", "TransportCounters",
           "parse_openai_settings", "parse_spec", "permanent_error"]
