"""The graph core: topological order, the backward sweep, freeing, grad mode, memory."""

import gc
import math
import threading
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import (
    Tensor,
    Value,
    enable_grad,
    gradmode,
    is_grad_enabled,
    no_grad,
    primitive,
    set_grad_enabled,
)
from autograd_lite.engine import backward
from autograd_lite.graph import toposort


def diamond():
    """x feeds a and b, both feed out: the smallest graph where an adjoint must accumulate."""
    x = Value(3.0, label="x")
    a = x * 2.0
    b = x.tanh()
    return x, a, b, a * b


# --- topological order --------------------------------------------------------------------

def test_toposort_lists_each_node_once_parents_first_root_last():
    x, a, b, out = diamond()
    order = toposort(out)
    assert order[-1] is out
    assert len(order) == len({id(n) for n in order})
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node._parents:
            assert position[id(parent)] < position[id(node)]


def random_tensor_dag(draw_choice, n_ops):
    """A Tensor DAG built by `n_ops` random ops on earlier nodes (reuse, leaves mixed in)."""
    leaves = [Tensor(np.full(2, i + 1.0), requires_grad=i != 1, label=f"x{i}") for i in range(3)]
    nodes = list(leaves)
    for _ in range(n_ops):
        a, b = draw_choice(nodes), draw_choice(nodes)
        nodes.append(a * b if draw_choice([True, False]) else (a + b).tanh())
    return nodes


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.data(), st.integers(1, 40))
def test_toposort_of_numbered_tensor_graphs_matches_the_post_order(data, n_ops):
    nodes = random_tensor_dag(lambda xs: data.draw(st.sampled_from(xs)), n_ops)
    root = nodes[-1]
    if not root.requires_grad:
        return
    order = toposort(root)
    assert order[-1] is root and len(order) == len(set(order))
    position = {n: i for i, n in enumerate(order)}
    for node in order:
        assert all(position[p] < position[node] for p in node._parents)
    reachable, stack = {root}, [root]  # the same nodes as a plain walk finds
    while stack:
        for p in stack.pop()._parents:
            if p not in reachable:
                reachable.add(p)
                stack.append(p)
    assert set(order) == reachable


def test_toposort_of_tensor_graphs_is_deterministic():
    def build():
        x, y = Tensor([1.0], requires_grad=True, label="x"), Tensor([2.0], label="y")
        return ((x * y + y.exp()) * x + y).sum()

    first = [(n._op, n.label) for n in toposort(build())]
    assert first == [(n._op, n.label) for n in toposort(build())]
    assert sorted(label for _, label in first if label) == ["x", "y"]


def test_toposort_is_deterministic_and_follows_parent_order():
    def build():
        x, y = Value(1.0, label="x"), Value(2.0, label="y")
        return (x * y + y.exp()) * x

    first = [(n._op, n.label, n.data) for n in toposort(build())]
    assert first == [(n._op, n.label, n.data) for n in toposort(build())]
    assert first[0][1] == "x"  # the first parent's ancestry is placed first


def test_sum_of_a_node_with_itself_keeps_both_edges():
    a = Value(3.0)
    b = a + a
    assert b._parents == (a, a)
    b.backward()
    assert a.grad == 2.0


def test_adjoint_accumulates_at_a_node_that_feeds_two_others():
    x, a, b, out = diamond()
    out.backward()
    t = math.tanh(3.0)
    assert x.grad == pytest.approx(2.0 * t + 6.0 * (1 - t * t), rel=1e-15)
    assert (a.grad, b.grad, out.grad) == (pytest.approx(t), pytest.approx(6.0), 1.0)


# --- backward semantics -----------------------------------------------------------------

def test_leaf_gradients_accumulate_across_backward_calls():
    x = Value(2.0)
    (x * x).backward()
    (x * 3.0).backward()
    assert x.grad == 4.0 + 3.0


