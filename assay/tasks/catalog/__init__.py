"""The benchmark catalog: MMLU, ARC, HellaSwag, GSM8K, TruthfulQA, IFEval and the rest as
built-in tasks with lm-evaluation-harness's prompts, pinned versions and scoring.

    make_catalog_task("arc_easy")                        # Hub, or $ASSAY_DATA/arc_easy/test.jsonl
    make_catalog_task("mmlu", "n=100,calibrate=true", data="~/bench")

See docs/benchmarks.md for each task's source, split, prompt, scoring, version and licence.
"""

from assay.tasks.catalog._build import CatalogOptions, data_present, make_catalog_task, parse_options
from assay.tasks.catalog._data import DATA_ENV, BenchmarkDataMissing, HubSource
from assay.tasks.catalog._entries import CATALOG, CatalogEntry

__all__ = ["CATALOG", "DATA_ENV", "BenchmarkDataMissing", "CatalogEntry", "CatalogOptions", "HubSource",
           "data_present", "make_catalog_task", "parse_options"]
