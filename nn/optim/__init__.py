"""Optimizers: `SGD`, `Adagrad`, `RMSprop`, `Adam` and `AdamW`, with PyTorch's keyword names,
defaults and update rules (the pseudocode of PyTorch's documentation, step for step).

An optimizer holds `param_groups`: a list of dicts, each with `'params'` (a list of Tensors)
and its own copy of every hyper-parameter, so a learning-rate scheduler (see
`nn.optim.lr_scheduler`) or the user can change `group['lr']` between steps. `state` maps each
parameter to its buffers (momentum, running averages, step count).

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt.zero_grad(); loss.backward(); opt.step()

`step()` reads each parameter's `.grad` (skipping parameters whose grad is None) and updates
`p.data` in place, in the parameter's own dtype (float32 stays float32). In the equations
below θ is a parameter, g its gradient, γ the learning rate, λ the weight decay and t the
number of steps taken by that parameter (starting at 1); products, squares, square roots and
divisions are elementwise.
"""

from __future__ import annotations

import contextlib
import signal
import threading

try:  # the C layer under `signal`: the same calls without converting handlers to enums,
    # which (with the exception it raises for a Python handler) cost ~9 µs a step, 2% of a
    # small MLP's training step; 0.3 µs this way
    from _signal import getsignal as _getsignal
    from _signal import signal as _setsignal
except ImportError:  # another Python implementation
    _getsignal, _setsignal = signal.getsignal, signal.signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from autograd_lite import Tensor, enable_grad, no_grad

from ..checks import check_flag, check_real

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler"]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]
State = dict[str, Any]


def _invalid(owner: str, name: str, value: Any, rule: str) -> ValueError:
    return ValueError(f"{owner}: invalid {name}={value!r} ({rule})")


def _check_nonnegative(owner: str, group: dict[str, Any], *names: str) -> None:
    """Raise naming the first of `names` whose value in `group` is not a finite real >= 0
    (TypeError for a string or None, ValueError for a negative number, nan or inf)."""
    for name in names:
        check_real(owner, name, group[name], low=0)


def _check_flags(owner: str, group: dict[str, Any], *names: str) -> None:
    for name in names:
        check_flag(owner, name, group[name])


@contextlib.contextmanager
def _deferred_sigint() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) until the block ends, then deliver it: an optimizer step
    changes every parameter or none, so an interrupted run never holds a half-updated model.

    Only in the main thread (the only one Python delivers signals to, and the only one that
    may install handlers) and only over a Python-level handler (the default raises
    KeyboardInterrupt); otherwise the block runs unguarded.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = _getsignal(signal.SIGINT)
    except (ValueError, OSError):  # no signals here (an embedded interpreter)
        previous = None
    if not callable(previous):
        yield
        return
    caught: list[tuple[int, Any]] = []
    _setsignal(signal.SIGINT, lambda signum, frame: caught.append((signum, frame)))
    try:
        yield
    finally:
        _setsignal(signal.SIGINT, previous)
        if caught:
            previous(*caught[0])  # the default handler raises KeyboardInterrupt here


