"""Input validation at the boundary (`autograd_lite/validate.py`): each helper, and the ops,
factories and front ends that use it refusing bad input with an error naming the op."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.validate import (
    AllocationError,
    check_axis,
    check_dtype,
    check_int,
    check_label,
    check_nonnegative_finite,
    check_positive_finite,
    check_shape,
)

# --- the helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("good", [3, -2, np.int64(4), np.uint8(1), Tensor(np.array(2))])
def test_check_int_takes_integers_of_every_kind(good):
    assert check_int(good, "op", "n") == int(good) and type(check_int(good, "op", "n")) is int


@pytest.mark.parametrize("bad", [2.0, 2.5, np.float32(1), True, np.bool_(False), "2", None,
                                 [2], Tensor(np.array(2.0))])
def test_check_int_refuses_floats_bools_strings_and_containers(bad):
    with pytest.raises(TypeError, match=r"^op: n must be an integer, got "):
        check_int(bad, "op", "n")


def test_check_axis_normalises_nothing_and_checks_range_and_repeats():
    assert check_axis(None, "op", 2) is None
    assert check_axis(-1, "op", 2) == -1
    assert check_axis([0, -1], "op", 3) == (0, -1)
    with pytest.raises(TypeError, match=r"^op: axis must be None, an int or a tuple of ints"):
        check_axis(0.9, "op", 2)
    with pytest.raises(np.exceptions.AxisError, match=r"^op: axis 5 is out of bounds for array "
                                                      r"of dimension 2 \(expected -2 <= axis"):
        check_axis(5, "op", 2)
    with pytest.raises(ValueError, match="repeats an axis"):
        check_axis((1, -1), "op", 2)


def test_an_axis_out_of_range_is_both_a_value_error_and_an_index_error():
    # numpy's AxisError: code written for numpy (ValueError) or PyTorch (IndexError) catches it
    for error in (ValueError, IndexError):
        with pytest.raises(error, match=r"swapaxes: axis 5 is out of bounds .* dimension 2"):
            Tensor(np.ones((2, 3))).swapaxes(5, 0)


def test_check_shape_takes_ints_and_refuses_floats_negatives_and_two_unknowns():
    assert check_shape(3, "op") == (3,)
    assert check_shape([2, np.int64(3)], "op") == (2, 3)
    assert check_shape((2, -1), "op", unknown=True) == (2, -1)
    with pytest.raises(TypeError, match=r"^op: shape must be ints, got \(2.5, 3\)"):
        check_shape((2.5, 3), "op")
    with pytest.raises(ValueError, match=r"^op: shape \(2, -1\) has the size -1; sizes must be "
                                         r"non-negative$"):
        check_shape((2, -1), "op")
    with pytest.raises(ValueError, match="more than one unknown size"):
        check_shape((-1, -1), "op", unknown=True)


@pytest.mark.parametrize("bad", [str, object, complex, "datetime64[s]", "U3", np.complex64])
def test_check_dtype_refuses_every_dtype_that_holds_no_real_numbers(bad):
    with pytest.raises(TypeError, match=r"^op: dtype must be a real numeric dtype"):
        check_dtype(bad, "op")


def test_check_dtype_takes_real_dtypes_and_explains_a_bad_name():
    assert check_dtype("float32", "op") == np.float32
    assert check_dtype(bool, "op") == np.bool_
    with pytest.raises(TypeError, match=r"^op: dtype must be a numpy dtype"):
        check_dtype("floot", "op")


@pytest.mark.parametrize("bad", [0, -1e-3, float("inf"), float("nan"), -(10 ** 400)])
def test_check_positive_finite_refuses_zero_negative_and_non_finite(bad):
    with pytest.raises(ValueError, match=r"^op: eps must be a finite number > 0"):
        check_positive_finite(bad, "op", "eps")


def test_hyper_parameter_checks_refuse_non_numbers_and_take_zero_where_allowed():
    with pytest.raises(TypeError, match=r"^op: eps must be a real number, got str"):
        check_positive_finite("1e-3", "op", "eps")
    with pytest.raises(TypeError, match="must be a real number, got bool"):
        check_positive_finite(True, "op", "eps")
    assert check_nonnegative_finite(0, "op", "atol") == 0.0
    with pytest.raises(ValueError, match=">= 0"):
        check_nonnegative_finite(-1, "op", "atol")


def test_check_label_takes_str_and_none():
    assert check_label(None, "op") == ""
    assert check_label("w", "op") == "w"
    with pytest.raises(TypeError,
                       match=r"^op: label must be a string \(a str, or None\), got int 5"):
        check_label(5, "op")


# --- the probes: ops refuse floats as axes and sizes -------------------------------------

FLOAT_ARGUMENTS = [
    (lambda t: t.reshape(2.5, 3), r"^reshape: shape must be ints"),
    (lambda t: t.reshape((2, 3.0)), r"^reshape: shape must be ints"),
    (lambda t: t.transpose(0.7, 1.2), r"^transpose: axes entry must be an integer, got float"),
    (lambda t: t.softmax(axis=0.9), r"^softmax: axis must be an integer, got float 0.9"),
    (lambda t: t.log_softmax(axis=1.0), r"^log_softmax: axis must be an integer"),
    (lambda t: t.sum(axis=0.5), r"^sum: axis must be None, an int or a tuple of ints"),
    (lambda t: t.swapaxes(0, 1.0), r"^swapaxes: axis must be None, an int or a tuple"),
    (lambda t: al.concat([t, t], axis=0.0), r"^concat: axis must be an integer"),
    (lambda t: al.stack([t, t], axis=1.5), r"^stack: axis must be an integer"),
    (lambda t: np.tile(t, 2.0), r"^tile: reps must be ints"),
    (lambda t: t.broadcast_to((2.0, 2, 3)), r"^broadcast_to: shape must be ints"),
    (lambda t: np.array_split(t, 1.5), r"^array_split: sections must be an integer"),
    (lambda t: np.split(t, [1.5]), r"^split: indices must be integers"),
    (lambda t: np.diagonal(t, 0.5), r"^diagonal: offset must be an integer"),
    (lambda t: np.triu(t, 1.0), r"^triu: k must be an integer"),
    (lambda t: np.round(t, 1.5), r"^round: decimals must be an integer"),
    (lambda t: t.unsqueeze(0.0), r"^unsqueeze: dim must be an integer"),
    (lambda t: al.zeros(2.0, 3), r"^zeros: size must be ints"),
    (lambda t: al.linspace(0, 1, 5.0), r"^linspace: size must be ints"),
]


@pytest.mark.parametrize("call, message", FLOAT_ARGUMENTS)
def test_floats_are_refused_as_axes_and_sizes_not_truncated(call, message):
    with pytest.raises(TypeError, match=message):
        call(Tensor(np.ones((2, 3))))


def test_integers_of_numpy_types_still_work_as_axes_and_sizes():
    t = Tensor(np.ones((2, 3)))
    assert t.reshape(np.int64(3), 2).shape == (3, 2)
    assert t.softmax(axis=np.int32(0)).shape == (2, 3)
    assert t.transpose(np.int64(1), 0).shape == (3, 2)


# --- dtypes and data ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [str, object, complex, "datetime64[s]"])
def test_tensors_of_non_real_dtypes_are_refused_everywhere(dtype):
    with pytest.raises(TypeError, match=r"^Tensor: dtype must be a real numeric dtype"):
        Tensor([1.0], dtype=dtype)
    with pytest.raises(TypeError, match=r"^astype: dtype must be a real numeric dtype"):
        Tensor([1.0]).astype(dtype)
    with pytest.raises(TypeError, match=r"^zeros: dtype must be a real numeric dtype"):
        al.zeros(2, dtype=dtype)
    with pytest.raises(TypeError, match=r"^concat: dtype must be a real numeric dtype"):
        al.concat([Tensor([1.0]), Tensor([2.0])], dtype=dtype)


def test_rebinding_data_to_strings_is_refused_not_parsed():
    t = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^Tensor.data: the new value must hold real numbers.*"
                                        r"dtype <U3"):
        t.data = np.array(["1.5", "2"])
    with pytest.raises(TypeError, match=r"^Tensor.data:"):
        t.data = ["a", "b"]
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


def test_a_float_too_large_for_float32_becomes_inf_as_in_numpy():
    assert np.isinf(Tensor([1e300], dtype=np.float32).data).all()


# --- labels ------------------------------------------------------------------------------------

def test_labels_must_be_strings_and_none_means_no_label():
    assert Tensor([1.0], label=None).label == ""
    with pytest.raises(TypeError,
                       match=r"^Value: label must be a string \(a str, or None\), got int 5"):
        Value(1.0, label=5)
    with pytest.raises(TypeError, match=r"^Tensor: label must be a str"):
        Tensor([1.0], label=3.5)


def test_drawing_a_node_without_label_or_with_a_reassigned_one_works():
    pytest.importorskip("graphviz")
    t = Tensor([1.0], label=None, requires_grad=True)
    assert "digraph" in al.draw_graph(t * 2).source
    v = Value(1.0)
    v.label = 5  # set after construction: drawn as "5"
    assert "5" in al.draw_graph(v * 2).source


# --- huge allocations --------------------------------------------------------------------------

def test_a_huge_allocation_is_a_memory_error_naming_the_op_and_the_size():
    with pytest.raises(AllocationError, match=r"^zeros: not enough memory .*TiB"):
        al.zeros(10 ** 6, 10 ** 6)
    a, b = Tensor(np.ones((10 ** 6, 1))), Tensor(np.ones((1, 10 ** 6)))
    with pytest.raises(MemoryError, match=r"^\+: not enough memory .*\(1000000, 1\)"):
        a + b
    with pytest.raises(ValueError, match=r"^ones: .*(too big|maximum)"):
        al.ones(2 ** 40, 2 ** 40)  # more elements than an index can count: numpy's ValueError
