"""In-place changes of Tensors (`+=`, `add_`, `t[idx] = v`, ...) with PyTorch's rules, version
counters that refuse a backward through changed values, operands that cannot change a
gradient after the fact, and Python's conversions (`float(t)`, `f"{t:.3f}"`).

Where PyTorch is installed the same programs run on it in float64 and must agree; the
closed-form checks run everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Tensor, Value, cross_entropy, no_grad


def leaf(values) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


# --- PyTorch's tutorial updates -------------------------------------------------------------

def test_tutorial_update_under_no_grad_changes_the_parameter_itself_and_trains():
    w = leaf([3.0, -2.0])
    array, losses = w.data, []
    for _ in range(50):
        loss = (w * w).sum()
        loss.backward()
        with no_grad():
            w -= 0.1 * w.grad
        w.grad = None
        losses.append(float(loss))
    assert w.data is array and w.is_leaf and w.requires_grad  # same tensor, same array
    assert losses[-1] < 1e-8 < losses[0]
    assert w._version == 50


def test_module_parameters_loop_with_p_minus_equals_updates_the_model():
    params = [leaf([1.0, 2.0]), leaf([0.5])]
    for p in params:  # `p -= ...` must change the parameter, not rebind the loop variable
        with no_grad():
            p -= 0.5 * p
    assert params[0].data.tolist() == [0.5, 1.0] and params[1].data.tolist() == [0.25]


def test_in_place_change_of_a_leaf_that_requires_grad_refuses_under_grad_mode():
    w = leaf([1.0])
    with pytest.raises(RuntimeError, match=r"-=.*leaf tensor that requires grad.*no_grad"):
        w -= 1.0
    with pytest.raises(RuntimeError, match="add_"):
        w.add_(1.0)
    assert w.data.tolist() == [1.0] and w._version == 0


# --- recorded in-place changes of interior tensors -------------------------------------------

def test_in_place_ops_on_an_interior_tensor_are_recorded():
    x = leaf([1.0, 2.0, 3.0])
    h = x * 2.0
    same = h
    h += x          # 3x
    h.mul_(x)       # 3x²
    h.sub_(1.0)     # 3x² − 1
    h.div_(2.0)     # (3x² − 1) / 2
    assert h is same
    h.sum().backward()
    assert np.allclose(h.data, (3 * x.data**2 - 1) / 2)
    assert np.allclose(x.grad, 3 * x.data)


def test_clamp_fill_zero_copy_in_place():
    x = leaf([-2.0, 0.5, 3.0])
    h = x * 1.0
    h.clamp_(-1.0, 1.0)
    h.sum().backward()
    assert h.data.tolist() == [-1.0, 0.5, 1.0] and x.grad.tolist() == [0.0, 1.0, 0.0]
    x.grad = None
    src = leaf([4.0, 5.0, 6.0])
    h = x * 1.0
    h.copy_(src * 2.0)
    h.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0] and src.grad.tolist() == [2.0, 2.0, 2.0]
    h = x * 3.0
    h.zero_()
    assert h.data.tolist() == [0.0, 0.0, 0.0]
    assert Tensor([1.0, 2.0]).fill_(7.0).data.tolist() == [7.0, 7.0]


@pytest.mark.parametrize(("index", "value_shape"), [
    (1, ()), (slice(0, 2), (2,)), (slice(None, None, 2), ()), (np.array([True, False, True]), (2,)),
    (np.array([2, 0]), (2,)), (([0, 2],), (1,)),
], ids=["int", "slice", "strided slice", "mask", "int array", "tuple of a list"])
def test_item_assignment_routes_gradients_to_the_tensor_and_the_value(index, value_shape):
    x = leaf([1.0, 2.0, 3.0])
    v = Tensor(np.full(value_shape, 5.0), requires_grad=True)
    h = x * 2.0
    h[index] = v * 3.0
    upstream = np.array([1.0, 10.0, 100.0])
    h.backward(upstream)
    written = np.zeros(3, dtype=bool)
    written[index] = True
    expected = np.array([1.0, 2.0, 3.0]) * 2
    expected[index] = 15.0
    assert np.allclose(h.data, expected)
    assert np.allclose(x.grad, np.where(written, 0.0, 2.0 * upstream))
    assert np.allclose(v.grad, np.broadcast_to(3.0 * upstream[written].sum()
                                               if value_shape in ((), (1,)) else
                                               3.0 * upstream[index], value_shape))


def test_item_assignment_on_a_constant_needs_no_graph():
    t = Tensor([1.0, 2.0, 3.0])
    t[t > 1.5] = 0.0  # MyGrad's README
    assert t.data.tolist() == [1.0, 0.0, 0.0] and not t.requires_grad and t._version == 1


def test_item_assignment_of_a_tensor_that_requires_grad_into_a_constant_records_it():
    t = Tensor(np.zeros(3))
    v = leaf([2.0])
    t[1:2] = v
    (t * 3.0).sum().backward()
    assert t.requires_grad and v.grad.tolist() == [3.0]


# --- version counters ----------------------------------------------------------------------------

def test_backward_through_an_input_changed_after_use_raises_naming_op_shape_and_versions():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    with no_grad():
        x *= 10.0
    with pytest.raises(RuntimeError, match=r"backward of \*.*shape \(2,\).*\*=.*version 1.*"
                                           r"saved version 0"):
        y.backward()


def test_backward_through_an_output_changed_after_use_raises():
    x = leaf([1.0, 2.0])
    h = x.exp()
    with no_grad():
        h.mul_(0.0)
    with pytest.raises(RuntimeError, match="backward of exp: its output.*mul_"):
        h.sum().backward()


def test_an_op_recorded_before_an_interior_change_cannot_be_backpropagated():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    y = h * 3.0   # used h before the change
    h.mul_(2.0)
    with pytest.raises(RuntimeError, match="changed in place by mul_"):
        y.sum().backward()
    h.sum().backward()  # the new history itself is fine
    assert x.grad.tolist() == [4.0, 4.0]


def test_changes_through_data_are_not_counted_as_in_pytorch():
    x = leaf([1.0])
    x.data *= 2.0
    assert x._version == 0


def test_a_failed_version_check_leaves_the_graph_usable_after_recomputing():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    with no_grad():
        x += 1.0
    with pytest.raises(RuntimeError):
        y.backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 6.0]


# --- operands kept for backward are copies --------------------------------------------------------

def test_a_numpy_operand_changed_after_the_op_does_not_change_the_gradient():
    x = leaf([1.0, 2.0])
    w = np.array([1.0, 1.0])
    y = (x * w).sum()
    w[:] = 100.0
    y.backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_targets_changed_after_cross_entropy_do_not_change_the_gradient():
    logits = leaf([[2.0, 0.0], [0.0, 2.0]])
    targets = np.array([0, 1])
    loss = cross_entropy(logits, targets)
    targets[:] = [1, 0]
    loss.backward()
    p = np.exp(2) / (1 + np.exp(2))
    assert np.allclose(logits.grad, np.array([[p - 1, 1 - p], [1 - p, p - 1]]) / 2)


def test_an_index_array_changed_after_indexing_does_not_change_the_gradient():
    x = leaf([1.0, 2.0, 3.0])
    index = np.array([0, 0])
    y = x[index].sum()
    index[:] = 2
    y.backward()
    assert x.grad.tolist() == [2.0, 0.0, 0.0]


# --- errors ------------------------------------------------------------------------------------

def test_in_place_result_of_another_shape_or_dtype_is_refused():
    t = Tensor(np.zeros(2))
    with pytest.raises(ValueError, match=r"\+=.*shape \(2, 2\).*\(2,\)"):
        t += np.ones((2, 2))
    i = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match=r"\*=.*float.*int64"):
        i *= 0.5


# --- Python's conversions ----------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda v: Tensor([v]), lambda v: Tensor(v), Value],
                         ids=["Tensor (1,)", "Tensor ()", "Value"])
def test_float_int_bool_and_format_of_one_number(make):
    one = make(2.75)
    assert float(one) == 2.75 and int(one) == 2 and bool(one) is True
    assert f"{one:.3f}" == "2.750" and f"loss {one:6.2f}" == "loss   2.75"
    assert bool(make(0.0)) is False


def test_conversions_of_many_elements_raise_like_pytorch():
    t = Tensor([1.0, 2.0])
    for convert in (float, int, bool, lambda t: f"{t:.2f}"):
        with pytest.raises(ValueError, match="one-element tensor"):
            convert(t)


def test_an_integer_tensor_of_one_element_is_an_index():
    assert [10, 20, 30][Tensor(np.array(1))] == 20
    with pytest.raises(TypeError, match="integer"):
        [10, 20][Tensor([1.0])]


def test_numel_and_tolist():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.numel() == 4 and t.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_value_prev_is_the_set_of_parents_as_in_micrograd():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert c._prev == {a, b} and c._op == "*" and a._prev == set()


# --- against PyTorch (float64) -------------------------------------------------------------------

def test_in_place_programs_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    data = np.array([0.5, -1.5, 2.0])

    def ours():
        x = Tensor(data, requires_grad=True)
        h = x * 2.0
        h += x
        h.mul_(x)
        h[1] = x[0] * 4.0
        h.clamp_(-3.0, 5.0)
        h.div_(2.0)
        h.sum().backward()
        return h.data, x.grad

    def theirs():
        x = torch.tensor(data, requires_grad=True)
        h = x * 2.0
        h += x
        h.mul_(x)
        h[1] = x[0] * 4.0
        h.clamp_(-3.0, 5.0)
        h.div_(2.0)
        h.sum().backward()
        return h.detach().numpy(), x.grad.numpy()

    for a, b in zip(ours(), theirs(), strict=True):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12)


def test_version_errors_match_pytorch_cases():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    h = x.exp()
    with torch.no_grad():
        h.mul_(0.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        h.sum().backward()
    ours = Tensor(np.array([1.0, 2.0]), requires_grad=True).exp()
    with no_grad():
        ours.mul_(0.0)
    with pytest.raises(RuntimeError, match="changed in place"):
        ours.sum().backward()


IN_PLACE = {
    "add_": (lambda t, v: t.add_(v), lambda t, v: t.add_(v)),
    "sub_": (lambda t, v: t.sub_(v), lambda t, v: t.sub_(v)),
    "mul_": (lambda t, v: t.mul_(v), lambda t, v: t.mul_(v)),
    "div_": (lambda t, v: t.div_(v), lambda t, v: t.div_(v)),
    "+=": (lambda t, v: t.__iadd__(v), lambda t, v: t.__iadd__(v)),
    "-=": (lambda t, v: t.__isub__(v), lambda t, v: t.__isub__(v)),
    "*=": (lambda t, v: t.__imul__(v), lambda t, v: t.__imul__(v)),
    "/=": (lambda t, v: t.__itruediv__(v), lambda t, v: t.__itruediv__(v)),
    "copy_": (lambda t, v: t.copy_(v), lambda t, v: t.copy_(v)),
    "clamp_": (lambda t, v: t.clamp_(-1.0, 1.0), lambda t, v: t.clamp_(-1.0, 1.0)),
    "fill_": (lambda t, v: t.fill_(2.5), lambda t, v: t.fill_(2.5)),
    "zero_": (lambda t, v: t.zero_(), lambda t, v: t.zero_()),
    "t[mask] = v": (lambda t, v: t.__setitem__(t.data > 0, v[t.data > 0]),
                    lambda t, v: t.__setitem__(t > 0, v[t > 0])),
    "t[[2, 0]] = v[:2]": (lambda t, v: t.__setitem__([2, 0], v[:2]),
                          lambda t, v: t.__setitem__([2, 0], v[:2])),
    "t[1:] = 3 * v[0]": (lambda t, v: t.__setitem__(slice(1, None), 3 * v[0]),
                         lambda t, v: t.__setitem__(slice(1, None), 3 * v[0])),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_each_in_place_op_gives_pytorchs_values_and_gradients(name):
    torch = pytest.importorskip("torch")
    ours_op, torch_op = IN_PLACE[name]
    x0, v0, up = np.array([0.7, -1.3, 2.1]), np.array([1.5, -0.5, 0.25]), np.array([1., 2., 3.])
    x, v = Tensor(x0, requires_grad=True), Tensor(v0, requires_grad=True)
    h = x * 2.0 + 0.1
    ours_op(h, v)
    (h * h).backward(up)
    tx, tv = (torch.tensor(a, requires_grad=True) for a in (x0, v0))
    th = tx * 2.0 + 0.1
    torch_op(th, tv)
    (th * th).backward(torch.tensor(up))
    assert np.allclose(h.data, th.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    expected_v = np.zeros(3) if tv.grad is None else tv.grad.numpy()
    assert np.allclose(0.0 if v.grad is None else v.grad, expected_v, rtol=1e-12, atol=1e-12)
