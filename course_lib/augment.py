"""Chapter 06 data augmentation: image transformations as plain tensor functions.

Every function takes float images with values in [0, 1], either one image
(C, H, W) or a batch (N, C, H, W), and returns a new tensor of the same dtype,
clamped to [0, 1]; strength zero (no padding, 0 degrees, std 0, delta 0,
factor 1, sigma 0) returns the image unchanged. The random ones draw from
``generator`` (the global generator when it is None) and draw a different
offset or noise for every image of a batch. They run on any device and keep
gradients, so they also serve as the corruptions of chapter 07.

:class:`RandomAugmentation` is a module that applies a list of random
transformations in training mode only; put it first in a network and
:func:`course_lib.training.fit` trains on augmented batches while
:func:`course_lib.training.evaluate` sees the clean images.

See the book: 06_regularization (augmentation), 07_generalization (corruptions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional

from course_lib.validation import check_int, check_real, check_tensor

__all__ = [
    *("hflip", "random_crop", "rotate", "gaussian_noise"),
    *("adjust_brightness", "adjust_contrast", "gaussian_blur", "gaussian_kernel1d"),
    "RandomAugmentation",
]

# ITU-R 601-2 luma, the weights Pillow's convert("L") uses for the mean grey level
LUMA = (0.299, 0.587, 0.114)


def _images(x: object, name: str = "x") -> tuple[Tensor, bool]:
    """``x`` as a batch (N, C, H, W), and whether it was one image (C, H, W)."""
    check_tensor(x, name)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{name} must be an image (C, H, W) or a batch (N, C, H, W), got shape {tuple(x.shape)}"
        )
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor with values in [0, 1], got {x.dtype}")
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


def _back(y: Tensor, single: bool) -> Tensor:
    y = y.clamp(0.0, 1.0)
    return y[0] if single else y


def hflip(x: Tensor) -> Tensor:
    """Mirror left-right: x'[..., i, j] = x[..., i, W − 1 − j].

    >>> hflip(torch.tensor([[[0.0, 0.5, 1.0]]])).tolist()
    [[[1.0, 0.5, 0.0]]]
    """
    batch, single = _images(x)
    return _back(batch.flip(-1), single)


def random_crop(
    x: Tensor,
    size: int | tuple[int, int],
    *,
    padding: int = 0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Pad every side with ``padding`` zeros, then cut a random ``size`` window per image.

    With ``size`` equal to the image side and ``padding`` p this is the classic
    "pad p and crop back" shift by up to p pixels in each direction; the output
    is (…, size_h, size_w), the input's shape when ``size`` is its side.

    >>> x = torch.rand(2, 1, 8, 8)
    >>> random_crop(x, 8, padding=2, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([2, 1, 8, 8])
    >>> torch.equal(random_crop(x, 8), x)
    True
    """
    batch, single = _images(x)
    check_int(padding, "padding", 0)
    pair = tuple(size) if isinstance(size, tuple | list) else (size, size)
    if len(pair) != 2:
        raise ValueError(f"size must be an integer or a pair (h, w), got {size!r}")
    h, w = (check_int(s, "size", 1) for s in pair)
    n, _, height, width = batch.shape
    if h > height + 2 * padding or w > width + 2 * padding:
        raise ValueError(
            f"size must fit in the padded image {height + 2 * padding}×{width + 2 * padding}, "
            f"got {h}×{w}"
        )
    padded = functional.pad(batch, (padding,) * 4)
    top = torch.randint(0, height + 2 * padding - h + 1, (n,), generator=generator)
    left = torch.randint(0, width + 2 * padding - w + 1, (n,), generator=generator)
    rows = (top[:, None] + torch.arange(h)).to(batch.device)  # (N, h)
    cols = (left[:, None] + torch.arange(w)).to(batch.device)  # (N, w)
    index = torch.arange(n, device=batch.device)[:, None, None]
    crops = padded.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]]  # (N, h, w, C)
    return _back(crops.permute(0, 3, 1, 2), single)


