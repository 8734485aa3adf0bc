"""The transformers adapter (`hf:` and `gguf:` specs): loading, scoring, generation, converted-weights cache."""

from assay.models.hf.adapter import GGUFSettings, HFModel, HFSettings, load_gguf, load_hf
from assay.models.hf.tokens import TokenSetup

__all__ = ["GGUFSettings", "HFModel", "HFSettings", "TokenSetup", "load_gguf", "load_hf"]
