"""The local web dashboard over the results store (FastAPI, server-rendered Jinja2 pages)."""

from assay.web.server import check_bind, is_loopback, serve

__all__ = ["check_bind", "is_loopback", "serve"]
