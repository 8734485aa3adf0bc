"""`python -m assay.cli` runs the CLI, as `python -m assay` does."""

import sys

from assay.cli import main

sys.exit(main())
