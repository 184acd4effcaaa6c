"""`python -m autograd_lite ...` is the `autograd-lite` command line (see `cli/main.py`)."""

import sys

from .cli import main

sys.exit(main())
