"""nn.Module, Parameter and Sequential: registration, traversal order, modes, state."""

import numpy as np
import pytest

from autograd_lite import Tensor
from nn.module import Module, Parameter, Sequential, StateEntry


class Affine(Module):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = Parameter(np.full((n_out, n_in), 0.5))
        self.bias = Parameter(np.zeros(n_out))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T + self.bias

    def extra_repr(self) -> str:
        return f"{self.weight.shape[1]} -> {self.weight.shape[0]}"


class WithBuffer(Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = Parameter(np.ones(3))
        self.register_buffer("count", np.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale


def model() -> Sequential:
    return Sequential(Affine(2, 3), Sequential(Affine(3, 3), WithBuffer()), Affine(3, 1))


def test_parameter_is_a_float32_tensor_that_requires_grad():
    p = Parameter(np.ones(3))
    assert isinstance(p, Tensor) and p.requires_grad and p.dtype == np.float32
    assert Parameter(np.ones(3), dtype=np.float64).dtype == np.float64


def test_named_parameters_follow_registration_order_depth_first():
    names = [name for name, _ in model().named_parameters()]
    assert names == ["0.weight", "0.bias", "1.0.weight", "1.0.bias", "1.1.scale",
                     "2.weight", "2.bias"]


def test_a_shared_parameter_is_listed_once():
    a = Affine(2, 2)
    b = Affine(2, 2)
    b.weight = a.weight
    assert len(list(Sequential(a, b).parameters())) == 3


def test_reassigning_an_attribute_replaces_its_registration():
    m = Affine(2, 2)
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    del m.weight
    assert list(m.parameters()) == []


def test_setting_attributes_before_super_init_says_what_to_do():
    class Forgetful(Module):
        def __init__(self) -> None:
            self.weight = Parameter(np.ones(1))

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\)"):
        Forgetful()


def test_train_and_eval_reach_every_submodule():
    m = model()
    assert m.eval() is m
    assert not any(sub.training for sub in m.modules())
    m.train()
    assert all(sub.training for sub in m.modules())


def test_zero_grad_clears_every_parameter_gradient():
    m = model()
    m(Tensor(np.ones((4, 2)))).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_calling_a_module_runs_forward_and_backprop_reaches_parameters():
    m = Affine(2, 1)
    out = m(Tensor(np.array([[1.0, 2.0]], dtype=np.float32)))
    out.sum().backward()
    assert np.allclose(m.weight.grad, [[1.0, 2.0]]) and np.allclose(m.bias.grad, [1.0])


def test_state_dict_lists_each_modules_parameters_then_buffers_as_copies():
    m = model()
    state = m.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.0.weight", "1.0.bias", "1.1.scale",
                           "1.1.count", "2.weight", "2.bias"]
    state["0.weight"][:] = 7
    assert not np.any(m[0].weight.data == 7)


def test_load_state_dict_sets_values_and_keeps_dtypes():
    source, target = model(), model()
    for p in source.parameters():
        p.data = p.data + 1
    target.load_state_dict(source.state_dict())
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values(),
                            strict=True):
        assert np.array_equal(a, b) and a.dtype == b.dtype, name


def test_load_state_dict_checks_everything_before_changing_anything():
    m = model()
    before = m.state_dict()
    bad = dict(before)
    bad["0.weight"] = np.ones((9, 9))
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(9, 9\)"):
        m.load_state_dict(bad)
    missing = {k: v for k, v in before.items() if k != "2.bias"}
    with pytest.raises(KeyError, match=r"missing \['2.bias'\]"):
        m.load_state_dict(missing)
    assert all(np.array_equal(m.state_dict()[k], v) for k, v in before.items())


def test_load_state_dict_non_strict_skips_missing_names():
    m = model()
    m.load_state_dict({"2.bias": np.array([5.0])}, strict=False)
    assert m[2].bias.data.tolist() == [5.0]


def test_reassigned_buffer_stays_a_buffer():
    m = WithBuffer()
    m.count = m.count + 1
    assert m.state_dict()["count"] == 1.0


def test_a_shared_parameter_is_saved_once_under_its_first_name():
    a, b = Affine(2, 2), Affine(2, 2)
    b.weight = a.weight
    tied = Sequential(a, b)
    assert list(tied.state_dict()) == ["0.weight", "0.bias", "1.bias"]
    tied.load_state_dict({**tied.state_dict(), "0.weight": np.full((2, 2), 3.0)})
    assert np.all(b.weight.data == 3.0)


class WithTemperature(Affine):
    """State held outside Parameters and buffers: a plain float, added as a state entry."""

    def __init__(self) -> None:
        super().__init__(2, 1)
        self.temperature = 1.0

    def _state_entries(self):
        yield from super()._state_entries()
        yield "temperature", StateEntry(lambda: np.array(self.temperature),
                                        lambda a: setattr(self, "temperature", float(a)))


