"""Model adapters and the registry that turns a spec ("smollm2", "hf:...", "gguf:...") into a Model."""

from assay.models.base import Capabilities, Model, ModelInfo, ModelOptions
from assay.models.registry import adapters, aliases, load_model, register_adapter, register_alias, resolve_spec

__all__ = [
    "Capabilities", "Model", "ModelInfo", "ModelOptions", "adapters", "aliases",
    "load_model", "register_adapter", "register_alias", "resolve_spec",
]
