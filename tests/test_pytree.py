"""Pytrees: tree_flatten / unflatten round trips, dict order, namedtuples, None, tree_map, and
HIPS autograd's `flatten` (a float64 vector and its inverse, differentiable both ways)."""

from collections import OrderedDict, namedtuple

import numpy as np
import pytest

from autograd_lite import Tensor
from autograd_lite.functional import grad
from autograd_lite.pytree import (
    TreeDef,
    flatten,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
)

Pair = namedtuple("Pair", ["w", "b"])


def nested():
    return {"layers": [(np.ones((2, 3)), np.zeros(3)), (np.full((3, 1), 2.0), np.array([5.0]))],
            "scale": 0.5, "name": None}


# --- tree_flatten ------------------------------------------------------------------------------

def test_leaves_come_in_order_with_dict_keys_sorted():
    leaves, treedef = tree_flatten({"b": 1.0, "a": [2.0, (3.0, 4.0)], "c": {"z": 5.0, "y": 6.0}})
    assert leaves == [2.0, 3.0, 4.0, 1.0, 6.0, 5.0]
    assert treedef.num_leaves == 6


def test_unflatten_rebuilds_the_same_containers_and_dict_order():
    tree = {"b": [1.0, (2.0,)], "a": Pair(w=3.0, b=4.0), "n": None}
    leaves, treedef = tree_flatten(tree)
    rebuilt = tree_unflatten(treedef, [10 * x for x in leaves])
    assert list(rebuilt) == ["b", "a", "n"]  # the dict's own order, not the sorted one
    assert rebuilt == {"b": [10.0, (20.0,)], "a": Pair(w=30.0, b=40.0), "n": None}
    assert type(rebuilt["a"]) is Pair and type(rebuilt["b"][1]) is tuple


def test_dicts_built_in_different_orders_flatten_alike():
    one, two = {"x": 1.0, "y": 2.0}, {"y": 2.0, "x": 1.0}
    assert tree_leaves(one) == tree_leaves(two) == [1.0, 2.0]
    assert tree_flatten(one)[1] == tree_flatten(two)[1]
    assert tree_map(lambda a, b: a + b, one, two) == {"x": 2.0, "y": 4.0}


def test_an_ordered_dict_keeps_its_order():
    leaves, treedef = tree_flatten(OrderedDict([("y", 1.0), ("x", 2.0)]))
    assert leaves == [1.0, 2.0]
    assert isinstance(treedef.unflatten([3.0, 4.0]), OrderedDict)


def test_none_is_an_empty_container_and_a_bare_leaf_is_a_tree():
    assert tree_flatten(None)[0] == []
    leaves, treedef = tree_flatten(np.ones(2))
    assert len(leaves) == 1 and treedef.kind == "leaf"
    assert treedef.unflatten(["anything"]) == "anything"


def test_unflatten_counts_the_leaves():
    _, treedef = tree_flatten([1.0, 2.0])
    with pytest.raises(ValueError, match="holds 2 leaves, got 3"):
        treedef.unflatten([1, 2, 3])


def test_treedefs_compare_by_structure():
    assert tree_flatten([1.0, {"a": 2.0}])[1] == tree_flatten([np.ones(3), {"a": "x"}])[1]
    assert tree_flatten([1.0, 2.0])[1] != tree_flatten((1.0, 2.0))[1]
    assert tree_flatten({"a": 1.0})[1] != tree_flatten({"b": 1.0})[1]
    assert isinstance(tree_flatten([])[1], TreeDef)
    assert repr(tree_flatten({"a": [1.0, (2.0,)]})[1]) == "{'a': [*, (*,)]}"


def test_tree_map_over_one_and_two_trees():
    params, grads = nested(), tree_map(lambda x: x, nested())
    doubled = tree_map(lambda x: 2 * x, {"a": [1.0, 2.0], "b": 3.0})
    assert doubled == {"a": [2.0, 4.0], "b": 6.0}
    stepped = tree_map(lambda p, g: p - 0.1 * g, params["layers"], grads["layers"])
    np.testing.assert_allclose(stepped[1][0], np.full((3, 1), 1.8))
    with pytest.raises(ValueError, match="differ in structure"):
        tree_map(lambda a, b: a, [1.0], (1.0,))


# --- flatten (HIPS autograd's) -----------------------------------------------------------------

def test_flatten_gives_a_float64_vector_and_its_inverse():
    tree = nested()
    vector, unflatten = flatten(tree)
    assert vector.dtype == np.float64 and vector.shape == (6 + 3 + 3 + 1 + 1,)
    np.testing.assert_array_equal(vector[:6], np.ones(6))
    rebuilt = unflatten(vector)
    assert rebuilt["scale"] == 0.5 and type(rebuilt["scale"]) is float and rebuilt["name"] is None
    for (w, b), (w0, b0) in zip(rebuilt["layers"], tree["layers"], strict=True):
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(b, b0)
        assert w.shape == w0.shape and b.shape == b0.shape
    changed = unflatten(np.arange(14.0))
    np.testing.assert_array_equal(changed["layers"][0][0], np.arange(6.0).reshape(2, 3))
    assert changed["scale"] == 13.0


def test_flatten_keeps_float32_leaves_float32_and_turns_ints_into_floats():
    vector, unflatten = flatten([np.ones(2, dtype=np.float32), np.arange(3)])
    assert vector.dtype == np.float64
    w, n = unflatten(vector)
    assert w.dtype == np.float32 and n.dtype == np.float64


def test_flatten_of_an_empty_tree():
    vector, unflatten = flatten({})
    assert vector.shape == (0,) and unflatten(vector) == {}


def test_unflatten_checks_the_vector_size():
    _, unflatten = flatten([np.ones(2), 1.0])
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(4,\)"):
        unflatten(np.ones(4))


def test_flatten_refuses_leaves_that_are_not_numbers():
    with pytest.raises(TypeError, match="str"):
        flatten({"a": "text"})


def test_flatten_of_tensors_is_a_differentiable_tensor():
    # the l2 penalty of HIPS's neural_net example: flatten the parameters, then dot
    def l2(params):
        vector, _ = flatten(params)
        assert isinstance(vector, Tensor)
        return (vector * vector).sum()

    params = [(np.array([[1.0, -2.0]]), np.array([3.0])), 0.5]
    g = grad(l2)(params)
    np.testing.assert_array_equal(g[0][0], [[2.0, -4.0]])
    np.testing.assert_array_equal(g[0][1], [6.0])
    assert g[1] == 1.0


def test_unflatten_of_a_tensor_is_differentiable():
    params = {"w": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5, -0.5])}
    vector, unflatten = flatten(params)

    def loss(v):
        p = unflatten(v)
        return ((p["w"] @ np.array([1.0, 1.0]) + p["b"]) ** 2).sum()

    g = grad(loss)(vector)
    # p = w·1 + b = [3.5, 6.5]; ∂/∂b = 2p, ∂/∂w[i, :] = 2p_i; flat order: b, then w
    np.testing.assert_allclose(g, [7.0, 13.0, 7.0, 7.0, 13.0, 13.0])
