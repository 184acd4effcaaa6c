"""Tests for `nn.classic`: Skansi's perceptron-rule and delta-rule steps (TEXTBOOK examples 2
and 3) to the digit, the perceptron on the logic gates (AND and OR learned, XOR never), least
squares on XOR (TEXTBOOK example 5), and the step(0) convention."""

from __future__ import annotations

import numpy as np
import pytest

from nn.classic import ADALINE_THRESHOLD, STEP_AT_ZERO, Adaline, Perceptron, step

X_GATES = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
AND = np.array([0, 0, 0, 1])
OR = np.array([0, 1, 1, 1])
XOR = np.array([0, 1, 1, 0])


# --- TEXTBOOK example 2: the perceptron rule (Skansi) -----------------------------------------

def test_skansi_perceptron_rule_step():
    p = Perceptron(2)
    p.weights = np.array([2.0, -3.0])
    p.bias = 0.5
    x = np.array([0.3, 0.4])
    assert p.net_input(x) == pytest.approx(-0.1)
    assert p.predict(x) == 0
    p.fit(x[None], [1], epochs=1, lr=1.0)
    np.testing.assert_allclose(p.weights, [2.3, -2.6], atol=1e-12)
    assert p.bias == pytest.approx(1.5)
    assert p.errors_ == [1]
    assert p.predict(x) == 1  # z = 0.69 - 1.04 + 1.5 > 0 now


# --- TEXTBOOK example 3: the delta rule (Skansi's meal prices) -------------------------------

def test_skansi_delta_rule_step():
    a = Adaline(3)
    a.weights = [6.0, 3.0, 3.0]  # guessed price per kg; the bias stays 0
    x, t = np.array([0.23, 0.15, 0.27]), 3.0
    assert a.net_input(x) == pytest.approx(2.64)
    a.fit(x[None], [t], epochs=1, lr=1 / 3)
    delta = (1 / 3) * x * (t - 2.64)  # Δw_i = η·x_i·(t − y)
    np.testing.assert_allclose(a.weights, [6.0, 3.0, 3.0] + delta, atol=1e-12)
    np.testing.assert_allclose(a.weights, [6.0276, 3.018, 3.0324], atol=1e-12)
    assert a.sse_ == [pytest.approx(0.36**2)]


# --- logic gates ------------------------------------------------------------------------------

@pytest.mark.parametrize("y", [AND, OR], ids=["AND", "OR"])
def test_perceptron_learns_and_and_or_within_20_epochs(y):
    p = Perceptron(2).fit(X_GATES, y, epochs=20, lr=1.0)
    assert 0 in p.errors_  # an epoch without a single mistake
    np.testing.assert_array_equal(p.predict(X_GATES), y)
    assert p.errors_[-1] == 0


def test_perceptron_cannot_fit_xor():
    p = Perceptron(2)
    for _ in range(100):
        p.fit(X_GATES, XOR, epochs=1)
        assert p.errors_[0] > 0
        assert np.mean(p.predict(X_GATES) == XOR) < 1.0


def test_least_squares_on_xor_gives_one_half_everywhere():
    design = np.array([[1, 0, 0], [1, 0, 1], [1, 1, 0], [1, 1, 1]], dtype=np.float64)
    coef, *_ = np.linalg.lstsq(design, XOR.astype(np.float64), rcond=None)
    np.testing.assert_allclose(design @ coef, [0.5, 0.5, 0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(coef, [0.5, 0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("y", [AND, OR], ids=["AND", "OR"])
def test_adaline_approaches_least_squares_and_classifies_the_gates(y):
    a = Adaline(2).fit(X_GATES, y, epochs=300, lr=0.05)
    design = np.c_[np.ones(4), X_GATES]
    coef, *_ = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)
    # online updates with a constant rate hover near the least-squares solution
    np.testing.assert_allclose([a.bias, *a.weights], coef, atol=0.05)
    np.testing.assert_array_equal(a.predict(X_GATES), y)
    assert a.sse_[-1] < a.sse_[0]


# --- conventions, state and checks -------------------------------------------------------------

def test_step_at_zero_is_one_for_both_units():
    assert STEP_AT_ZERO == 1
    np.testing.assert_array_equal(step([-1e-9, 0.0, 1e-9]), [0, 1, 1])
    assert Perceptron(3).predict(np.zeros(3)) == 1  # zero weights: z = 0 → 1
    a = Adaline(1)
    a.weights = [1.0]  # linear output = x
    assert a.predict([ADALINE_THRESHOLD]) == 1 and a.predict([ADALINE_THRESHOLD - 1e-9]) == 0


def test_predict_returns_ints():
    out = Perceptron(2).predict(X_GATES)
    assert out.dtype == np.int64 and out.shape == (4,)
    assert isinstance(Adaline(2).predict([1.0, 2.0]), int)


def test_weights_and_bias_are_writable_float64():
    p = Perceptron(2)
    assert p.weights.dtype == np.float64 and p.bias == 0.0
    np.testing.assert_array_equal(p.weights, [0, 0])
    p.weights = [1, 2]  # ints become float64
    assert p.weights.dtype == np.float64
    p.weights[0] = -4.5  # in place
    assert p.net_input([1.0, 1.0]) == pytest.approx(-2.5)
    p.bias = np.float32(1)
    assert type(p.bias) is float
    with pytest.raises(ValueError, match=r"\(2,\)"):
        p.weights = [1.0, 2.0, 3.0]


def test_fit_returns_self_and_records_one_entry_per_epoch():
    p = Perceptron(2)
    assert p.fit(X_GATES, AND, epochs=7) is p and len(p.errors_) == 7
    a = Adaline(2)
    assert a.fit(X_GATES, AND, epochs=4, lr=0.1) is a and len(a.sse_) == 4


def test_rng_gives_small_random_initial_weights():
    a = Perceptron(4, rng=np.random.default_rng(0))
    b = Perceptron(4, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a.weights, b.weights)
    assert np.all(a.weights != 0) and np.all(np.abs(a.weights) < 0.1) and a.bias == 0.0


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="0 or 1"):
        Perceptron(2).fit(X_GATES, [0, 1, 2, 1])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        Perceptron(2).predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="4 targets"):
        Adaline(2).fit(X_GATES, [0, 1, 1])
    with pytest.raises(ValueError, match="n_inputs"):
        Adaline(0)
