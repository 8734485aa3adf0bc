"""assay: evaluate language models with numbers you can trust.

The public surface is re-exported here; everything else is an implementation detail.
"""

from assay.version import __version__

__all__ = ["__version__"]
