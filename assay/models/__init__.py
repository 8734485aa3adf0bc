"""Model adapters and the registry that turns a spec ("smollm2", "hf:...", "gguf:...") into a Model."""

from assay.models.base import (
    AsyncModel,
    BatchModel,
    Capabilities,
    Model,
    ModelInfo,
    ModelOptions,
    check_capabilities,
    is_async_model,
)
from assay.models.registry import (
    adapter_settings,
    adapters,
    aliases,
    load_model,
    register_adapter,
    register_alias,
    resolve_spec,
)

__all__ = [
    "AsyncModel", "BatchModel", "Capabilities", "Model", "ModelInfo", "ModelOptions", "adapter_settings",
    "adapters", "aliases", "check_capabilities", "is_async_model", "load_model", "register_adapter",
    "register_alias", "resolve_spec",
]
