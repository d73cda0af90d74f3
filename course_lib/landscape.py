"""Chapter 04 loss landscapes: the two-weight tanh network, Hessians and critical points.

The smallest network with an interesting landscape has one weight per layer,
y_hat = tanh(w2 tanh(w1 x)), trained with the squared error: its loss surface
over (w1, w2) already has a saddle at the origin, flat plateaus and a symmetry
(w1, w2) -> (-w1, -w2). The Hessian H_ij = d^2 L / (d theta_i d theta_j) tells
the critical points apart: all eigenvalues > 0 at a minimum, < 0 at a maximum,
both signs at a saddle; the ratio of its extreme eigenvalues is the condition
number that makes gradient descent slow. For a network with too many parameters
for a Hessian, :func:`loss_along_directions` draws the loss along one or two
random directions, normalised filter by filter (:func:`filter_normalized_direction`,
Li et al. 2018), so that networks of different scales can be compared.

>>> import torch
>>> x = torch.tensor([1.0, -1.0], dtype=torch.float64)
>>> hessian_eigenvalues(lambda w: two_weight_loss(w[0], w[1], x, torch.tanh(torch.tanh(x))),
...                     torch.zeros(2, dtype=torch.float64)).round(decimals=3)
tensor([-1.2840,  1.2840], dtype=torch.float64)

See the book: 04_optimization, 05_cnn.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence

import torch
from torch import Tensor, nn
from torch.func import functional_call

__all__ = [
    *("two_weight_net", "two_weight_loss", "hessian", "hessian_eigenvalues"),
    *("critical_point_kind", "flat_loss", "filter_normalized_direction", "loss_along_directions"),
]


def _as_tensor(value, name: str, like: Tensor | None = None) -> Tensor:
    """A tensor as is; a number or list as a tensor of ``like``'s dtype (float64 by default)."""
    if isinstance(value, Tensor):
        return value
    dtype = like.dtype if like is not None and like.is_floating_point() else torch.float64
    try:
        return torch.as_tensor(value, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as error:
        kind = type(value).__name__
        raise TypeError(f"{name} must be a tensor or a number, got {kind}") from error


def two_weight_net(w1, w2, x) -> Tensor:
    """y_hat = tanh(w2 * tanh(w1 * x)), broadcasting w1, w2 against x.

    >>> two_weight_net(0.0, 5.0, torch.tensor([3.0]))
    tensor([0.])

    See the book: 04_optimization.
    """
    x = _as_tensor(x, "x")
    w1, w2 = _as_tensor(w1, "w1", like=x), _as_tensor(w2, "w2", like=x)
    return torch.tanh(w2 * torch.tanh(w1 * x))


def two_weight_loss(w1, w2, x, y) -> Tensor:
    """Mean squared error (1/N) sum_i (y_i - tanh(w2 tanh(w1 x_i)))^2 of the two-weight network.

    ``x`` and ``y`` are 1-D with the same length N; ``w1`` and ``w2`` are numbers or tensors
    of one common shape S (a grid of weights), and the result has shape S.

    >>> x = torch.tensor([0.5, 1.0]); y = two_weight_net(1.0, 2.0, x)
    >>> float(two_weight_loss(1.0, 2.0, x, y))
    0.0

    See the book: 04_optimization.
    """
    x = _as_tensor(x, "x")
    y = _as_tensor(y, "y", like=x)
    w1, w2 = _as_tensor(w1, "w1", like=x), _as_tensor(w2, "w2", like=x)
    if x.ndim != 1 or y.shape != x.shape or x.numel() == 0:
        raise ValueError(
            f"x and y must be non-empty 1-D tensors of the same length, "
            f"got shapes {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if w1.shape != w2.shape:
        raise ValueError(f"w1 and w2 must have the same shape, got {tuple(w1.shape)} and "
                         f"{tuple(w2.shape)}")
    y_hat = two_weight_net(w1[..., None], w2[..., None], x)  # (*S, N)
    return ((y - y_hat) ** 2).mean(dim=-1)


def hessian(fn: Callable[[Tensor], Tensor], point: Tensor) -> Tensor:
    """The Hessian matrix H_ij = d^2 fn / (d p_i d p_j) at a 1-D ``point``, shape (P, P).

    ``fn`` maps a 1-D tensor of P parameters to a scalar. Computed exactly with
    double backpropagation (``torch.autograd.functional.hessian``) and symmetrized.

    >>> hessian(lambda p: p[0] ** 2 + 3 * p[0] * p[1], torch.tensor([1.0, 2.0]))
    tensor([[2., 3.],
            [3., 0.]])

    See the book: 04_optimization.
    """
    if not isinstance(point, Tensor) or point.ndim != 1 or point.numel() == 0:
        raise ValueError(f"point must be a non-empty 1-D tensor, got {point!r}")
    if not point.is_floating_point():
        raise TypeError(f"point must be a floating-point tensor, got dtype {point.dtype}")
    value = fn(point)
    if not isinstance(value, Tensor) or value.numel() != 1:
        raise ValueError("fn must return a scalar tensor (one number)")
    H = torch.autograd.functional.hessian(lambda p: fn(p).reshape(()), point.detach())
    return (H + H.T) / 2


def hessian_eigenvalues(fn: Callable[[Tensor], Tensor], point: Tensor) -> Tensor:
    """Eigenvalues of :func:`hessian` at ``point``, in ascending order.

    >>> hessian_eigenvalues(lambda p: p[0] ** 2 - p[1] ** 2, torch.zeros(2))
    tensor([-2.,  2.])

    See the book: 04_optimization.
    """
    return torch.linalg.eigvalsh(hessian(fn, point))


def critical_point_kind(eigenvalues: Tensor, tol: float = 1e-8) -> str:
    """Name a critical point from its Hessian eigenvalues.

    "minimum" if all are > tol, "maximum" if all are < -tol, "saddle" if some are
    > tol and some < -tol, and "degenerate" otherwise (an eigenvalue within tol of
    0: the second-order test cannot decide, as on a plateau).

    >>> critical_point_kind(torch.tensor([-2.0, 2.0]))
    'saddle'

    See the book: 04_optimization.
    """
    eigenvalues = _as_tensor(eigenvalues, "eigenvalues")
    if eigenvalues.ndim != 1 or eigenvalues.numel() == 0:
        raise ValueError(f"eigenvalues must be a non-empty 1-D tensor, got {eigenvalues!r}")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol!r}")
    positive, negative = bool((eigenvalues > tol).all()), bool((eigenvalues < -tol).all())
    if positive:
        return "minimum"
    if negative:
        return "maximum"
    if (eigenvalues > tol).any() and (eigenvalues < -tol).any():
        return "saddle"
    return "degenerate"


def flat_loss(
    model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], X: Tensor, y: Tensor
) -> tuple[Callable[[Tensor], Tensor], Tensor]:
    """The loss of ``model`` on (X, y) as a function of one flat parameter vector.

    Returns ``(fn, theta)``: ``theta`` is a detached copy of the model's parameters
    concatenated in ``named_parameters()`` order, and ``fn(theta)`` evaluates
    ``loss_fn(model(X), y)`` with those parameters (``torch.func.functional_call``),
    so that :func:`hessian` can take the Hessian of a whole network.

    >>> net = nn.Linear(2, 1).double()
    >>> fn, theta = flat_loss(net, nn.functional.mse_loss, torch.ones(3, 2).double(),
    ...                       torch.zeros(3, 1).double())
    >>> theta.shape, hessian(fn, theta).shape
    (torch.Size([3]), torch.Size([3, 3]))

    See the book: 04_optimization.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    named = [(name, p) for name, p in model.named_parameters()]
    if not named:
        raise ValueError("model has no parameters")
    shapes = [p.shape for _, p in named]
    sizes = [p.numel() for _, p in named]
    theta = torch.cat([p.detach().reshape(-1) for _, p in named]).clone()

    def fn(flat: Tensor) -> Tensor:
        if flat.shape != theta.shape:
            raise ValueError(f"expected a vector of {theta.numel()} parameters, "
                             f"got shape {tuple(flat.shape)}")
        pieces = torch.split(flat, sizes)
        params = {name: piece.reshape(shape)
                  for (name, _), piece, shape in zip(named, pieces, shapes, strict=True)}
        return loss_fn(functional_call(model, params, (X,)), y)

    return fn, theta


def filter_normalized_direction(
    model: nn.Module, *, generator: torch.Generator | None = None, ignore_1d: bool = True
) -> dict[str, Tensor]:
    """A random direction d in parameter space, scaled filter by filter like the weights.

    Li et al. (2018): for every weight tensor, draw d ~ N(0, 1) of its shape and rescale
    each *filter* d_k (the slice along dimension 0: an output channel of a convolution, the
    incoming weights of one unit of a linear layer) to the norm of the same filter of the
    model, d_k <- d_k ||theta_k|| / ||d_k||. A step of alpha along d then changes every filter
    by the same fraction alpha of its size, so that slices of networks whose weights have
    different scales (BatchNorm makes a layer blind to its weights' scale) can be compared.
    One-dimensional parameters (biases, BatchNorm's gamma and beta) get d = 0 with
    ``ignore_1d=True`` (Li et al.'s default), and d = theta (the direction of the parameter
    itself) otherwise.

    Returns a dict name -> tensor, in ``named_parameters()`` order, on the parameters'
    devices and dtypes.

    >>> net = nn.Linear(2, 1, bias=False)
    >>> net.weight.data = torch.tensor([[3.0, 4.0]])
    >>> d = filter_normalized_direction(net, generator=torch.Generator().manual_seed(0))
    >>> round(float(d["weight"].norm()), 4)
    5.0

    See the book: 05_cnn.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    direction = {}
    for name, p in model.named_parameters():
        w = p.detach()
        if w.ndim <= 1:
            direction[name] = torch.zeros_like(w) if ignore_1d else w.clone()
            continue
        d = torch.randn(w.shape, generator=generator, dtype=w.dtype).to(w.device)
        d_norm = d.flatten(1).norm(dim=1).clamp_min(torch.finfo(w.dtype).tiny)
        w_norm = w.flatten(1).norm(dim=1)
        direction[name] = d * (w_norm / d_norm).reshape(-1, *[1] * (w.ndim - 1))
    if not direction:
        raise ValueError("model has no parameters")
    return direction


def _batches_of(data) -> Iterable[tuple[Tensor, Tensor]]:
    """(X, y) as one batch, or every (X, y) of an iterable such as a DataLoader."""
    if isinstance(data, tuple) and len(data) == 2 and all(isinstance(t, Tensor) for t in data):
        return [data]
    return data


def loss_along_directions(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    data,
    directions: Sequence[Mapping[str, Tensor]],
    alphas,
) -> Tensor:
    """The loss at theta* + sum_i alpha_i d_i on a grid of alphas: a slice of the landscape.

    Parameters
    ----------
    model : the network at theta* (its parameters are not changed)
    loss_fn : a mean loss such as ``nn.functional.cross_entropy``
    data : a pair (X, y) of tensors, or an iterable of such batches (a DataLoader); the loss
        of several batches is their mean weighted by the batch sizes
    directions : one or two dicts name -> tensor, shaped like ``model.named_parameters()``
        (:func:`filter_normalized_direction`)
    alphas : 1-D sequence of step sizes, used along every direction

    Returns
    -------
    Tensor of float64, shape (A,) for one direction and (A, A) for two, where
    ``result[i, j]`` is the loss at theta* + alphas[i] d_1 + alphas[j] d_2.

    The model is evaluated in eval mode (BatchNorm with its running statistics, no
    dropout), as Li et al. do, and returned to its previous mode; the running statistics
    are not updated.

    >>> net = nn.Linear(1, 1, bias=False)
    >>> net.weight.data = torch.tensor([[3.0]])
    >>> d = {"weight": torch.tensor([[1.0]])}
    >>> loss_along_directions(net, nn.functional.mse_loss, (torch.ones(1, 1), torch.zeros(1, 1)),
    ...                       [d], [-3.0, 0.0, 1.0])
    tensor([ 0.,  9., 16.], dtype=torch.float64)

    See the book: 05_cnn.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(directions, Mapping) or not 1 <= len(directions) <= 2:
        raise ValueError("directions must be a list of one or two dicts name -> tensor")
    named = dict(model.named_parameters())
    for i, direction in enumerate(directions):
        if set(direction) != set(named) or any(
            direction[k].shape != p.shape for k, p in named.items()
        ):
            raise ValueError(f"directions[{i}] must have one tensor per parameter of the model, "
                             "with the parameter's shape")
    alphas = torch.as_tensor(alphas, dtype=torch.float64)
    if alphas.ndim != 1 or alphas.numel() == 0:
        raise ValueError(f"alphas must be a non-empty 1-D sequence, got shape "
                         f"{tuple(alphas.shape)}")
    base = {k: p.detach() for k, p in named.items()}
    grids = torch.meshgrid(*[alphas] * len(directions), indexing="ij")
    losses = torch.empty(grids[0].shape, dtype=torch.float64)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for index in itertools.product(*[range(len(alphas))] * len(directions)):
                params = {k: w + sum(float(g[index]) * d[k].to(w)
                                     for g, d in zip(grids, directions, strict=True))
                          for k, w in base.items()}
                total, count = 0.0, 0
                for X, y in _batches_of(data):
                    total += float(loss_fn(functional_call(model, params, (X,)), y)) * len(X)
                    count += len(X)
                if count == 0:
                    raise ValueError("data holds no examples")
                losses[index] = total / count
    finally:
        model.train(was_training)
    return losses