def rotate(x: Tensor, degrees: float | Tensor) -> Tensor:
    """Rotate counter-clockwise by ``degrees`` about the image centre, bilinear, zeros outside.

    Output pixel p takes the input at R(−θ)(p − c) + c, interpolated bilinearly
    (``affine_grid`` + ``grid_sample``, ``align_corners=False``); as
    ``scipy.ndimage.rotate(x, θ, order=1, reshape=False)`` away from the border.
    ``degrees`` is one angle, or a tensor of one angle per image of the batch.

    >>> x = torch.zeros(1, 3, 3); x[0, 0, 1] = 1.0   # a dot above the centre
    >>> rotate(x, 90.0)[0].round().tolist()            # goes to the left
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    batch, single = _images(x)
    n, _, height, width = batch.shape
    if isinstance(degrees, Tensor):
        angles = degrees.to(batch.device, batch.dtype).reshape(-1)
        if angles.numel() not in (1, n):
            raise ValueError(f"degrees must hold 1 or {n} angles, got {angles.numel()}")
        angles = angles.expand(n)
    else:
        angles = torch.full((n,), check_real(degrees, "degrees"), dtype=batch.dtype,
                            device=batch.device)  # fmt: skip
    theta = torch.deg2rad(angles)
    cos, sin = torch.cos(theta), torch.sin(theta)
    # normalized coordinates scale x by 2/W and y by 2/H: correct for the aspect ratio
    zero = torch.zeros_like(cos)
    matrix = torch.stack([
        torch.stack([cos, -sin * height / width, zero], dim=1),
        torch.stack([sin * width / height, cos, zero], dim=1),
    ], dim=1)  # (N, 2, 3), output -> input coordinates  # fmt: skip
    grid = functional.affine_grid(matrix, list(batch.shape), align_corners=False)
    rotated = functional.grid_sample(
        batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False
    )
    # sampling at pixel centres is exact only up to rounding: a zero angle is the identity
    rotated = torch.where((angles == 0).view(n, 1, 1, 1), batch, rotated)
    return _back(rotated, single)


def gaussian_noise(x: Tensor, std: float, *, generator: torch.Generator | None = None) -> Tensor:
    """Add independent noise: x' = clamp(x + σ·z, 0, 1), z ~ N(0, 1) for every pixel.

    >>> x = torch.full((1, 4, 4), 0.5)
    >>> torch.equal(gaussian_noise(x, 0.0), x)
    True
    """
    batch, single = _images(x)
    std = check_real(std, "std", low=0)
    noise = torch.randn(batch.shape, generator=generator, dtype=batch.dtype)
    return _back(batch + std * noise.to(batch.device), single)


def adjust_brightness(x: Tensor, delta: float) -> Tensor:
    """Shift every pixel: x' = clamp(x + δ, 0, 1).

    >>> adjust_brightness(torch.tensor([[[0.2, 0.9]]]), 0.2).tolist()
    [[[0.4000000059604645, 1.0]]]
    """
    batch, single = _images(x)
    return _back(batch + check_real(delta, "delta"), single)


def adjust_contrast(x: Tensor, factor: float) -> Tensor:
    """Blend with the image's mean grey level m: x' = clamp(m + c·(x − m), 0, 1).

    As Pillow's ``ImageEnhance.Contrast``: m is the mean of the grey image (the
    luma 0.299 R + 0.587 G + 0.114 B for three channels), one per image; c = 1
    is the identity, c = 0 a uniform grey, c > 1 more contrast.

    >>> adjust_contrast(torch.tensor([[[0.25, 0.75]]]), 0.5).tolist()
    [[[0.375, 0.625]]]
    """
    batch, single = _images(x)
    factor = check_real(factor, "factor", low=0)
    channels = batch.shape[1]
    if channels == 3:
        weights = torch.tensor(LUMA, dtype=batch.dtype, device=batch.device)
        grey = torch.einsum("nchw,c->nhw", batch, weights)
    elif channels == 1:
        grey = batch[:, 0]
    else:
        raise ValueError(f"x must have 1 or 3 channels, got {channels}")
    mean = grey.mean(dim=(1, 2)).view(-1, 1, 1, 1)  # (N, 1, 1, 1)
    return _back(mean + factor * (batch - mean), single)


def gaussian_kernel1d(sigma: float, *, dtype: torch.dtype = torch.float32) -> Tensor:
    """The normalized 1-D Gaussian g_k ∝ exp(−k²/(2σ²)), k = −r … r, r = ⌈3σ⌉.

    >>> gaussian_kernel1d(1.0).shape, float(gaussian_kernel1d(1.0).sum())
    (torch.Size([7]), 1.0)
    """
    sigma = check_real(sigma, "sigma", low=0, low_open=True)
    radius = math.ceil(3 * sigma)
    k = torch.arange(-radius, radius + 1, dtype=dtype)
    g = torch.exp(-(k**2) / (2 * sigma**2))
    return g / g.sum()


def gaussian_blur(x: Tensor, sigma: float) -> Tensor:
    """Blur with a Gaussian of standard deviation σ pixels: rows, then columns.

    The kernel is :func:`gaussian_kernel1d` (radius ⌈3σ⌉), applied as two 1-D
    convolutions per channel with reflect padding (d c b | a b c d | c b a);
    σ = 0 is the identity.

    >>> x = torch.rand(1, 1, 9, 9)
    >>> torch.equal(gaussian_blur(x, 0.0), x)
    True
    >>> bool(gaussian_blur(x, 1.0).std() < x.std())
    True
    """
    batch, single = _images(x)
    sigma = check_real(sigma, "sigma", low=0)
    if sigma == 0:
        return _back(batch.clone(), single)
    kernel = gaussian_kernel1d(sigma, dtype=batch.dtype).to(batch.device)
    radius, channels = kernel.numel() // 2, batch.shape[1]
    if radius >= min(batch.shape[-2:]):
        raise ValueError(
            f"sigma {sigma} needs a radius {radius} smaller than the image side "
            f"{min(batch.shape[-2:])} (reflect padding)"
        )
    rows = kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1)
    cols = kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1)
    out = functional.conv2d(functional.pad(batch, (radius, radius, 0, 0), mode="reflect"),
                            rows, groups=channels)  # fmt: skip
    out = functional.conv2d(functional.pad(out, (0, 0, radius, radius), mode="reflect"),
                            cols, groups=channels)  # fmt: skip
    return _back(out, single)


Transform = Callable[[Tensor, torch.Generator | None], Tensor]


class RandomAugmentation(nn.Module):
    """Apply each transform to the batch in training mode; pass it through in eval mode.

    Each transform is a callable ``(x, generator) -> x'``, for example
    ``lambda x, g: random_crop(x, 28, padding=2, generator=g)``. Put the module in
    front of a network: the optimizer sees a new version of every image each
    epoch, evaluation sees the images themselves.

    >>> aug = RandomAugmentation([lambda x, g: hflip(x)])
    >>> x = torch.rand(2, 1, 4, 4)
    >>> torch.equal(aug(x), hflip(x)), torch.equal(aug.eval()(x), x)
    (True, True)
    """

    def __init__(
        self, transforms: Sequence[Transform], *, generator: torch.Generator | None = None
    ):
        super().__init__()
        for t in transforms:
            if not callable(t):
                raise TypeError(f"each transform must be callable(x, generator), got {t!r}")
        self.transforms = list(transforms)
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        for transform in self.transforms:
            x = transform(x, self.generator)
        return x
