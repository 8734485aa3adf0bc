"""Start the dashboard: refuse non-loopback addresses unless asked, then run uvicorn."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from assay.errors import AssayError, MissingDependencyError


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, allow_remote: bool = False) -> None:
    """Raise unless `host` is a loopback address or remote access was asked for: the
    dashboard has no login, and the store holds every prompt and response."""
    if not allow_remote and not is_loopback(host):
        raise AssayError(f"refusing to listen on {host}: the dashboard has no authentication, so it serves only "
                         "loopback addresses (127.0.0.1, ::1, localhost); pass --allow-remote to serve other "
                         "machines, on a network you trust")


def serve(store_location: str | Path | None = None, host: str = "127.0.0.1", port: int = 8765,
          allow_remote: bool = False) -> None:
    """Serve the dashboard over the store until interrupted."""
    check_bind(host, allow_remote)
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise MissingDependencyError("uvicorn", "the dashboard", extra="web") from None
    from assay.store.db import ResultsStore
    from assay.web.app import create_app

    store = ResultsStore(store_location)
    try:
        uvicorn.run(create_app(store, allow_remote=allow_remote), host=host, port=port, log_level="warning",
                    server_header=False)
    finally:
        store.close()
