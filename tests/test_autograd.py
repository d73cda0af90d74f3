"""Tests for course_lib.autograd: PyTorch (float64) is the reference for values and gradients.

Sections: (1) random expression trees from Hypothesis, built once with Value and
once with torch, (2) every operation at a few points against torch, (3) reused
nodes, (4) a 100,000-node chain, (5) the three node types on a worked graph,
(6) saturation of sigmoid/tanh, (7) accumulation and zero_grad, (8) graph
helpers, (9) input errors. The doctests run separately (pytest --doctest-modules).
"""

import math
import operator
import warnings

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from course_lib.autograd import Value, topological_order, trace

pytestmark = pytest.mark.ch01

# Both sides compute in float64 with the same formulas; libm and torch may
# differ by an ulp in exp/log/tanh, which the trees below cannot amplify much.
TOL = {"rtol": 1e-9, "atol": 1e-12}


def assert_close(ours, theirs, msg=""):
    torch.testing.assert_close(
        torch.tensor(ours, dtype=torch.float64),
        torch.as_tensor(theirs, dtype=torch.float64),
        **TOL,
        msg=lambda m: f"{msg}\n{m}",
    )


def torch_leaves(values):
    return [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]


def torch_grad(t):
    """A leaf's gradient; None (never reached by backward) means 0, as for a Value."""
    return 0.0 if t.grad is None else t.grad.item()


# --------------------------------------------------------------------------- #
# (1) Random expression trees, evaluated with two backends
# --------------------------------------------------------------------------- #
# The same tree is evaluated by one function with a table of operations per
# backend. max in torch is written with `where` to route ties to the first
# input, as Value.max does (torch.maximum would split the gradient 50/50).
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
VALUE_OPS = {
    **BINARY,
    "max": lambda a, b: a.max(b),
    "pow": operator.pow,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
}
TORCH_OPS = {
    **BINARY,
    "max": lambda a, b: torch.where(a >= b, a, b),
    "pow": operator.pow,
    "exp": torch.exp,
    "log": torch.log,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
}
UNARY = ["exp", "log", "tanh", "sigmoid", "relu"]
BIG = 1e4  # every intermediate value stays below this: no overflow, gradients stay moderate


@st.composite
def expressions(draw, n_leaves, depth=5, root=True):
    """A tree of nested tuples: ("leaf", i), (op, child), (op, left, right), ("pow", child, n),
    ("const", op, c, child, c_on_left): a plain number on either side of + - * /.
    The root is an operation; below it, a branch stops early one time in five."""
    if depth == 0 or (not root and draw(st.integers(0, 4)) == 0):
        return ("leaf", draw(st.integers(0, n_leaves - 1)))
    child = expressions(n_leaves, depth - 1, root=False)
    kind = draw(st.sampled_from(["binary", "unary", "pow", "const"]))
    if kind == "binary":
        return (draw(st.sampled_from([*BINARY, "max"])), draw(child), draw(child))
    if kind == "unary":
        return (draw(st.sampled_from(UNARY)), draw(child))
    if kind == "pow":
        return ("pow", draw(child), draw(st.sampled_from([2, 3])))
    c = draw(st.floats(0.1, 3)) * draw(st.sampled_from([1, -1]))
    return ("const", draw(st.sampled_from(list(BINARY))), c, draw(child), draw(st.booleans()))


def evaluate(tree, leaves, ops, data):
    """Evaluate ``tree``; ``data(x)`` reads a float, for the domain checks (assume)."""
    head = tree[0]
    if head == "leaf":
        return leaves[tree[1]]
    if head == "const":
        _, op, c, child, c_on_left = tree
        x = evaluate(child, leaves, ops, data)
        if op == "/" and c_on_left:  # c / x (x / c is safe: |c| >= 0.1)
            assume(abs(data(x)) > 1e-2)
        out = ops[op](c, x) if c_on_left else ops[op](x, c)
    elif head == "pow":
        out = ops["pow"](evaluate(tree[1], leaves, ops, data), tree[2])
    elif len(tree) == 2:
        x = evaluate(tree[1], leaves, ops, data)
        if head == "log":
            assume(data(x) > 1e-2)
        if head == "exp":
            assume(data(x) < 8)
        out = ops[head](x)
    else:
        a = evaluate(tree[1], leaves, ops, data)
        b = evaluate(tree[2], leaves, ops, data)
        if head == "/":
            assume(abs(data(b)) > 1e-2)
        out = ops[head](a, b)
    assume(abs(data(out)) < BIG)
    return out


@st.composite
def trees_and_leaves(draw):
    values = draw(st.lists(st.floats(-3, 3), min_size=2, max_size=4))
    return draw(expressions(len(values))), values


