"""Test helpers for assay and its plugins: a model-free `InstantModel` for engine tests, the
fault-injecting HTTP proxy (`assay.testing.faultproxy`), and the conformance checks
`check_model` / `check_scorer` that an adapter or scorer runs in its own tests."""

from assay.testing.conformance import check_model, check_scorer
from assay.testing.instant import InstantModel

__all__ = ["InstantModel", "check_model", "check_scorer"]
