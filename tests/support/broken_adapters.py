"""Adapters that fail on purpose, registered under test prefixes, for the CLI's exit codes.

    python -m tests.support.broken_adapters ARGS...   # `assay ARGS...` with them registered

`refused:` raises a permanent error (as an API adapter does on a 401) after 8 answers;
`flaky:` answers every request with a transient error.
"""

from __future__ import annotations

import sys

from assay.errors import PermanentModelError
from assay.models.registry import register_adapter
from assay.testing.instant import InstantModel


class Refused(InstantModel):
    def loglikelihood(self, requests):  # type: ignore[no-untyped-def]
        if len(self.calls) + len(requests) > 8:
            raise PermanentModelError("the server refused the API key (HTTP 401)", reason="auth",
                                      hint="check the variable named by api_key_env")
        return super().loglikelihood(requests)


@register_adapter("refused", "test: a permanent error after 8 answers")
def _refused(rest, options, progress):  # type: ignore[no-untyped-def]
    return Refused(name="refused")


@register_adapter("flaky", "test: every request fails transiently")
def _flaky(rest, options, progress):  # type: ignore[no-untyped-def]
    return InstantModel(name="flaky", fail_if=lambda r: True)


if __name__ == "__main__":
    from assay.cli import main

    sys.exit(main(sys.argv[1:]))
