"""`python -m autograd_lite` runs the demo (see `demo.py`)."""

import sys

from .demo import main

sys.exit(main())
