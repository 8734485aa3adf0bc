"""The human arena in the dashboard: blind side-by-side answers from two runs, votes stored
in the results store, ratings from human votes (see `routes.register_arena`)."""

from assay.web.arena.routes import register_arena

__all__ = ["register_arena"]