def _copy(value: Any) -> Any:
    """A copy of a state or hyper-parameter value: arrays are copied, numbers kept."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class Optimizer:
    """Base class: holds the parameter groups and per-parameter state; subclasses define
    `_check` (hyper-parameter validation), `_init_state` and `_update` (one parameter's step).

    `params` is an iterable of Tensors, or of dicts (parameter groups) each holding
    `'params'` and any hyper-parameters that differ from `defaults`.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, (Tensor, np.ndarray)):
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors "
                            f"or dicts, got a {type(params).__name__}; wrap it in a list")
        self._check(defaults)
        self.defaults = dict(defaults)
        self.state: dict[Tensor, State] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors "
                            f"or dicts, got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {value}" for key, value in group.items() if key != "params"]
        return "\n".join(lines) + "\n)"

    # --- parameter groups -----------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters; hyper-parameters it does not set take the defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        params = self._param_list(param_group["params"])
        group = {"params": params, **self.defaults}
        group.update((k, v) for k, v in param_group.items() if k != "params")
        self._check(group)
        known = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in known for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _param_list(self, params: Any) -> list[Tensor]:
        name = type(self).__name__
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: parameters must be an ordered collection, not a set "
                            "(its order changes between runs); use a list")
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (the result of an "
                                 "op); optimize the leaves it was computed from")
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: can only optimize floating-point Tensors, got dtype "
                                f"{p.dtype}")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group lists the same parameter twice")
        return params

    def _check(self, group: dict[str, Any]) -> None:
        """Raise ValueError (naming the hyper-parameter) if a value in `group` is invalid."""

    # --- stepping ---------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: None (the default), or zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None if set_to_none or p.grad is None else np.zeros_like(p.data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place; returns `closure()` (which
        should recompute the loss, with gradients) when given, else None."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad(), _deferred_sigint():
            for group in self.param_groups:
                for p in group["params"]:
                    grad = self._gradient(p, group)
                    if grad is None:
                        continue
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = self._init_state(p.data, group)
                    self._update(p.data, grad, state, group)
        return loss

    def _gradient(self, p: Tensor, group: dict[str, Any]) -> np.ndarray | None:
        """`p.grad` as an array in `p`'s dtype, negated when the group maximizes."""
        grad = p.grad
        if grad is None:
            return None
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=p.dtype)
        if grad.shape != p.shape:
            raise ValueError(f"{type(self).__name__}: a parameter of shape {p.shape} has a "
                             f"gradient of shape {grad.shape}")
        return -grad if group.get("maximize", False) else grad

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> State:
        """The state of a parameter before its first step."""
        return {}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State,
                group: dict[str, Any]) -> None:
        """One step for one parameter: change `param` (and `state`) in place."""
        raise NotImplementedError

    # --- saving and restoring -----------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """`{'state': {index: {name: array or number}}, 'param_groups': [{..., 'params':
        [index, ...]}]}`, PyTorch's layout: parameters are numbered in group order. Everything
        is a copy made of plain numpy arrays, numbers, tuples and lists."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: _copy(value) for key, value in group.items() if key != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {key: _copy(value) for key, value in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by `state_dict` (from an optimizer over
        parameters of the same shapes, grouped the same way). Everything is checked before
        anything changes; arrays are copied and cast to their parameter's dtype."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state has {len(saved_groups)} "
                             f"parameter groups, the optimizer {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} has "
                                 f"{len(saved['params'])} parameters in the state, "
                                 f"{len(group['params'])} in the optimizer")
            by_index.update(zip(saved["params"], group["params"], strict=True))
            new = {"params": group["params"]}
            new.update((k, _copy(v)) for k, v in saved.items() if k != "params")
            self._check(new)
            groups.append(new)
        state = {}
        for key, saved_state in state_dict["state"].items():
            p = by_index.get(int(key))
            if p is not None:
                state[p] = {k: self._restore(k, v, p) for k, v in saved_state.items()}
        self.param_groups = groups
        self.state = state

    def _restore(self, key: str, value: Any, p: Tensor) -> Any:
        if not isinstance(value, np.ndarray):
            return _copy(value)
        if value.shape != p.shape:
            raise ValueError(f"{type(self).__name__}.load_state_dict: state {key!r} has shape "
                             f"{value.shape}, its parameter {p.shape}")
        return value.astype(p.dtype, copy=True)


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum μ, dampening τ and
    L2 weight decay λ (PyTorch's `torch.optim.SGD`):

        g ← -g                              if maximize
        g ← g + λθ                          if λ ≠ 0
        if μ ≠ 0:
            b ← g                           at the first step
            b ← μb + (1 - τ)g               afterwards
            g ← g + μb  if nesterov,  else  g ← b
        θ ← θ - γg

    Nesterov momentum requires μ > 0 and τ = 0.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check(self, group: dict[str, Any]) -> None:
        _check_nonnegative("SGD", group, "lr", "momentum", "weight_decay")
        check_real("SGD", "dampening", group["dampening"], low=0, high=1)
        _check_flags("SGD", group, "nesterov", "maximize")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise _invalid("SGD", "nesterov", group["nesterov"],
                           "Nesterov momentum requires a momentum > 0 and zero dampening")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State,
                group: dict[str, Any]) -> None:
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        if weight_decay != 0:
            grad = grad + weight_decay * param
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= group["lr"] * grad


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), PyTorch's `torch.optim.Adagrad`: a per-coordinate step
    size shrinking with the sum of squared gradients, with learning-rate decay η:

        g ← -g                              if maximize
        g ← g + λθ                          if λ ≠ 0
        γ̃ ← γ / (1 + (t - 1)η)
        s ← s + g²                          (s starts at initial_accumulator_value)
        θ ← θ - γ̃ g / (√s + ε)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _check(self, group: dict[str, Any]) -> None:
        _check_nonnegative("Adagrad", group, "lr", "lr_decay", "weight_decay",
                           "initial_accumulator_value", "eps")
        _check_flags("Adagrad", group, "maximize")

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> State:
        return {"step": 0, "sum": np.full_like(param, group["initial_accumulator_value"])}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State,
                group: dict[str, Any]) -> None:
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        std = np.sqrt(state["sum"]) + group["eps"]
        param -= clr * (grad / std)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), PyTorch's `torch.optim.RMSprop`: divide the gradient by
    a running root mean square, optionally centered (by the running mean ḡ) and with momentum:

        g ← -g                              if maximize
        g ← g + λθ                          if λ ≠ 0
        v ← αv + (1 - α)g²
        if centered:  ḡ ← αḡ + (1 - α)g,  d ← √(v - ḡ²) + ε
        else:         d ← √v + ε
        if μ > 0:     b ← μb + g/d,  θ ← θ - γb
        else:         θ ← θ - γg/d

    v, ḡ and b start at zero.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      maximize=maximize))

    def _check(self, group: dict[str, Any]) -> None:
        _check_nonnegative("RMSprop", group, "lr", "eps", "momentum", "weight_decay")
        check_real("RMSprop", "alpha", group["alpha"], low=0, high=1)
        _check_flags("RMSprop", group, "centered", "maximize")

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> State:
        state: State = {"step": 0, "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State,
                group: dict[str, Any]) -> None:
        alpha = group["alpha"]
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - alpha) * (grad - grad_avg)  # torch's lerp towards g
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            avg = np.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += grad / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * (grad / avg)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), PyTorch's `torch.optim.Adam`: steps by bias-corrected running
    averages of the gradient (m) and of its square (v):

        g ← -g                              if maximize
        θ ← θ(1 - γλ)                       if λ ≠ 0 and decoupled_weight_decay (AdamW)
        g ← g + λθ                          if λ ≠ 0 otherwise (L2 penalty)
        m ← β₁m + (1 - β₁)g
        v ← β₂v + (1 - β₂)g²
        v̂ ← max(v̂, v) if amsgrad, else v   (v̂ starts at zero)
        θ ← θ - (γ / (1 - β₁ᵗ)) · m / (√v̂ / √(1 - β₂ᵗ) + ε)

    m and v start at zero.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        if isinstance(betas, (tuple, list, np.ndarray)):  # anything else: _check says so
            betas = tuple(betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        _check_nonnegative(name, group, "lr", "eps", "weight_decay")
        _check_flags(name, group, "amsgrad", "maximize", "decoupled_weight_decay")
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)):
            raise TypeError(f"{name}: betas must be a pair (β₁, β₂), got "
                            f"{type(betas).__name__} {betas!r}")
        if len(betas) != 2:
            raise _invalid(name, "betas", betas, "expected two coefficients (β₁, β₂)")
        for i, beta in enumerate(betas):
            check_real(name, f"betas[{i}]", beta, low=0, high=1, high_open=True)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> State:
        state: State = {"step": 0, "exp_avg": np.zeros_like(param),
                        "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State,
                group: dict[str, Any]) -> None:
        lr, weight_decay, (beta1, beta2) = group["lr"], group["weight_decay"], group["betas"]
        state["step"] += 1
        step = state["step"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1 - beta1) * (grad - exp_avg)  # torch's lerp towards g
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad)
        if group["amsgrad"]:
            second = np.maximum(state["max_exp_avg_sq"], exp_avg_sq,
                                out=state["max_exp_avg_sq"])
        else:
            second = exp_avg_sq
        step_size = lr / (1 - beta1**step)
        denom = np.sqrt(second) / (1 - beta2**step) ** 0.5 + group["eps"]
        param -= step_size * (exp_avg / denom)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019), PyTorch's `torch.optim.AdamW`: Adam with decoupled
    weight decay, applied to the parameter before the Adam step (see `Adam`):

        θ ← θ(1 - γλ)
        θ ← θ - (γ / (1 - β₁ᵗ)) · m / (√v̂ / √(1 - β₂ᵗ) + ε)    (m, v from the raw g)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)


from . import lr_scheduler  # noqa: E402  (the submodule imports Optimizer from here)
