"""A scalar reverse-mode autograd engine: backpropagation on a graph of numbers.

Every operation on a :class:`Value` records its inputs and, next to its forward
rule, its local derivatives. :meth:`Value.backward` then walks the graph from
the output back to the inputs and applies the chain rule at each node,

    dL/dx_k = sum over the nodes n that use x_k of  (d n / d x_k) * dL/dn.

The sum is why a node used twice (``a + a``) *accumulates* its gradient. After
micrograd (A. Karpathy), with two of its flaws fixed: the topological sort is
iterative, so a chain of 100,000 nodes works, and a second ``backward`` call
accumulates like PyTorch instead of double counting the intermediate nodes.

>>> x, y = Value(3.0, label="x"), Value(-4.0, label="y")
>>> f = (x * y + 1) * 2
>>> f.backward()
>>> f.data, x.grad, y.grad
(-22.0, -8.0, 6.0)

See the book: 01_foundations.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

__all__ = ["Value", "topological_order", "trace"]


def _check_data(data: object, name: str) -> float:
    """A finite real number as a float; ``name`` is for the error message."""
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(f"{name} must be a real number (int or float), got {type(data).__name__}")
    data = float(data)
    if not math.isfinite(data):
        raise ValueError(f"{name} must be finite, got {data}")
    return data


class Value:
    """A scalar that remembers how it was computed, so that it can backpropagate.

    Parameters
    ----------
    data : int or float
        The value, finite; stored as a float.
    label : str, optional
        A name shown by ``repr`` and in graph drawings.

    Attributes
    ----------
    data : float
        The forward value.
    grad : float
        dL/d(this value) once ``L.backward()`` has run; starts at 0.0.

    Notes
    -----
    Results of operations follow float arithmetic (an overflow gives ``inf``);
    only the inputs given to the constructor are checked. Plain numbers mix in
    on either side: ``2 * x``, ``1 - x``, ``x / 3``.

    Examples
    --------
    >>> a = Value(2.0, label="a")
    >>> b = a * a + a          # a is used three times: its gradient accumulates
    >>> b.backward()
    >>> a
    Value(data=2.0, grad=5.0, label='a')

    See the book: 01_foundations.
    """

    __slots__ = ("_backward", "_op", "_prev", "data", "grad", "label")

    def __init__(self, data: float, *, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.data = _check_data(data, "data")
        self.grad = 0.0
        self.label = label
        self._prev: tuple[Value, ...] = ()
        self._op = ""
        self._backward: Callable[[float], None] = lambda g: None

    @staticmethod
    def _node(data: float, op: str, *inputs_and_locals: tuple[Value, float]) -> Value:
        """The output of ``op``: it sends ``local * g`` to each input when it receives g."""
        out = Value.__new__(Value)
        out.data, out.grad, out.label, out._op = float(data), 0.0, "", op
        out._prev = tuple(v for v, _ in inputs_and_locals)

        def _backward(g: float) -> None:  # the chain rule, one node at a time
            for v, local in inputs_and_locals:
                v.grad += local * g  # += : a node used several times sums its paths

        out._backward = _backward
        return out

    @staticmethod
    def _lift(other: object) -> Value | None:
        """A Value for a Value or a number; None (operator returns NotImplemented) otherwise."""
        if isinstance(other, Value):
            return other
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return Value(_check_data(other, "the number combined with a Value"))
        return None

    # ---- binary operations: forward rule | local derivatives ---------------------------
    def __add__(self, other: Value | float) -> Value:
        if (b := Value._lift(other)) is None:
            return NotImplemented
        # add distributes: both local derivatives are 1, each input gets g unchanged
        return Value._node(self.data + b.data, "+", (self, 1.0), (b, 1.0))

    def __sub__(self, other: Value | float) -> Value:
        if (b := Value._lift(other)) is None:
            return NotImplemented
        return Value._node(self.data - b.data, "-", (self, 1.0), (b, -1.0))

    def __mul__(self, other: Value | float) -> Value:
        if (b := Value._lift(other)) is None:
            return NotImplemented
        # multiply switches: each input's local derivative is the *other* input
        return Value._node(self.data * b.data, "*", (self, b.data), (b, self.data))

    def __truediv__(self, other: Value | float) -> Value:
        if (b := Value._lift(other)) is None:
            return NotImplemented
        if b.data == 0:
            raise ZeroDivisionError(f"division by a Value whose data is 0: {b!r}")
        q = self.data / b.data  # d(a/b)/da = 1/b,  d(a/b)/db = -a/b**2 = -q/b
        return Value._node(q, "/", (self, 1.0 / b.data), (b, -q / b.data))

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rsub__(self, other: float) -> Value:
        if (a := Value._lift(other)) is None:
            return NotImplemented
        return a - self

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rtruediv__(self, other: float) -> Value:
        if (a := Value._lift(other)) is None:
            return NotImplemented
        return a / self

    def max(self, other: Value | float) -> Value:
        """max(self, other); max routes: g goes to the larger input only (ties: to self)."""
        if (b := Value._lift(other)) is None:
            raise TypeError(f"other must be a Value or a number, got {type(other).__name__}")
        if self.data >= b.data:
            return Value._node(self.data, "max", (self, 1.0), (b, 0.0))
        return Value._node(b.data, "max", (self, 0.0), (b, 1.0))

    # ---- unary operations --------------------------------------------------------------
    def __neg__(self) -> Value:
        return Value._node(-self.data, "neg", (self, -1.0))

    def __pow__(self, exponent: float) -> Value:
        """x**n for a number n; d(x**n)/dx = n * x**(n-1)."""
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            raise TypeError(
                f"exponent must be an int or float, got {type(exponent).__name__}; "
                "a Value exponent is not supported"
            )
        n = exponent if isinstance(exponent, numbers.Integral) else float(exponent)
        try:
            out = math.pow(self.data, n)
        except ValueError:
            raise ValueError(
                f"{self!r} ** {n} is not a real number (negative data needs an integer "
                "exponent, zero data a non-negative one)"
            ) from None
        if n == 0:
            local = 0.0
        elif self.data == 0 and n < 1:
            local = math.inf  # the slope of x**n at 0 for 0 < n < 1, as in PyTorch
        else:
            local = n * math.pow(self.data, n - 1)
        return Value._node(out, f"**{n}", (self, local))

    def __rpow__(self, base: float) -> Value:
        raise TypeError(f"exponent must be an int or float, got Value ({self!r})")

    def exp(self) -> Value:
        """e**x; its derivative is itself."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp overflows float64 for {self!r}") from None
        return Value._node(out, "exp", (self, out))

    def log(self) -> Value:
        """Natural logarithm ln(x) for data > 0; d ln(x)/dx = 1/x."""
        if self.data <= 0:
            raise ValueError(f"log needs data > 0, got data={self.data} ({self!r})")
        return Value._node(math.log(self.data), "log", (self, 1.0 / self.data))

    def tanh(self) -> Value:
        """tanh(x); d tanh(x)/dx = 1 - tanh(x)**2."""
        t = math.tanh(self.data)
        return Value._node(t, "tanh", (self, 1.0 - t * t))

    def sigmoid(self) -> Value:
        """sigma(x) = 1 / (1 + e**-x); d sigma/dx = sigma * (1 - sigma).

        Computed without overflow: e**-x for x >= 0, e**x / (1 + e**x) otherwise.

        >>> Value(-1e4).sigmoid().data, Value(1e4).sigmoid().data
        (0.0, 1.0)
        """
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        return Value._node(s, "sigmoid", (self, s * (1.0 - s)))

    def relu(self) -> Value:
        """max(0, x); its derivative is 1 for x > 0 and 0 otherwise (0 at x = 0, as in PyTorch)."""
        return Value._node(max(self.data, 0.0), "relu", (self, 1.0 if self.data > 0 else 0.0))

    # ---- backpropagation ---------------------------------------------------------------
    def backward(self) -> None:
        """Backpropagate from this value: dL/dL = 1, then the chain rule, outputs first.

        Like PyTorch, gradients *accumulate*: a second call adds the same
        gradients again to the leaves (the inputs made with ``Value(...)``).
        Intermediate nodes are reset at each call, so they hold the gradient
        of the last call only. Use :meth:`zero_grad` between steps.
        """
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):  # every node's users are done before the node itself
            node._backward(node.grad)

    def zero_grad(self) -> None:
        """Set the gradient of every node of this value's graph to 0."""
        for node in topological_order(self):
            node.grad = 0.0

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


def topological_order(root: Value) -> list[Value]:
    """Every node of ``root``'s graph once, each after all its inputs; root last.

    Iterative depth-first search with an explicit stack, so that the depth of
    the graph is not limited by Python's recursion limit.

    >>> a = Value(1.0, label="a")
    >>> [v.label or v._op for v in topological_order((a + a).tanh())]
    ['a', '+', 'tanh']
    """
    order: list[Value] = []
    visited: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:  # second visit: all its inputs are already in order
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._prev if id(p) not in visited)
    return order


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """The nodes (in topological order) and the edges (input, output) of ``root``'s graph.

    An input used twice by one node (``a * a``) gives one edge.

    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> nodes, edges = trace(a * b)
    >>> len(nodes), [(u.label, v._op) for u, v in edges]
    (3, [('a', '*'), ('b', '*')])
    """
    nodes = topological_order(root)
    edges: list[tuple[Value, Value]] = []
    for node in nodes:
        seen: set[int] = set()
        for parent in node._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                edges.append((parent, node))
    return nodes, edges
