"""GPU assignment per xdist worker: a pure mapping onto CUDA_VISIBLE_DEVICES."""

from __future__ import annotations

import os

import pytest

from pytest_llmeval.backends.devices import (
    auto_workers,
    check_worker_count,
    claim_devices,
    visible_devices,
    worker_index,
)
from pytest_llmeval.errors import LlmEvalError


@pytest.mark.parametrize(
    ("worker", "gpus", "user", "expected"),
    [
        (0, 1, None, "0"),
        (1, 1, None, "1"),
        (2, 1, None, "2"),
        (0, 2, None, "0,1"),
        (1, 2, None, "2,3"),
        (2, 2, None, "4,5"),
        (1, 2, "", "2,3"),  # empty or blank means unset
        (1, 2, "  ", "2,3"),
        (0, 1, "4,5,6,7", "4"),
        (1, 2, "4,5,6,7", "6,7"),
        (3, 1, "4,5,6,7", "7"),
        (1, 1, " 4, 5 ,", "5"),
        (1, 1, "GPU-8f2a1c3e-0000-1111,GPU-77aa0d1f-2222-3333", "GPU-77aa0d1f-2222-3333"),
        (0, 2, "MIG-a,MIG-b,MIG-c", "MIG-a,MIG-b"),
    ],
)
def test_visible_devices(worker, gpus, user, expected):
    assert visible_devices(worker, gpus, user) == expected


@pytest.mark.parametrize(("worker", "gpus", "user"), [(1, 2, "4,5,6"), (2, 1, "0,1"), (0, 3, "0,1")])
def test_too_few_listed_devices_names_the_variable(worker, gpus, user):
    with pytest.raises(LlmEvalError, match=f"CUDA_VISIBLE_DEVICES={user} lists") as info:
        visible_devices(worker, gpus, user)
    assert f"worker {worker} needs devices" in str(info.value)
    assert f"--llm-num-gpus {gpus}" in str(info.value)


@pytest.mark.parametrize(("worker_id", "index"), [("gw0", 0), ("gw3", 3), ("gw12", 12), ("main", 0), ("master", 0)])
def test_worker_index(worker_id, index):
    assert worker_index(worker_id) == index


def test_claim_devices_sets_the_environment(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5,6,7")
    assert claim_devices("gw1", 2) == "6,7"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "6,7"


@pytest.mark.parametrize(
    ("gpus", "per_worker", "workers", "note"),
    [
        (8, 1, 8, None),
        (8, 2, 4, None),
        (7, 2, 3, None),  # the odd GPU stays idle rather than splitting a model copy
        (1, 2, 1, "-n auto: 1 GPU(s) cannot hold a model of --llm-num-gpus 2, running one worker"),
        (0, 1, 1, "-n auto: no GPU found, running one worker"),
    ],
)
def test_auto_workers(gpus, per_worker, workers, note):
    assert auto_workers(gpus, per_worker) == (workers, note)


def test_more_workers_than_gpu_groups_is_refused():
    with pytest.raises(
        LlmEvalError,
        match=r"^-n 3: this machine has 4 GPU\(s\), enough for 2 worker\(s\) of --llm-num-gpus 2; use -n 2 or -n auto$",
    ):
        check_worker_count(3, 4, 2)


@pytest.mark.parametrize(("workers", "gpus", "per_worker"), [(2, 4, 2), (1, 1, 1), (4, 0, 1)])
def test_worker_counts_that_fit_or_share_a_cpu_pass(workers, gpus, per_worker):
    check_worker_count(workers, gpus, per_worker)
