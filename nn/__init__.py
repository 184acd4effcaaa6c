"""nn: neural-network building blocks on autograd_lite (modules, layers, losses, optimizers).

The package is installed alongside `autograd_lite`; its contents are being built (see the
project's issue on the `nn` package) and are not public yet.
"""

__all__: list[str] = []
