"""`python -m autograd_lite.cli ...` is the `autograd-lite` command line (see `main.py`)."""

import sys

from .main import main

sys.exit(main())
