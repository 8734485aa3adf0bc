"""Few-shot examples as lm-eval 0.4.13 draws them (lm_eval/api/samplers.py).

The pool is `fewshot_config.split` (which wins), `fewshot_split`, `fewshot_config.samples`
(docs written into the file), else the training, validation or test split. `first_n` takes the first k docs of the pool; `default` draws
with one `random.Random(1234)` (lm-eval's default `--fewshot_random_seed`) shared by the
docs in order: `sample(pool, k)`, or, when the few-shot split is the test split,
`sample(pool, k + 1)` without the doc itself (drawn again from the pool without any copy
of the doc if that leaves fewer than k). `first_n` also drops the doc in that case.
"""

from __future__ import annotations

import random
from typing import Any, Mapping

from assay.tasks.lm_eval.config import RawConfig
from assay.tasks.lm_eval.data import Docs

FEWSHOT_SEED = 1234  # lm-eval's default --fewshot_random_seed


def split_docs(config: RawConfig, splits: Mapping[str, Docs], key: str) -> Docs:
    name = config.get(key)
    if name not in splits:
        raise config.error(key, f"{key} '{name}' is not a split of this dataset; it has: {', '.join(sorted(splits))}",
                           hint="local data_files given as a path or list make one split, 'train'")
    if not splits[name]:
        raise config.error(key, f"split '{name}' has no docs")
    return splits[name]


def _fewshot_split(config: RawConfig) -> tuple[str, Any]:
    """The key and value naming the few-shot split: `fewshot_config.split` wins over
    `fewshot_split` (lm-eval 0.4.13's FewshotConfig.from_dict); None when neither is set."""
    fewshot = config.get("fewshot_config")
    if isinstance(fewshot, dict) and fewshot.get("split") is not None:
        return "fewshot_config", fewshot["split"]
    return "fewshot_split", config.get("fewshot_split")


def fewshot_pool(config: RawConfig, splits: Mapping[str, Docs]) -> Docs:
    key, name = _fewshot_split(config)
    if name is not None:
        if name not in splits:
            raise config.error(key, f"few-shot split '{name}' is not a split of this dataset; it has: {', '.join(sorted(splits))}")
        return splits[name]
    samples = (config.get("fewshot_config") or {}).get("samples")
    if samples is not None:  # docs written into the file (GSM8K chain-of-thought style)
        if not isinstance(samples, list) or not all(isinstance(d, dict) for d in samples):
            raise config.error("fewshot_config", "fewshot_config.samples must be a list of docs (mappings)",
                               field_name="fewshot_config.samples")
        return samples
    for key in ("training_split", "validation_split", "test_split"):
        if config.get(key) is not None:
            return split_docs(config, splits, key)
    return []


class ShotDrawer:
    """lm-eval 0.4.13's ContextSampler (`default`) and FirstNSampler over one task's docs, in doc order."""

    def __init__(self, config: RawConfig, pool: Docs, k: int) -> None:
        fewshot = config.get("fewshot_config") or {}
        if not isinstance(fewshot, dict):
            raise config.error("fewshot_config", "fewshot_config must be a mapping")
        unknown = set(fewshot) - {"sampler", "split", "samples"}
        if unknown:
            key = sorted(unknown)[0]
            raise config.error("fewshot_config", f"fewshot_config.{key} is not supported", field_name=f"fewshot_config.{key}",
                               hint="fewshot_config takes sampler (default or first_n), split and samples; few-shot examples "
                                    "use the task's own doc_to_text/doc_to_target/delimiters")
        self.sampler = fewshot.get("sampler", "default")
        if self.sampler not in ("default", "first_n"):
            raise config.error("fewshot_config", f"sampler '{self.sampler}' is not supported (default, first_n)",
                               field_name="fewshot_config.sampler")
        self.pool, self.k = pool, k
        # lm-eval passes the doc for removal only when the few-shot split is the test split.
        self.remove_self = _fewshot_split(config)[1] == config.get("test_split")
        self.rnd = random.Random(FEWSHOT_SEED)
        need = k + (1 if self.sampler == "default" and self.remove_self else 0)
        if k > 0 and len(pool) < need:
            raise config.error("num_fewshot", f"num_fewshot {k} needs {need} few-shot docs, the pool has {len(pool)}",
                               hint="lower num_fewshot, or set fewshot_split to a larger split")

    def draw(self, doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        if self.k == 0:
            return []
        if self.sampler == "first_n":
            pool = [x for x in self.pool if x != doc] if self.remove_self else self.pool
            if len(pool) < self.k:
                raise ValueError(f"first_n needs {self.k} few-shot docs other than this one, the pool has {len(pool)}")
            return pool[: self.k]
        if not self.remove_self:
            return self.rnd.sample(self.pool, self.k)
        shots = [x for x in self.rnd.sample(self.pool, self.k + 1) if x != doc][: self.k]
        if len(shots) < self.k:  # the pool holds copies of this doc: draw again without any
            shots = self.rnd.sample([x for x in self.pool if x != doc], self.k)
        return shots
