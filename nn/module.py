"""`Module`, `Parameter` and `Sequential`: the containers every layer is built from.

A Module registers, in the order they are assigned, the Parameters, sub-Modules and buffers
(non-learnable arrays such as batch-norm statistics) set as its attributes. From that one
registry come `parameters()`, `named_parameters()`, `state_dict()`, `train()`/`eval()` and the
`repr` tree; walks over the module tree are iterative and deterministic (PyTorch's order).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from autograd_lite import Tensor

__all__ = ["Module", "ModuleList", "Parameter", "Sequential"]


class Parameter(Tensor):
    """A Tensor that a Module learns: requires grad, float32 unless `dtype=` says otherwise."""

    __slots__ = ()

    def __init__(self, data: Any, dtype: Any = np.float32, label: str = "") -> None:
        super().__init__(data, requires_grad=True, dtype=dtype, label=label)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models: subclasses set attributes in `__init__` (after
    `super().__init__()`) and define `forward`; calling the module calls `forward`."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    # --- registration ---------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 f"setting attribute {name!r}")
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            object.__setattr__(self, name, np.asarray(value))  # a buffer stays a buffer
            return
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, array: Any) -> None:
        """Keep a non-learnable array (saved in `state_dict`, e.g. running statistics)."""
        object.__setattr__(self, name, np.asarray(array))
        self._buffers[name] = True

    def add_module(self, name: str, module: Module) -> None:
        setattr(self, name, module)

    # --- traversal ------------------------------------------------------------------------

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth first in registration order."""
        stack: list[tuple[str, Module]] = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, m)
                        for child, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) for every parameter, each once, in registration order."""
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{prefix}.{name}" if prefix else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for prefix, module in self.named_modules():
            for name in module._buffers:
                yield (f"{prefix}.{name}" if prefix else name), getattr(module, name)

    # --- state --------------------------------------------------------------------------------

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set to None, as PyTorch's default)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Training mode for this module and all below it (dropout drops, batch norm uses
        batch statistics); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode (`train(False)`); returns self."""
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter's and buffer's array by dotted name: module by module,
        each one's parameters then its buffers (PyTorch's order)."""
        state = {}
        for name, (module, attr) in self._state_targets().items():
            value = getattr(module, attr)
            state[name] = np.array(value.data if isinstance(value, Tensor) else value, copy=True)
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Set parameters and buffers from `state`. Every name, shape and dtype is checked
        before anything changes: a bad state leaves the module as it was."""
        targets = self._state_targets()
        missing = [name for name in targets if name not in state]
        unexpected = [name for name in state if name not in targets]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: {type(self).__name__} state mismatch: missing "
                           f"{missing or 'nothing'}, unexpected {unexpected or 'nothing'}")
        arrays = {}
        for name, (module, attr) in targets.items():
            if name not in state:
                continue
            current = getattr(module, attr)
            current = current.data if isinstance(current, Tensor) else np.asarray(current)
            value = np.asarray(state[name])
            if value.shape != current.shape:
                raise ValueError(f"load_state_dict: {name!r} has shape {value.shape}, the "
                                 f"module expects {current.shape}")
            if value.dtype.kind != current.dtype.kind:
                raise TypeError(f"load_state_dict: {name!r} has dtype {value.dtype}, the "
                                f"module expects {current.dtype}")
            arrays[name] = value.astype(current.dtype, copy=True)
        for name, value in arrays.items():
            module, attr = targets[name]
            current = getattr(module, attr)
            if isinstance(current, Tensor):
                current.data = value
            else:
                object.__setattr__(module, attr, value)

    def _state_targets(self) -> dict[str, tuple[Module, str]]:
        """Dotted name → (owning module, attribute) for every parameter and buffer."""
        targets: dict[str, tuple[Module, str]] = {}
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for attr, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    targets[f"{prefix}.{attr}" if prefix else attr] = (module, attr)
            for attr in module._buffers:
                targets[f"{prefix}.{attr}" if prefix else attr] = (module, attr)
        return targets

    # --- calling and printing -----------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """The part inside the parentheses of this module's line in `repr` (e.g. sizes)."""
        return ""

    def __repr__(self) -> str:
        lines: list[str] = []
        stack: list[tuple[int, str, Module, bool]] = [(0, "", self, False)]
        while stack:  # iterative, like every walk here; `closing` marks a container's ")"
            depth, name, module, closing = stack.pop()
            pad = "  " * depth
            if closing:
                lines.append(pad + ")")
                continue
            head = f"{pad}({name}): " if name else pad
            if module._modules:
                lines.append(f"{head}{type(module).__name__}({module.extra_repr()}")
                stack.append((depth, "", module, True))
                stack.extend((depth + 1, child, m, False)
                             for child, m in reversed(module._modules.items()))
            else:
                lines.append(f"{head}{type(module).__name__}({module.extra_repr()})")
        return "\n".join(lines)


class ModuleList(Module):
    """Modules held in order and registered as "0", "1", ... (PyTorch's ModuleList)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"{type(self).__name__}: argument {i} is a "
                                f"{type(module).__name__}, not a Module")
            self.add_module(str(i), module)

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class Sequential(ModuleList):
    """Modules applied one after another: `Sequential(a, b, c)(x) == c(b(a(x)))`."""

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x