def test_retained_graph_second_backward_adds_exactly_one_more_gradient():
    x, a, b, out = diamond()
    out.backward(retain_graph=True)
    once = x.grad
    out.backward()
    assert x.grad == pytest.approx(2 * once, rel=1e-15)
    assert out.grad == 2.0


def test_second_backward_on_a_freed_graph_says_to_retain_it_and_changes_nothing():
    x, a, b, out = diamond()
    out.backward()
    grads = (x.grad, a.grad, b.grad, out.grad)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        out.backward()
    assert (x.grad, a.grad, b.grad, out.grad) == grads


def test_building_on_a_freed_graph_then_backward_raises():
    x = Value(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="already freed"):
        (y * 2.0).backward()


def test_backward_on_a_leaf_seeds_its_own_gradient():
    x = Value(5.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_backward_gradient_argument_scales_every_adjoint():
    x = Value(2.0)
    (x * x).backward(gradient=0.5)
    assert x.grad == 2.0


def test_backward_gradient_must_be_a_real_number():
    with pytest.raises(TypeError, match="backward"):
        (Value(1.0) * 2.0).backward(gradient="1")


def test_failed_sweep_leaves_no_partial_adjoints_behind():
    @primitive
    def faulty(a, b):
        return a * b

    def fails(g, out, a, b):
        raise ZeroDivisionError("rule failed")

    faulty.defvjp(lambda g, out, a, b: g * b, fails)  # the first input's push works
    x = Tensor([1.0], requires_grad=True)
    y = x * 2.0
    bad = faulty(y, x)
    with pytest.raises(ZeroDivisionError):
        bad.sum().backward(retain_graph=True)
    assert all(n._adjoint is None for n in toposort(bad))
    assert x.grad is None
    y.sum().backward()  # the good part of the graph still works, with one clean sweep
    assert x.grad.tolist() == [2.0]


def test_backward_keeps_the_cyclic_collector_state():
    x = Value(1.0)
    gc.disable()
    try:
        (x * 2.0).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()
    (x * 2.0).backward()
    assert gc.isenabled()


# --- no recursion: long chains --------------------------------------------------------------

def test_million_op_chain_backprops_with_the_exact_answer():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + x  # y = (n + 1) x, so dy/dx = n + 1 exactly
    y.backward()
    assert x.grad == 1_000_001.0
    assert y.data == 1_000_001.0
    del y  # dropping a million-deep chain must not overflow the C stack either


def test_long_mul_add_chain_matches_the_closed_form():
    n = 200_000
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**n, rel=1e-9)


def test_repr_and_drawing_order_do_not_recurse_on_deep_graphs():
    y = Value(0.0)
    for _ in range(50_000):
        y = y.sin()
    assert repr(y).startswith("Value(data=")
    assert len(toposort(y)) == 50_001


# --- freeing by reference counting ---------------------------------------------------------

def _graph_with_weakrefs():
    x = Value(0.5, label="x")
    w = Value(-1.5, label="w")
    h = (x * w + 1.0).tanh()
    out = h * h + h.exp() / x
    refs = [weakref.ref(n) for n in toposort(out)]
    return out, refs


@pytest.mark.parametrize("run_backward", [False, True])
@pytest.mark.parametrize("retain", [False, True])
def test_dropping_the_root_frees_the_whole_graph_without_the_cycle_collector(run_backward, retain):
    gc.collect()
    gc.disable()
    try:
        out, refs = _graph_with_weakrefs()
        if run_backward:
            out.backward(retain_graph=retain)
        assert all(r() is not None for r in refs)
        del out
        assert [r for r in refs if r() is not None] == []
    finally:
        gc.enable()


def test_a_value_holds_no_reference_to_itself():
    x = Value(2.0)
    y = x * x
    assert gc.get_referents(y).count(y) == 0
    assert y not in [p for p in y._parents]


# --- grad mode ---------------------------------------------------------------------------

def test_no_grad_results_are_constants_with_no_history():
    x = Value(2.0)
    with no_grad():
        y = x * 3.0 + 1.0
    assert y._parents == () and y.is_leaf and y._op == ""
    assert is_grad_enabled()


