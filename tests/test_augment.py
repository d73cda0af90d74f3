"""Tests for course_lib.augment: each transformation against an independent implementation.

Rotation equals ``scipy.ndimage.rotate(order=1, reshape=False)`` away from the border;
contrast is within one grey level of Pillow's ``ImageEnhance.Contrast``; the blur equals
``scipy.ndimage.gaussian_filter(mode="mirror")`` with the same radius; crops are windows of
the padded image; every function keeps shape and dtype, stays in [0, 1], and is the
identity at strength zero.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance
from scipy import ndimage

from course_lib.augment import (
    RandomAugmentation,
    adjust_brightness,
    adjust_contrast,
    gaussian_blur,
    gaussian_kernel1d,
    gaussian_noise,
    hflip,
    random_crop,
    rotate,
)

pytestmark = pytest.mark.ch06


def images(*shape: int, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def smooth(*shape: int, seed: int = 0) -> torch.Tensor:
    """Smooth images (bilinear interpolation is exact only up to the image's curvature)."""
    x = images(*shape, seed=seed).numpy()
    sigma = (0,) * (len(shape) - 2) + (2, 2)
    return torch.from_numpy(ndimage.gaussian_filter(x, sigma))


IDENTITIES = {
    "hflip twice": lambda x: hflip(hflip(x)),
    "random_crop": lambda x: random_crop(x, (x.shape[-2], x.shape[-1])),
    "rotate": lambda x: rotate(x, 0.0),
    "gaussian_noise": lambda x: gaussian_noise(x, 0.0),
    "adjust_brightness": lambda x: adjust_brightness(x, 0.0),
    "adjust_contrast": lambda x: adjust_contrast(x, 1.0),
    "gaussian_blur": lambda x: gaussian_blur(x, 0.0),
}

TRANSFORMS = {
    "hflip": hflip,
    "random_crop": lambda x: random_crop(
        x, 9, padding=2, generator=torch.Generator().manual_seed(1)
    ),
    "rotate": lambda x: rotate(x, 25.0),
    "gaussian_noise": lambda x: gaussian_noise(x, 0.3, generator=torch.Generator().manual_seed(1)),
    "adjust_brightness": lambda x: adjust_brightness(x, 0.4),
    "adjust_contrast": lambda x: adjust_contrast(x, 2.5),
    "gaussian_blur": lambda x: gaussian_blur(x, 1.0),
}


@pytest.mark.parametrize("name", IDENTITIES)
@pytest.mark.parametrize("shape", [(3, 9, 9), (2, 1, 9, 9), (2, 3, 9, 11)])
def test_strength_zero_is_the_identity(name, shape):
    x = images(*shape)
    torch.testing.assert_close(IDENTITIES[name](x), x, rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shape_dtype_range_and_a_new_tensor(name, dtype):
    x = images(2, 3, 9, 9, dtype=dtype)
    y = TRANSFORMS[name](x)
    assert y.shape == x.shape and y.dtype == dtype
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    assert y.data_ptr() != x.data_ptr()
    assert not torch.equal(y, x)
    single = TRANSFORMS[name](x[0])
    assert single.shape == x[0].shape


def test_hflip_mirrors_columns():
    x = images(2, 1, 4, 5)
    np.testing.assert_array_equal(hflip(x).numpy(), x.numpy()[..., ::-1])


@pytest.mark.parametrize("degrees", [30.0, -45.0, 90.0, 170.0])
@pytest.mark.parametrize("side", [(20, 20), (20, 30)])
def test_rotate_equals_scipy_away_from_the_border(degrees, side):
    x = smooth(1, 1, *side)
    ours = rotate(x, degrees)[0, 0].numpy()
    theirs = ndimage.rotate(x[0, 0].numpy(), degrees, order=1, reshape=False, mode="constant")
    # scipy and grid_sample treat the half pixel at the border differently; inside they agree
    np.testing.assert_allclose(ours[6:-6, 6:-6], theirs[6:-6, 6:-6], rtol=0, atol=1e-12)


def test_rotate_takes_one_angle_per_image():
    x = smooth(3, 1, 12, 12)
    angles = torch.tensor([0.0, 90.0, -30.0])
    out = rotate(x, angles)
    for k in range(3):
        torch.testing.assert_close(out[k], rotate(x[k], float(angles[k])), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="degrees"):
        rotate(x, torch.tensor([1.0, 2.0]))


def test_rotate_by_90_degrees_moves_pixels_exactly():
    x = images(1, 1, 6, 6)
    # counter-clockwise as displayed (row 0 at the top): equals numpy's rot90
    np.testing.assert_allclose(rotate(x, 90.0)[0, 0].numpy(), np.rot90(x[0, 0].numpy()), atol=1e-12)


@pytest.mark.parametrize("factor", [0.0, 0.3, 1.7, 3.0])
@pytest.mark.parametrize("channels", [1, 3])
def test_contrast_within_one_grey_level_of_pillow(factor, channels):
    rng = np.random.default_rng(channels)
    img = (rng.random((16, 16, channels)) * 255).astype(np.uint8)
    pil = Image.fromarray(img[..., 0] if channels == 1 else img)
    theirs = np.asarray(ImageEnhance.Contrast(pil).enhance(factor), dtype=np.float64)
    x = torch.from_numpy(img / 255.0).permute(2, 0, 1)
    ours = adjust_contrast(x, factor).permute(1, 2, 0).numpy() * 255
    # Pillow rounds the mean to a whole grey level (off by ≤ 0.5, which the blend scales by
    # |1 − c|) and stores the result as an integer (≤ 1): one level apart for c ≤ 1
    tolerance = 1.0 + 0.5 * max(factor - 1.0, 0.0)
    assert np.abs(ours.reshape(theirs.shape) - theirs).max() <= tolerance


def test_contrast_keeps_the_mean_of_each_image():
    x = 0.25 + 0.5 * images(3, 1, 8, 8)  # no clamping at factor 1.5
    y = adjust_contrast(x, 1.5)
    torch.testing.assert_close(y.mean(dim=(1, 2, 3)), x.mean(dim=(1, 2, 3)), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="channels"):
        adjust_contrast(images(1, 2, 4, 4), 2.0)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_blur_equals_scipy_gaussian_filter(sigma):
    x = images(2, 3, 15, 17)
    ours = gaussian_blur(x, sigma).numpy()
    # scipy's radius int(truncate σ + 0.5) equals ceil(3σ) for these σ; "mirror" is reflect
    theirs = ndimage.gaussian_filter(x.numpy(), (0, 0, sigma, sigma), mode="mirror", truncate=3.0)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_blur_kernel_radius_and_errors():
    assert gaussian_kernel1d(1.2).numel() == 2 * 4 + 1
    torch.testing.assert_close(gaussian_kernel1d(1.2, dtype=torch.float64).sum(),
                               torch.tensor(1.0, dtype=torch.float64))  # fmt: skip
    with pytest.raises(ValueError, match="sigma"):
        gaussian_blur(images(1, 1, 5, 5), 3.0)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_blur(images(1, 1, 5, 5), -1.0)


def test_random_crop_cuts_windows_of_the_padded_image():
    x = images(16, 2, 6, 7)
    out = random_crop(x, (4, 5), padding=1, generator=torch.Generator().manual_seed(3))
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1))
    offsets = set()
    for k in range(16):
        hits = [(i, j) for i in range(8 - 4 + 1) for j in range(9 - 5 + 1)
                if torch.equal(padded[k, :, i:i + 4, j:j + 5], out[k])]  # fmt: skip
        assert hits, f"image {k} is not a window of its padded image"
        offsets.add(hits[0])
    assert len(offsets) > 1  # each image draws its own offset
    with pytest.raises(ValueError, match="size"):
        random_crop(x, 10)


