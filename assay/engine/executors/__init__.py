"""Where a run's model calls execute: in-process (the default dispatchers in `assay.engine.dispatch`)
or on a Ray cluster (`ray`). The driver alone writes the response cache and the run."""

from assay.engine.executors.ray import RayExecutor, RayModel

__all__ = ["RayExecutor", "RayModel"]