def test_enable_grad_records_inside_no_grad_and_modes_nest():
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            y = x * x
            assert is_grad_enabled()
        assert not is_grad_enabled()
    y.backward()
    assert x.grad == 4.0


def test_no_grad_and_enable_grad_work_as_decorators_and_restore_the_mode():
    @no_grad()
    def frozen(v):
        assert not is_grad_enabled()
        return v * 2.0

    @enable_grad()
    def recording(v):
        return v * 2.0

    x = Value(1.0)
    assert frozen(x).is_leaf
    assert is_grad_enabled()
    with no_grad():
        assert not recording(x).is_leaf
        assert not is_grad_enabled()


def test_decorated_function_can_recurse():
    @no_grad()
    def countdown(n):
        assert not is_grad_enabled()
        return 0 if n == 0 else countdown(n - 1)

    countdown(5)
    assert is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with no_grad():
            raise KeyError
    assert is_grad_enabled()


def test_set_grad_enabled_works_as_a_statement_a_block_and_a_decorator():
    set_grad_enabled(False)
    assert not is_grad_enabled()
    set_grad_enabled(True)
    assert is_grad_enabled()
    with set_grad_enabled(False):
        assert not is_grad_enabled()
    assert is_grad_enabled()

    @set_grad_enabled(False)
    def f():
        return is_grad_enabled()

    assert is_grad_enabled()  # decorating does not switch the mode
    assert f() is False
    assert is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with no_grad():
        t = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_ops_record_in_one_thread_while_another_is_under_no_grad():
    inside, done = threading.Event(), threading.Event()
    worker_ops = []

    def worker():
        with no_grad():
            inside.set()
            done.wait(10)
            x = Tensor([1.0], requires_grad=True)
            worker_ops.extend([Value(1.0) * 2.0, x * 2.0])

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(10)
    x = Tensor([1.0], requires_grad=True)
    main_ops = [Value(1.0) * 2.0, x * 2.0]  # grad mode is still on in this thread
    done.set()
    t.join()
    assert all(not op.is_leaf for op in main_ops)
    assert all(op.is_leaf for op in worker_ops) and not worker_ops[1].requires_grad
    assert not gradmode._threads_off


def test_every_way_of_leaving_a_grad_mode_restores_the_shared_count():
    @no_grad()
    def decorated():
        raise ValueError("inside")

    with pytest.raises(ValueError):
        decorated()
    with pytest.raises(KeyError), no_grad(), enable_grad(), no_grad():
        raise KeyError("nested")
    set_grad_enabled(False)
    assert len(gradmode._threads_off) == 1 and not (Value(1.0) * 2.0)._parents
    set_grad_enabled(True)
    (Tensor([1.0], requires_grad=True) * 2.0).sum().backward()  # off during the sweep
    assert not gradmode._threads_off and is_grad_enabled()


# --- adjoints of chosen inputs (what the functional transforms use) -----------------------

def test_backward_with_inputs_returns_their_adjoints_and_stores_no_grad():
    x, a, b, out = diamond()
    (gx, ga) = backward(out, 1.0, inputs=[x, a])
    t = math.tanh(3.0)
    assert gx == pytest.approx(2.0 * t + 6.0 * (1 - t * t)) and ga == pytest.approx(t)
    assert all(n.grad == 0.0 for n in toposort(out))  # Values' grads start at 0.0
    assert all(n._adjoint is None for n in toposort(out))


def test_backward_with_inputs_leaves_branches_off_the_paths_untouched():
    x, y = Value(2.0), Value(3.0)
    side = y * y  # reaches out, but not x
    out = x * side
    (gx,) = backward(out, 1.0, inputs=[x])
    assert gx == 9.0
    side.backward()  # its rule was neither used nor freed
    assert y.grad == 6.0


def test_backward_with_an_unreachable_input_reports_none():
    x, other = Value(1.0), Value(2.0)
    assert backward(x * 3.0, 1.0, inputs=[other]) == [None]
