"""The engine's own guarantees: gradients accumulate exactly under threads, and anomaly
detection (`detect_anomaly`) names the op, the user's line and the input shapes."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.engine import AnomalyError, detect_anomaly, is_anomaly_enabled

# --- threads -----------------------------------------------------------------------------------


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Threads switch every microsecond, so a non-atomic update is interrupted mid-way."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_in_threads(work: Callable[[], None], threads: int) -> None:
    """`work` in `threads` threads released together; their errors re-raised here."""
    start, errors = threading.Barrier(threads), []

    def body() -> None:
        start.wait()
        try:
            work()
        except BaseException as e:  # noqa: BLE001 (re-raised in the main thread)
            errors.append(e)

    pool = [threading.Thread(target=body) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]


def test_threads_backpropagating_into_one_shared_leaf_lose_no_gradient(fast_switching):
    # the probe: exp(W*c)*0 + W*c gives each pass the gradient c, exactly, in float64;
    # four threads of 1500 passes, three rounds: the unlocked engine lost some in ~4 rounds of 5
    c = Tensor(np.array([1001.0, 2.0, 3.0]))
    for _ in range(3):
        w = Tensor(np.zeros(3), requires_grad=True)

        def work(w: Tensor = w) -> None:
            for _ in range(1500):
                ((w * c).exp() * 0 + w * c).sum().backward()

        run_in_threads(work, 4)
        np.testing.assert_array_equal(w.grad, 4 * 1500 * np.array([1001.0, 2.0, 3.0]))


def test_threads_backpropagating_values_and_retained_grads_lose_nothing(fast_switching):
    w = Value(0.0)
    t = Tensor(np.ones(2), requires_grad=True)
    kept: list[Tensor] = []

    def work() -> None:
        for _ in range(1000):
            ((w * 3.0).exp() * 0.0 + w * 3.0).backward()
            h = t * 2.0
            h.retain_grad()
            (h * h).sum().backward()
            kept.append(h)

    run_in_threads(work, 4)
    assert w.grad == 4 * 1000 * 3.0
    np.testing.assert_array_equal(t.grad, np.full(2, 4 * 1000 * 8.0))  # d(4t²)/dt at t = 1
    assert all(np.array_equal(h.grad, [4.0, 4.0]) for h in kept)  # each pass's own 2h


def test_threads_changing_tensors_in_place_keep_version_counters_exact(fast_switching):
    ts = [Tensor(np.zeros(2)) for _ in range(4)]

    def work() -> None:
        for t in ts:
            for _ in range(300):
                t += 1.0

    run_in_threads(work, 4)
    assert [t._version for t in ts] == [1200] * 4
    x = Tensor(np.ones(2), requires_grad=True)
    y = x * 1.0
    z = y.exp()
    with al.no_grad():
        y += 1.0  # exp saved y: the change must be seen, whatever other threads numbered
    with pytest.raises(RuntimeError, match="changed in place"):
        z.sum().backward()


# --- anomaly detection ----------------------------------------------------------------------------


def test_anomaly_mode_is_off_by_default_and_restored_after_the_block():
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()
    al.set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
    finally:
        al.set_detect_anomaly(False)
    with pytest.raises(TypeError, match="set_detect_anomaly: mode must be True or False"):
        al.set_detect_anomaly("yes")


def test_anomaly_mode_names_the_forward_op_the_users_line_and_the_shapes():
    x = Tensor(np.array([[1.0, -1.0]]), requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        x.log()  # the line the error must name
    message = str(caught.value)
    assert "op 'log'" in message and "(1, 2) float64" in message and "nan" in message
    assert f"{__file__}:" in message and "x.log()  # the line" in message
    assert "its inputs were finite" in message


def test_anomaly_mode_names_the_op_whose_backward_made_inf():
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()  # finite forward; its derivative 1/(2√x) is inf at 0
        with pytest.raises(AnomalyError, match=r"backward of op 'sqrt' \(inputs: \(2,\) "
                                               r"float64\) created at .*test_engine.py:\d+.* "
                                               r"returned inf in the gradient of input 0"):
            y.sum().backward()
    assert x.grad is None  # a failed pass changes no gradient


def test_anomaly_mode_checks_values_and_reports_a_nan_input():
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="op 'log'.*output holds nan"):
            Value(-1.0).log()
        with pytest.raises(AnomalyError, match="input 0 already held nan"):
            Tensor(np.array([np.nan]), requires_grad=True).exp()
        v = Value(2.0)
        (v * 3.0).tanh().backward()  # finite everywhere: nothing to report
    assert v.grad == pytest.approx(3 * (1 - np.tanh(6.0) ** 2))


def test_without_anomaly_mode_nan_passes_through_silently_as_ieee():
    x = Tensor(np.array([-1.0]), requires_grad=True)
    y = x.log()
    assert np.isnan(y.data).all()
    y.sum().backward()
    assert x.grad[0] == -1.0


def _layer(x: Tensor) -> Tensor:
    return x.log()  # inside a "library" function


def test_anomaly_mode_names_the_callers_of_the_line_too():
    x = Tensor(np.array([-1.0]), requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        _layer(x)  # the caller's line
    message = str(caught.value)
    assert "in _layer: return x.log()" in message
    assert "(called from " in message and "_layer(x)  # the caller's line" in message


# --- fitting a broadcast gradient back to its input ------------------------------------------

@pytest.mark.parametrize(("g_shape", "shape"), [
    ((128, 256), (256,)), ((4, 5, 3), (3,)), ((4, 5, 3), (5, 3)), ((4, 5, 3, 2), (3, 1)),
    ((6, 7), ()), ((0, 3), (3,)), ((2, 3), (1, 3)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unbroadcast_sums_added_and_stretched_axes_in_the_gradients_dtype(g_shape, shape,
                                                                          dtype):
    from autograd_lite.engine import _unbroadcast
    g = np.random.default_rng(0).standard_normal(g_shape).astype(dtype)
    lead = len(g_shape) - len(shape)
    expected = g.sum(axis=tuple(range(lead)), dtype=np.float64)
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and expected.shape[i] != 1)
    expected = expected.sum(axis=stretched, keepdims=True)
    for arr in (g, np.asfortranarray(g)):  # the GEMV path and numpy's
        out = _unbroadcast(arr, shape, "test")
        assert out.shape == shape and out.dtype == dtype
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-4)


# --- adjoints added in place only when nothing else can see them -----------------------------

def test_meeting_gradients_are_summed_right_and_change_no_array_anyone_holds():
    """Where several gradients meet (a residual connection, slices of one tensor, a retained
    interior gradient, a leaf used twice) the sums are exact, and no array the user, another
    node's `.grad` or an earlier backward holds is changed by the in-place adds."""
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    h = x * 2.0
    h.retain_grad()
    parts = [h[0:2], h[1:3], h[::2]]  # three slices meeting in h's adjoint
    out = (h + h.exp() + parts[0].sum() * h + parts[1].prod() + parts[2].sum()).sum()
    out.backward(retain_graph=True)
    first_x, first_h = x.grad.copy(), h.grad.copy()
    held_x, held_h = x.grad, h.grad
    hv = h.data
    expected_h = 1 + np.exp(hv) + hv[0:2].sum() + np.array([1, 1, 0]) * hv.sum() \
        + np.array([0, hv[2], hv[1]]) * 3 + np.array([1, 0, 1]) * 3
    np.testing.assert_allclose(h.grad, expected_h)
    np.testing.assert_allclose(x.grad, 2 * expected_h)
    out.backward()  # a second pass adds to .grad: a new array, the held ones unchanged
    np.testing.assert_array_equal(held_x, first_x)
    np.testing.assert_array_equal(held_h, first_h)
    np.testing.assert_allclose(x.grad, 2 * first_x)


def test_a_gradient_handed_to_two_parents_is_not_changed_under_the_other():
    """`a + b` hands the same ḡ to both inputs; when more reaches one of them, the other's
    adjoint (the same array) must stay as it was."""
    a = Tensor(np.ones(4), requires_grad=True)
    b = Tensor(np.ones(4), requires_grad=True)
    s = a * 1.0  # interior: its adjoint is ḡ itself, then b*3's VJP adds to it
    t = b * 1.0
    y = (s + t) + s * 3.0
    y.backward(np.arange(4.0))
    np.testing.assert_allclose(a.grad, 4 * np.arange(4.0))
    np.testing.assert_allclose(b.grad, np.arange(4.0))


def test_anomaly_mode_still_sees_a_nan_added_into_an_existing_adjoint():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError, match="sqrt"):
        y = x * 2.0
        (y.exp() + (y - 2.0).sqrt() * 0.0 + y).sum().backward()