def test_noise_statistics_and_generator():
    x = torch.full((4, 1, 50, 50), 0.5, dtype=torch.float64)
    y = gaussian_noise(x, 0.1, generator=torch.Generator().manual_seed(0))
    assert abs(float((y - x).std()) - 0.1) < 0.005
    assert abs(float((y - x).mean())) < 0.005
    again = gaussian_noise(x, 0.1, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(y, again, rtol=0, atol=0)


def test_brightness_clamps():
    x = torch.tensor([[[0.1, 0.5, 0.95]]], dtype=torch.float64)
    torch.testing.assert_close(adjust_brightness(x, 0.1), torch.tensor([[[0.2, 0.6, 1.0]]],
                               dtype=torch.float64))  # fmt: skip
    torch.testing.assert_close(
        adjust_brightness(x, -0.2)[0, 0, 0], torch.tensor(0.0, dtype=torch.float64)
    )


@pytest.mark.parametrize(
    "bad", [torch.rand(4, 4), torch.zeros(1, 1, 4, 4, dtype=torch.uint8), [0.5]]
)
def test_bad_input_names_x(bad):
    with pytest.raises((TypeError, ValueError), match="x must"):
        hflip(bad)


def test_random_augmentation_only_in_training_mode():
    aug = RandomAugmentation([lambda x, g: gaussian_noise(x, 0.2, generator=g)],
                             generator=torch.Generator().manual_seed(0))  # fmt: skip
    x = torch.full((2, 1, 5, 5), 0.5)
    assert not torch.equal(aug(x), x)
    assert torch.equal(aug.eval()(x), x)
    with pytest.raises(TypeError, match="callable"):
        RandomAugmentation([3])


def test_rotate_by_zero_is_exactly_the_identity_also_per_image():
    x = torch.rand(3, 1, 7, 9, generator=torch.Generator().manual_seed(0))
    assert torch.equal(rotate(x, 0.0), x)
    angles = torch.tensor([0.0, 30.0, 0.0])
    out = rotate(x, angles)
    assert torch.equal(out[0], x[0]) and torch.equal(out[2], x[2])
    assert not torch.allclose(out[1], x[1])
