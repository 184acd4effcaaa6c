"""The application built on the library: the `autograd-lite` command line (`main.py`), its safe
expression language (`expr.py`), the README's demo and `train` (`demo.py`) and the scalar tour
(`tour.py`). The library never imports this package; it is the only part of autograd_lite
that imports `nn`.
"""

from .main import CLIError, main

__all__ = ["main", "CLIError"]
