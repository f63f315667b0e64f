"""Device markers. Runs that may import torch happen in a subprocess: this suite never does."""

from __future__ import annotations

from fnmatch import fnmatch
from types import SimpleNamespace

import pytest

from pytest_modelgate import hardware


def fake_torch(cuda: bool, mps: bool | None) -> SimpleNamespace:
    backends = (
        SimpleNamespace()
        if mps is None
        else SimpleNamespace(mps=SimpleNamespace(is_available=lambda: mps))
    )
    return SimpleNamespace(cuda=SimpleNamespace(is_available=lambda: cuda), backends=backends)


@pytest.mark.parametrize(
    ("device", "torch", "expected"),
    [
        ("cpu", None, None),
        ("cuda", None, "cuda test: torch is not installed"),
        ("mps", None, "mps test: torch is not installed"),
        ("cuda", fake_torch(cuda=True, mps=None), None),
        ("cuda", fake_torch(cuda=False, mps=None), "cuda test: no usable CUDA device*"),
        ("mps", fake_torch(cuda=False, mps=True), None),
        ("mps", fake_torch(cuda=False, mps=False), "mps test: no usable Apple MPS device*"),
        ("mps", fake_torch(cuda=False, mps=None), "mps test: no usable Apple MPS device*"),
    ],
)
def test_unavailable_reason(device: str, torch: object, expected: str | None) -> None:
    reason = hardware.unavailable_reason(device, torch)  # type: ignore[arg-type]
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert fnmatch(reason, expected), reason


def test_unknown_device_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        hardware.unavailable_reason("tpu", None)


def test_device_markers_in_a_real_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys

        def pytest_sessionfinish(session):
            print("torch-imported:", "torch" in sys.modules)
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.cpu
        def test_on_cpu(): pass

        @pytest.mark.cuda
        def test_on_cuda(): pass

        @pytest.mark.mps
        def test_on_mps(): pass
        """
    )
    cpu_only = pytester.runpytest_subprocess("-m", "cpu", "-s")
    cpu_only.assert_outcomes(passed=1, deselected=2)
    cpu_only.stdout.fnmatch_lines(["*torch-imported: False*"])

    result = pytester.runpytest_subprocess("-rs", "-s")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] + outcomes.get("skipped", 0) == 3
    text = result.stdout.str()
    for device in ("cuda", "mps"):
        passed = f"test_on_{device} PASSED" in text
        assert passed or f"{device} test: " in text, f"{device}: neither passed nor a clear skip"


@pytest.mark.parametrize(
    ("cpus", "workers", "threads"), [(2, 2, 1), (16, 4, 4), (3, 2, 1), (2, 8, 1), (8, 1, 8)]
)
def test_thread_share(cpus: int, workers: int, threads: int) -> None:
    assert hardware.thread_share(cpus, workers) == threads


def test_thread_share_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="workers >= 1"):
        hardware.thread_share(4, 0)


def test_cap_threads_sets_variables_and_respects_the_user() -> None:
    environ: dict[str, str] = {}
    assert hardware.cap_threads(3, environ) == 3
    assert environ == {"OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3"}
    user = {"OMP_NUM_THREADS": "1"}
    assert hardware.cap_threads(4, user) == 1
    assert user["MKL_NUM_THREADS"] == "4"


@pytest.mark.parametrize(
    ("worker_id", "index"), [("gw0", 0), ("gw12", 12), (None, None), ("master", None), ("gw", None)]
)
def test_worker_index(worker_id: str | None, index: int | None) -> None:
    assert hardware.worker_index(worker_id) == index


@pytest.mark.parametrize(
    ("index", "visible", "gpu"),
    [
        (0, None, "0"),
        (3, "", "3"),
        (1, "5,7", "7"),
        (2, "5, 7", "5"),
        (0, "GPU-uuid-a", "GPU-uuid-a"),
    ],
)
def test_gpu_for_worker(index: int, visible: str | None, gpu: str) -> None:
    assert hardware.gpu_for_worker(index, visible) == gpu


def test_each_worker_gets_its_own_gpu(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.parametrize("i", range(8))
        def test_record(i):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            with open(f"{worker}.gpu", "w") as f:
                f.write(os.environ.get("CUDA_VISIBLE_DEVICES", "unset"))
        """
    )
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,7")
    # when this suite itself runs under xdist, the inner controller must not look like a worker
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    result = pytester.runpytest_subprocess("-n", "2", "--gpu-per-worker")
    result.assert_outcomes(passed=8)
    seen = {p.stem: p.read_text() for p in pytester.path.glob("gw*.gpu")}
    assert seen == {"gw0": "5", "gw1": "7"}