@given(trees_and_leaves())
def test_random_expression_matches_torch(case):
    """Does every random expression give torch's value and torch's gradient for every leaf?"""
    tree, values = case
    ours = [Value(v, label=f"x{i}") for i, v in enumerate(values)]
    out = evaluate(tree, ours, VALUE_OPS, lambda v: v.data)
    theirs = torch_leaves(values)
    ref = evaluate(tree, theirs, TORCH_OPS, lambda t: t.item())
    assert isinstance(out, Value)  # the root is an operation on Values, never a bare number
    out.backward()
    if ref.requires_grad:
        ref.backward()
    assert_close(out.data, ref.item(), f"value of {tree}")
    for i, (v, t) in enumerate(zip(ours, theirs, strict=True)):
        assert_close(v.grad, torch_grad(t), f"grad of x{i} in {tree} at {values}")


# --------------------------------------------------------------------------- #
# (2) Each operation at a few points, against torch
# --------------------------------------------------------------------------- #
OP_CASES = {
    "a + b": (lambda a, b: a + b, [(1.5, -2.0)]),
    "a - b": (lambda a, b: a - b, [(1.5, -2.0)]),
    "a * b": (lambda a, b: a * b, [(1.5, -2.0)]),
    "a / b": (lambda a, b: a / b, [(1.5, -2.0), (-3.0, 0.25)]),
    "2 + a": (lambda a, b: 2 + a, [(1.5, 0.0)]),
    "2 - a": (lambda a, b: 2 - a, [(1.5, 0.0)]),
    "2 * a": (lambda a, b: 2 * a, [(1.5, 0.0)]),
    "2 / a": (lambda a, b: 2 / a, [(1.5, 0.0), (-0.5, 0.0)]),
    "a - 2": (lambda a, b: a - 2, [(1.5, 0.0)]),
    "a / 2": (lambda a, b: a / 2, [(1.5, 0.0)]),
    "-a": (lambda a, b: -a, [(1.5, 0.0)]),
    "a ** 3": (lambda a, b: a**3, [(-1.5, 0.0)]),
    "a ** 0.5": (lambda a, b: a**0.5, [(2.25, 0.0)]),
    "a ** -2": (lambda a, b: a**-2, [(-1.5, 0.0)]),
    "a ** 0": (lambda a, b: a**0, [(-1.5, 0.0)]),
    "exp": (lambda a, b: a.exp(), [(-1.5, 0.0), (2.0, 0.0)]),
    "log": (lambda a, b: a.log(), [(0.3, 0.0), (7.0, 0.0)]),
    "tanh": (lambda a, b: a.tanh(), [(-0.7, 0.0), (3.0, 0.0)]),
    "sigmoid": (lambda a, b: a.sigmoid(), [(-2.0, 0.0), (0.0, 0.0), (5.0, 0.0)]),
    "relu": (lambda a, b: a.relu(), [(-2.0, 0.0), (0.0, 0.0), (5.0, 0.0)]),
}


def _torch_version(name):
    """The torch twin of an OP_CASES entry: Value methods become torch functions."""
    methods = {"exp": torch.exp, "log": torch.log, "tanh": torch.tanh}
    methods |= {"sigmoid": torch.sigmoid, "relu": torch.relu}
    return (lambda a, b: methods[name](a)) if name in methods else OP_CASES[name][0]


@pytest.mark.parametrize(
    ("name", "point"), [(n, p) for n, (_, points) in OP_CASES.items() for p in points]
)
def test_each_operation_matches_torch(name, point):
    """Does each operation, with numbers on either side, match torch's value and gradients?"""
    fn = OP_CASES[name][0]
    a, b = Value(point[0]), Value(point[1])
    out = fn(a, b)
    out.backward()
    ta, tb = torch_leaves(point)
    ref = _torch_version(name)(ta, tb)
    ref.backward()
    assert_close(out.data, ref.item(), name)
    assert_close(a.grad, torch_grad(ta), f"d({name})/da")
    assert_close(b.grad, torch_grad(tb), f"d({name})/db")


@pytest.mark.parametrize(
    ("a", "b", "grad_a", "grad_b"), [(3.0, 1.0, 1.0, 0.0), (1.0, 3.0, 0.0, 1.0)]
)
def test_max_routes_the_gradient_to_the_larger_input(a, b, grad_a, grad_b):
    """Does max send the whole gradient to the larger input and nothing to the other?"""
    x, y = Value(a), Value(b)
    (x.max(y) * 5).backward()
    assert (x.grad, y.grad) == (5 * grad_a, 5 * grad_b)


