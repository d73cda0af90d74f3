"""Tests for course_lib.device: device choice and seeding."""

import os
import random

import numpy as np
import pytest
import torch

from course_lib import device as device_module
from course_lib.device import describe_device, get_device, seed_everything


@pytest.fixture
def no_accelerator(monkeypatch):
    """A machine with neither CUDA nor MPS, and no COURSE_DEVICE set."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "_mps_available", lambda: False)
    monkeypatch.delenv("COURSE_DEVICE", raising=False)


@pytest.fixture
def restore_torch_determinism():
    """Undo seed_everything(deterministic=True), which changes process-wide torch state."""
    algorithms = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    benchmark = torch.backends.cudnn.benchmark
    yield
    torch.use_deterministic_algorithms(algorithms, warn_only=warn_only)
    torch.backends.cudnn.benchmark = benchmark


# --------------------------------------------------------------------------- #
# get_device
# --------------------------------------------------------------------------- #
def test_get_device_without_accelerator_is_cpu(no_accelerator):
    """Is the CPU chosen when neither CUDA nor MPS is available?"""
    assert get_device() == torch.device("cpu")


def test_get_device_matches_this_machine(monkeypatch):
    """Is the choice CUDA if present, else MPS if present, else the CPU?"""
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    if torch.cuda.is_available():
        expected = "cuda"
    elif device_module._mps_available():
        expected = "mps"
    else:
        expected = "cpu"
    assert get_device().type == expected


def test_get_device_prefers_cuda_then_mps(monkeypatch):
    """With both accelerators reported available, is CUDA first; with MPS only, MPS?"""
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(device_module, "_mps_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert get_device() == torch.device("mps")


def test_get_device_prefer_cpu(monkeypatch):
    """Does prefer='cpu' give the CPU even when CUDA is reported available?"""
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(prefer="cpu").type == "cpu"


def test_get_device_honours_course_device(monkeypatch):
    """Does COURSE_DEVICE=cpu override an available GPU, and prefer= override the variable?"""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    assert get_device(prefer="cpu") == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "")  # empty means unset
    assert get_device() == torch.device("cuda")


@pytest.mark.parametrize("name", ["gpu", "CUDA", "cuda:0", "tpu"])
def test_get_device_rejects_unknown_names(name, monkeypatch):
    """Is an unknown device name a ValueError that names prefer and the value?"""
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    with pytest.raises(ValueError, match="prefer") as info:
        get_device(name)
    assert repr(name) in str(info.value)


def test_get_device_rejects_unknown_course_device(monkeypatch):
    """Is a misspelt COURSE_DEVICE rejected rather than ignored?"""
    monkeypatch.setenv("COURSE_DEVICE", "gpu")
    with pytest.raises(ValueError, match="'gpu'"):
        get_device()


@pytest.mark.parametrize("name", ["cuda", "mps"])
def test_get_device_rejects_unavailable_devices(name, no_accelerator):
    """Is asking for a device this machine lacks a RuntimeError naming it?"""
    with pytest.raises(RuntimeError, match=f"prefer='{name}'"):
        get_device(name)


def test_get_device_unavailable_through_course_device(no_accelerator, monkeypatch):
    """Does COURSE_DEVICE=cuda on a CPU machine fail loudly too?"""
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="cuda"):
        get_device()


def test_describe_device_cpu():
    """Does the one-line description name the device type and the torch version?"""
    text = describe_device(torch.device("cpu"))
    assert text == f"cpu, torch {torch.__version__}"


# --------------------------------------------------------------------------- #
# seed_everything
# --------------------------------------------------------------------------- #
def draw_all():
    # np.random.rand on purpose: the legacy global generator is what seed_everything seeds
    return (
        random.random(),
        np.random.rand(3).tolist(),  # noqa: NPY002
        torch.rand(3).tolist(),
        torch.randint(0, 1000, (2,)).tolist(),
    )


def test_seed_everything_makes_every_generator_reproducible(monkeypatch):
    """Does the same seed replay random, NumPy and torch, and another seed not?"""
    monkeypatch.setenv("PYTHONHASHSEED", "")  # restored after the test
    assert seed_everything(123) == 123
    first = draw_all()
    seed_everything(123)
    assert draw_all() == first
    seed_everything(124)
    assert draw_all() != first
    assert os.environ["PYTHONHASHSEED"] == "124"


def test_seed_everything_accepts_numpy_integers(monkeypatch):
    """Is a NumPy integer seed accepted and returned as a plain int?"""
    monkeypatch.setenv("PYTHONHASHSEED", "")
    seed = seed_everything(np.int64(2**32 - 1))
    assert seed == 2**32 - 1 and type(seed) is int


def test_seed_everything_deterministic(monkeypatch, restore_torch_determinism):
    """Does deterministic=True switch on deterministic algorithms (warn only)?"""
    monkeypatch.setenv("PYTHONHASHSEED", "")
    seed_everything(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.benchmark is False


@pytest.mark.parametrize(
    ("seed", "exception", "pattern"),
    [
        (-1, ValueError, r"seed must be in \[0, 2\*\*32\)"),
        (2**32, ValueError, r"seed must be in \[0, 2\*\*32\)"),
        (1.5, TypeError, "seed must be an int, got float"),
        ("0", TypeError, "seed must be an int, got str"),
        (True, TypeError, "seed must be an int, got bool"),
        (None, TypeError, "seed must be an int, got NoneType"),
    ],
)
def test_seed_everything_rejects_bad_seeds(seed, exception, pattern):
    """Is a seed that is not an int in [0, 2**32) rejected with a message naming seed?"""
    with pytest.raises(exception, match=pattern):
        seed_everything(seed)


# --------------------------------------------------------------------------- #
# On a GPU machine
# --------------------------------------------------------------------------- #
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_get_device_is_cuda_and_runs_there(monkeypatch):
    """On a CUDA machine, is cuda chosen, and does a matrix product run there correctly?"""
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    device = get_device()
    assert device.type == "cuda"
    assert describe_device(device).startswith("cuda (")
    seed_everything(0)
    A = torch.randn(64, 32, dtype=torch.float64)
    B = torch.randn(32, 16, dtype=torch.float64)
    on_gpu = A.to(device) @ B.to(device)
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), A @ B, rtol=1e-12, atol=1e-12)


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_configure_threads_defaults_to_one_on_the_cpu(monkeypatch, restore_threads):
    monkeypatch.delenv("COURSE_NUM_THREADS", raising=False)
    torch.set_num_threads(2)
    assert device_module.configure_threads("cpu") == 1
    assert torch.get_num_threads() == 1


def test_configure_threads_reads_course_num_threads(monkeypatch, restore_threads):
    monkeypatch.setenv("COURSE_NUM_THREADS", "2")
    assert device_module.configure_threads("cpu") == 2
    assert device_module.configure_threads("cpu", num_threads=1) == 1


def test_configure_threads_leaves_a_gpu_alone(restore_threads):
    torch.set_num_threads(2)
    assert device_module.configure_threads(torch.device("cuda")) == 2


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2"])
def test_configure_threads_rejects_bad_counts(value):
    with pytest.raises(ValueError, match="num_threads must be an integer >= 1"):
        device_module.configure_threads("cpu", num_threads=value)


def test_configure_threads_rejects_a_bad_environment_value(monkeypatch):
    monkeypatch.setenv("COURSE_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="COURSE_NUM_THREADS must be a positive integer"):
        device_module.configure_threads("cpu")


def test_configure_threads_limits_the_blas_and_openmp_pools_too():
    import threadpoolctl

    controller = threadpoolctl.ThreadpoolController()
    np.ones((64, 64)) @ np.ones((64, 64))  # NumPy's BLAS is loaded
    with controller.limit(limits=None):  # whatever configure_threads does is undone after
        device_module.configure_threads("cpu", num_threads=1)
        pools = threadpoolctl.threadpool_info()
        assert pools and all(pool["num_threads"] == 1 for pool in pools), pools
