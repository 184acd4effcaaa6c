"""`Module`, `Parameter` and `Sequential`: the containers every layer is built from.

A Module registers, in the order they are assigned, the Parameters, sub-Modules and buffers
(non-learnable arrays such as batch-norm statistics) set as its attributes. From that one
registry come `parameters()`, `named_parameters()`, `state_dict()`, `train()`/`eval()` and the
`repr` tree; walks over the module tree are iterative and deterministic (PyTorch's order).

A module's state is a list of named entries (`StateEntry`: read an array, store a checked
one), from `_state_entries()`; Parameters and buffers are entries, and a module whose state
is held otherwise (the scalar modules' Values) adds its own there. `state_dict` and
`load_state_dict` work on entries only, so names, shapes and dtypes are checked in one place.

Calling a module notes which recorded ops its `forward` made (a range of creation numbers,
kept on the tensor it returns), so `draw_graph` can box them under the module's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from autograd_lite import Tensor
from autograd_lite.graph import next_seq

__all__ = ["Module", "ModuleDict", "ModuleList", "Parameter", "Sequential", "StateEntry"]


class Parameter(Tensor):
    """A Tensor that a Module learns: requires grad, float32 unless `dtype=` says otherwise."""

    __slots__ = ()

    def __init__(self, data: Any, dtype: Any = np.float32, label: str = "") -> None:
        try:
            super().__init__(data, requires_grad=True, dtype=dtype, label=label)
        except (TypeError, ValueError) as e:  # the engine's message, naming the class
            kind = TypeError if isinstance(e, TypeError) else ValueError
            raise kind(f"Parameter: {e}") from None

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class StateEntry(NamedTuple):
    """One named array of a module's state.

    `get()` returns the current array (`state_dict` saves a copy; its shape and dtype are what
    loading expects); `set(array)` stores an array already checked to have that shape and cast
    to that dtype. A loaded array must have the same dtype kind (float, int, bool) as the
    current one, or with `any_real` any real dtype. `source` is the object the entry reads
    (a Parameter): an object shared by several modules is saved once, under its first name.
    """

    get: Callable[[], np.ndarray]
    set: Callable[[np.ndarray], None]
    any_real: bool = False
    source: object = None


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
        """Copies of every state array by dotted name: module by module, each one's
        parameters then its buffers (PyTorch's order)."""
        return {name: np.array(entry.get(), copy=True)
                for name, entry in self._named_state_entries().items()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Set parameters and buffers from `state`. Every name, shape and dtype is checked
        before anything changes: a bad state leaves the module as it was."""
        entries = self._named_state_entries()
        missing = [name for name in entries if name not in state]
        unexpected = [name for name in state if name not in entries]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: {type(self).__name__} state mismatch: missing "
                           f"{missing or 'nothing'}, unexpected {unexpected or 'nothing'}")
        arrays = {}
        for name, entry in entries.items():
            if name not in state:
                continue
            current, value = entry.get(), np.asarray(state[name])
            if value.shape != current.shape:
                raise ValueError(f"load_state_dict: {name!r} has shape {value.shape}, the "
                                 f"module expects {current.shape}")
            if entry.any_real and value.dtype.kind not in "biuf":
                raise TypeError(f"load_state_dict: {name!r} has dtype {value.dtype}, expected "
                                "real numbers")
            if not entry.any_real and value.dtype.kind != current.dtype.kind:
                raise TypeError(f"load_state_dict: {name!r} has dtype {value.dtype}, the "
                                f"module expects {current.dtype}")
            arrays[name] = _cast(name, value, current.dtype)
        for name, value in arrays.items():
            entries[name].set(value)

    def _state_entries(self) -> Iterator[tuple[str, StateEntry]]:
        """This module's own state (not its children's): each Parameter, then each buffer.
        A module that holds state otherwise yields more entries here."""
        for attr, p in self._parameters.items():
            yield attr, StateEntry(partial(getattr, p, "data"), partial(setattr, p, "data"),
                                   source=p)
        for attr in self._buffers:  # always an ndarray (see __setattr__)
            yield attr, StateEntry(partial(getattr, self, attr),
                                   partial(object.__setattr__, self, attr))

    def _named_state_entries(self) -> dict[str, StateEntry]:
        """Dotted name → entry, over this module and every descendant."""
        entries: dict[str, StateEntry] = {}
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, entry in module._state_entries():
                if entry.source is not None:
                    if id(entry.source) in seen:
                        continue
                    seen.add(id(entry.source))
                entries[f"{prefix}.{name}" if prefix else name] = entry
        return entries

    # --- calling and printing -----------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Creation numbers before and after forward bracket the ops it recorded; the range is
        # kept on the output (not on the module, which would keep the graph alive), so
        # draw_graph can box them as this module. Two counter reads per call, none per op.
        first = next_seq()
        out = self.forward(*args, **kwargs)
        if type(out) is tuple or type(out) is list:
            for item in out:
                _note_span(item, first, self)
        else:
            _note_span(out, first, self)
        return out

    def diagram_label(self) -> str:
        """The title of this module's box in a diagram: `Linear(784→256)`, `ReLU`, or the
        class name with `extra_repr()` when that is short."""
        name = type(self).__name__
        for a, b in (("in_features", "out_features"), ("in_channels", "out_channels")):
            sizes = getattr(self, a, None), getattr(self, b, None)
            if all(isinstance(n, int) for n in sizes):
                return f"{name}({sizes[0]}→{sizes[1]})"
        extra = self.extra_repr()
        return f"{name}({extra})" if extra and len(extra) <= 24 else name

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


# The creation number of the tensor most recently given a span, and the counter just after
# that: every tensor that has spans was recorded before `_noted_end`, so a newer output needs
# no look-up (reading an unset slot raises, which costs more than the rest of the call).
_noted_seq = _noted_end = 0


def _note_span(out: Any, first: int, module: Module) -> None:
    """Add (first, last, module) to `out._spans` if `out` is a tensor recorded after `first`
    (an input passed through, or a result made under no_grad, records nothing)."""
    global _noted_seq, _noted_end
    if isinstance(out, Tensor) and out._seq > first:
        seq, last = out._seq, next_seq()
        span = (first, last, module)
        if seq > _noted_end:  # recorded after every earlier note: it has no spans yet
            out._spans = (span,)
        elif seq == _noted_seq:  # the output noted last (a Sequential returning its last
            out._spans += (span,)  # layer's output)
        else:
            out._spans = getattr(out, "_spans", ()) + (span,)
        _noted_seq, _noted_end = seq, last


def _cast(name: str, value: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`value` as `dtype`, refusing finite values that the cast would turn into inf (1e300
    into float32): a silent inf would only show up later, as nan losses."""
    with np.errstate(over="ignore", invalid="ignore"):
        converted = value.astype(dtype, copy=True)
    if dtype.kind == "f" and value.dtype.kind in "biuf":
        overflow = np.isinf(converted) & np.isfinite(value)
        if overflow.any():
            first = value[overflow].flat[0]
            raise ValueError(f"load_state_dict: {name!r} holds {first:.6g}, which overflows "
                             f"{dtype} (largest {np.finfo(dtype).max:.6g}); "
                             f"{int(overflow.sum())} value(s) would become inf")
    return converted


class ModuleList(Module):
    """Modules held in order and registered as "0", "1", ... (PyTorch's ModuleList)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        if not hasattr(modules, "__iter__") or isinstance(modules, (str, bytes)):
            raise TypeError(f"{type(self).__name__}: modules must be an iterable of Modules, "
                            f"got {type(modules).__name__}")
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


class ModuleDict(Module):
    """Modules held by name, in insertion order (PyTorch's ModuleDict): `d["wte"]`,
    `d["wte"] = m`, `"wte" in d`, `len(d)`, iteration over the names, `keys()`, `values()`,
    `items()`, `update(...)`. Each is registered under its name, so parameters are named
    `<dict>.<key>.<param>` (nanoGPT's `transformer.wte.weight`)."""

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"ModuleDict: keys must be non-empty strings without '.', got "
                           f"{key!r}")
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: value for key {key!r} is a "
                            f"{type(module).__name__}, not a Module")
        if hasattr(type(self), key) or (key in self.__dict__ and key not in self._modules):
            raise KeyError(f"ModuleDict: key {key!r} clashes with an attribute of ModuleDict")
        self.add_module(key, module)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __delitem__(self, key: str) -> None:
        del self._modules[key]
        object.__delattr__(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def keys(self) -> list[str]:
        return list(self._modules)

    def values(self) -> list[Module]:
        return list(self._modules.values())

    def items(self) -> list[tuple[str, Module]]:
        return list(self._modules.items())

    def update(self, modules: Any) -> None:
        """Add (or replace) modules from a mapping or an iterable of (key, module) pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for pair in pairs:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"ModuleDict.update: expected a mapping or (key, module) "
                                f"pairs, got an item {pair!r}")
            self[pair[0]] = pair[1]


class Sequential(ModuleList):
    """Modules applied one after another: `Sequential(a, b, c)(x) == c(b(a(x)))`."""

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x