def test_max_tie_routes_to_self_and_accepts_a_number():
    """On a tie, does max give the gradient to self (documented), and take a plain number?"""
    x, y = Value(2.0), Value(2.0)
    x.max(y).backward()
    assert (x.grad, y.grad) == (1.0, 0.0)
    z = Value(-1.0)
    out = z.max(0.5)
    out.backward()
    assert (out.data, z.grad) == (0.5, 0.0)


def test_pow_at_zero_has_the_slopes_torch_has():
    """Is d(x**n)/dx at x = 0 equal to torch's: 1 for n = 1, 0 for n = 2, inf for n = 0.5?"""
    for n, expected in [(1, 1.0), (2, 0.0), (0.5, math.inf)]:
        x = Value(0.0)
        (x**n).backward()
        t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        (t**n).backward()
        assert x.grad == expected == t.grad.item(), n


# --------------------------------------------------------------------------- #
# (3) A node used several times accumulates its gradient
# --------------------------------------------------------------------------- #
def test_a_plus_a():
    """f = a + a = 2a: is df/da = 2 (two paths of 1), not 1?"""
    a = Value(3.0)
    f = a + a
    f.backward()
    assert (f.data, a.grad) == (6.0, 2.0)


def test_a_times_a():
    """f = a * a = a**2: is df/da = 2a = 6 at a = 3 (each path sends the other input, a)?"""
    a = Value(3.0)
    f = a * a
    f.backward()
    assert (f.data, a.grad) == (9.0, 6.0)


def test_shared_subexpression():
    """s = a*b used twice, f = s + s: is df/da = 2b = -10 and df/db = 2a = 4 at a=2, b=-5?"""
    a, b = Value(2.0), Value(-5.0)
    s = a * b
    f = s + s
    f.backward()
    assert (f.data, s.grad, a.grad, b.grad) == (-20.0, 2.0, -10.0, 4.0)
    ta, tb = torch_leaves([2.0, -5.0])
    ts = ta * tb
    (ts + ts).backward()
    assert (a.grad, b.grad) == (ta.grad.item(), tb.grad.item())


def test_diamond_graph():
    """a feeds b = 2a and c = a + 1, joined in d = b*c = 2a**2 + 2a: is dd/da = 4a + 2 = 14?"""
    a = Value(3.0)
    b = a * 2
    c = a + 1
    d = b * c  # d = 6 * 4 = 24; dd/db = c = 4, dd/dc = b = 6
    d.backward()
    # a gets 2 * dd/db (through b) + 1 * dd/dc (through c) = 2*4 + 6 = 14
    assert (d.data, b.grad, c.grad, a.grad) == (24.0, 4.0, 6.0, 14.0)
    (ta,) = torch_leaves([3.0])
    ((ta * 2) * (ta + 1)).backward()
    assert a.grad == ta.grad.item()


# --------------------------------------------------------------------------- #
# (4) A deep chain: the topological sort must not recurse
# --------------------------------------------------------------------------- #
def test_chain_of_100000_nodes():
    """y = a + a + ... + a (100,001 terms), a chain 100,000 deep: is dy/da exactly 100,001?"""
    n = 100_000
    a = Value(0.5)
    y = a
    for _ in range(n):
        y = y + a
    y.backward()
    assert y.data == 0.5 * (n + 1)
    assert a.grad == n + 1  # a sum of ones: exact in float64
    assert len(topological_order(y)) == n + 1


# --------------------------------------------------------------------------- #
# (5) The three node types on one worked graph (chapter 01's add, mul, max)
# --------------------------------------------------------------------------- #
def test_worked_graph_add_multiply_max():
    """f = (x*y + max(z, w)) * 2 at x=3, y=-4, z=2, w=-1: are the hand-worked gradients right?"""
    x, y, z, w = (Value(v, label=s) for v, s in [(3.0, "x"), (-4.0, "y"), (2.0, "z"), (-1.0, "w")])
    p = x * y  # -12
    m = z.max(w)  # 2
    s = p + m  # -10
    f = s * 2  # -20
    f.backward()
    # multiply by 2 switches:  df/ds = 2
    # add distributes:         df/dp = df/dm = 2
    # multiply switches:       df/dx = y * 2 = -8,  df/dy = x * 2 = 6
    # max routes (z > w):      df/dz = 2,  df/dw = 0
    assert f.data == -20.0
    assert (s.grad, p.grad, m.grad) == (2.0, 2.0, 2.0)
    assert (x.grad, y.grad, z.grad, w.grad) == (-8.0, 6.0, 2.0, 0.0)
    tx, ty, tz, tw = torch_leaves([3.0, -4.0, 2.0, -1.0])
    ((tx * ty + torch.maximum(tz, tw)) * 2).backward()
    assert [v.grad for v in (x, y, z, w)] == [t.grad.item() for t in (tx, ty, tz, tw)]