def test_a_state_entry_is_saved_and_loaded_with_the_same_checks_as_parameters():
    m = Sequential(WithTemperature())
    assert list(m.state_dict()) == ["0.weight", "0.bias", "0.temperature"]
    state = {**m.state_dict(), "0.temperature": np.array(0.5)}
    m.load_state_dict(state)
    assert m[0].temperature == 0.5
    for bad, error, text in ((np.ones(2), ValueError, r"'0.temperature' has shape \(2,\)"),
                             (np.array(1), TypeError, "dtype int64, the module expects "
                                                      "float64")):
        with pytest.raises(error, match=text):
            m.load_state_dict({**state, "0.weight": np.zeros((1, 2)), "0.temperature": bad})
        assert m[0].temperature == 0.5 and np.all(m[0].weight.data == 0.5)  # nothing changed


def test_repr_is_an_indented_tree():
    assert repr(model()) == "\n".join([
        "Sequential(",
        "  (0): Affine(2 -> 3)",
        "  (1): Sequential(",
        "    (0): Affine(3 -> 3)",
        "    (1): WithBuffer()",
        "  )",
        "  (2): Affine(3 -> 1)",
        ")",
    ])


def test_sequential_indexes_iterates_and_rejects_non_modules():
    m = model()
    assert len(m) == 3 and isinstance(m[-1], Affine) and len(list(m)) == 3
    with pytest.raises(TypeError, match="argument 1 is a int, not a Module"):
        Sequential(Affine(1, 1), 3)


def test_deep_nesting_is_walked_without_recursion():
    m: Module = Affine(1, 1)
    for _ in range(3000):
        m = Sequential(m)
    assert len(list(m.parameters())) == 2
    assert repr(m).count("Sequential(") == 3000


# --- ModuleDict -------------------------------------------------------------------------------

def test_module_dict_registers_modules_by_name_in_insertion_order():
    from nn.module import ModuleDict

    d = ModuleDict({"wte": Affine(2, 3), "h": Sequential(Affine(3, 3))})
    d["ln_f"] = WithBuffer()
    assert list(d) == d.keys() == ["wte", "h", "ln_f"] and len(d) == 3 and "h" in d
    assert d["wte"] is d.wte and d.values()[0] is d["wte"]
    assert [n for n, _ in d.named_parameters()] == [
        "wte.weight", "wte.bias", "h.0.weight", "h.0.bias", "ln_f.scale"]
    assert "ln_f.count" in d.state_dict()
    del d["h"]
    assert d.keys() == ["wte", "ln_f"] and "h.0.weight" not in dict(d.named_parameters())
    d.update([("h", Affine(3, 3))])
    assert [k for k, _ in d.items()] == ["wte", "ln_f", "h"]
    assert repr(ModuleDict({"a": Affine(2, 1)})) == "ModuleDict(\n  (a): Affine(2 -> 1)\n)"


@pytest.mark.parametrize("key, value, error, words", [
    ("a", np.ones(2), TypeError, "value for key 'a' is a ndarray, not a Module"),
    ("a.b", Affine(1, 1), KeyError, "without '.'"),
    ("", Affine(1, 1), KeyError, "non-empty strings"),
    ("keys", Affine(1, 1), KeyError, "clashes with an attribute"),
    ("training", Affine(1, 1), KeyError, "clashes with an attribute"),
])
def test_module_dict_refuses_bad_keys_and_values(key, value, error, words):
    from nn.module import ModuleDict

    with pytest.raises(error, match=words):
        ModuleDict()[key] = value


# --- weight tying -------------------------------------------------------------------------------

def test_a_tied_embedding_and_output_layer_share_one_parameter_counted_once(tmp_path):
    import nn

    class TinyLM(Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte = nn.Embedding(5, 3)
            self.lm_head = nn.Linear(3, 5, bias=False)
            self.lm_head.weight = self.wte.weight  # (5, 3) both: PyTorch's layouts agree

        def forward(self, idx: np.ndarray) -> Tensor:
            return self.lm_head(self.wte(idx))

    lm = TinyLM()
    assert [n for n, _ in lm.named_parameters()] == ["wte.weight"]
    assert list(lm.state_dict()) == ["wte.weight"]
    idx = np.array([1, 1, 4])
    w = lm.wte.weight.data.astype(np.float64)
    lm(idx).backward(np.ones((3, 5), dtype=np.float32))
    # both uses add into the one gradient: the lookup's rows and the output layer's x·ḡ
    expected = np.zeros((5, 3))
    np.add.at(expected, idx, np.ones((3, 5)) @ w)
    expected += np.ones((5, 3)) * w[idx].sum(0)
    assert np.allclose(lm.wte.weight.grad, expected, atol=1e-5)
    opt = nn.optim.SGD(lm.parameters(), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 1
    opt.step()  # one update of the shared weight, seen by both layers
    assert lm.lm_head.weight is lm.wte.weight
    assert np.allclose(lm.wte.weight.data, w - 0.1 * expected, atol=1e-5)
    nn.save(lm, tmp_path / "lm.npz")
    fresh = TinyLM()
    nn.load(fresh, tmp_path / "lm.npz")
    assert np.array_equal(fresh.lm_head.weight.data, lm.wte.weight.data)
    assert fresh.lm_head.weight is fresh.wte.weight