# --------------------------------------------------------------------------- #
# (6) Saturation: no overflow at huge inputs
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("x", [-1e4, 1e4])
@pytest.mark.parametrize("fn", ["sigmoid", "tanh"])
def test_saturating_functions_at_huge_inputs(fn, x):
    """At x = ±1e4, are sigmoid and tanh finite and equal to torch, with slope 0 and no warning?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = Value(x)
        out = getattr(v, fn)()
        out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ref = getattr(torch, fn)(t)
    ref.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)
    assert (out.data, v.grad) == (ref.item(), t.grad.item())
    assert v.grad == 0.0


# --------------------------------------------------------------------------- #
# (7) backward twice accumulates, zero_grad resets
# --------------------------------------------------------------------------- #
def test_backward_twice_accumulates_like_torch():
    """Does a second backward add the same gradients again to the leaves, as torch does?"""
    a, b = Value(2.0), Value(-3.0)
    h = a * b
    f = h + a  # df/da = b + 1 = -2, df/db = a = 2
    f.backward()
    f.backward()
    assert (a.grad, b.grad) == (-4.0, 4.0)
    assert h.grad == 1.0  # an intermediate node holds the last call's gradient
    ta, tb = torch_leaves([2.0, -3.0])
    tf = ta * tb + ta
    tf.backward(retain_graph=True)
    tf.backward()
    assert (a.grad, b.grad) == (ta.grad.item(), tb.grad.item())


def test_zero_grad_resets_every_node():
    """After zero_grad on the root, is every gradient in the graph 0, and backward fresh?"""
    a, b = Value(2.0), Value(-3.0)
    f = (a * b).tanh() + a.exp()
    f.backward()
    first = (a.grad, b.grad)
    assert all(v.grad != 0 for v in topological_order(f))
    f.zero_grad()
    assert all(v.grad == 0.0 for v in topological_order(f))
    f.backward()
    assert (a.grad, b.grad) == first


# --------------------------------------------------------------------------- #
# (8) Graph helpers and repr
# --------------------------------------------------------------------------- #
def test_topological_order_puts_inputs_before_outputs():
    """Does every node come after all its inputs, each node once, the root last?"""
    a, b = Value(1.0), Value(2.0)
    s = a * b
    f = (s + a).relu() * s - b
    order = topological_order(f)
    position = {id(v): i for i, v in enumerate(order)}
    assert len(position) == len(order) == 7  # a, b, s, s+a, relu, *, -: each once
    assert order[-1] is f
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node._prev)


def test_trace_lists_nodes_and_edges():
    """Does trace give every node and one (input, output) edge per distinct input?"""
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * a
    f = c + b
    nodes, edges = trace(f)
    assert [id(v) for v in nodes] == [id(v) for v in topological_order(f)]
    assert {(id(u), id(v)) for u, v in edges} == {(id(a), id(c)), (id(c), id(f)), (id(b), id(f))}
    assert len(edges) == 3


def test_repr_shows_label_data_and_grad():
    """Does repr show the label, the data and the gradient?"""
    x = Value(2.0, label="x")
    (x * 3).backward()
    assert repr(x) == "Value(data=2.0, grad=3.0, label='x')"
    assert repr(Value(1)) == "Value(data=1.0, grad=0.0)"


# --------------------------------------------------------------------------- #
# (9) Input errors name the argument
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("data", [0.0, -1.0])
def test_log_of_a_non_positive_value(data):
    with pytest.raises(ValueError, match=r"log needs data > 0"):
        Value(data).log()


def test_value_exponent_is_rejected():
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="exponent"):
        2.0 ** Value(3.0)


@pytest.mark.parametrize("data", [math.nan, math.inf, -math.inf])
def test_non_finite_data(data):
    with pytest.raises(ValueError, match="data must be finite"):
        Value(data)


@pytest.mark.parametrize("data", ["3", None, [1.0], True, torch.tensor(1.0)])
def test_non_numeric_data(data):
    with pytest.raises(TypeError, match="data must be a real number"):
        Value(data)


def test_other_errors():
    """A non-number operand, a NaN operand, a zero divisor, a non-real power, a bad label."""
    with pytest.raises(TypeError):
        Value(1.0) + "2"
    with pytest.raises(TypeError, match="other"):
        Value(1.0).max("2")
    with pytest.raises(ValueError, match="must be finite"):
        Value(1.0) * math.nan
    with pytest.raises(ZeroDivisionError, match="division by a Value"):
        Value(1.0) / 0
    with pytest.raises(ValueError, match="not a real number"):
        Value(-2.0) ** 0.5
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)
