"""Which GPUs each process may use: one model copy per xdist worker, ``--llm-num-gpus`` GPUs each."""

from __future__ import annotations

import glob
import os
import re
import sys

from pytest_llmeval.errors import LlmEvalError


def worker_index(worker_id: str) -> int:
    """xdist's worker id to its index: ``gw3`` -> 3; the main process (``main``) is 0."""
    match = re.fullmatch(r"gw(\d+)", worker_id)
    return int(match[1]) if match else 0


def visible_devices(worker: int, gpus_per_worker: int, user_visible: str | None) -> str:
    """The ``CUDA_VISIBLE_DEVICES`` value for worker ``worker``: its slice of the user's list, or of 0..N-1."""
    first = worker * gpus_per_worker
    if user_visible is None or not user_visible.strip():
        return ",".join(str(i) for i in range(first, first + gpus_per_worker))
    listed = [item.strip() for item in user_visible.split(",") if item.strip()]
    chosen = listed[first : first + gpus_per_worker]
    if len(chosen) < gpus_per_worker:
        raise LlmEvalError(
            f"CUDA_VISIBLE_DEVICES={user_visible} lists {len(listed)} device(s); worker {worker} "
            f"needs devices {first}..{first + gpus_per_worker - 1} with --llm-num-gpus {gpus_per_worker}: "
            f"run fewer workers (-n) or list more devices"
        )
    return ",".join(chosen)


def auto_workers(gpus: int, gpus_per_worker: int) -> tuple[int, str | None]:
    """``-n auto``: one worker per whole group of GPUs; one worker, with a note saying why, when there are none."""
    groups = gpus // gpus_per_worker
    if groups:
        return groups, None
    if gpus:
        return 1, f"-n auto: {gpus} GPU(s) cannot hold a model of --llm-num-gpus {gpus_per_worker}, running one worker"
    return 1, "-n auto: no GPU found, running one worker"


def check_worker_count(workers: int, gpus: int, gpus_per_worker: int) -> None:
    """Refuse more xdist workers than whole GPU groups on a GPU machine (CPU-only machines share cores)."""
    groups = gpus // gpus_per_worker
    if gpus and workers > groups:
        raise LlmEvalError(
            f"-n {workers}: this machine has {gpus} GPU(s), enough for {groups} worker(s) of "
            f"--llm-num-gpus {gpus_per_worker}; use -n {max(groups, 1)} or -n auto"
        )


def count_gpus() -> int:
    """GPUs this process can see; only called where no model runs (the xdist controller)."""
    import torch  # deferred: importing torch costs seconds and most pytest runs never need it

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def claim_devices(worker_id: str, gpus_per_worker: int) -> str:
    """Restrict this process to its GPUs before anything initialises CUDA; return the devices claimed."""
    devices = visible_devices(worker_index(worker_id), gpus_per_worker, os.environ.get("CUDA_VISIBLE_DEVICES"))
    os.environ["CUDA_VISIBLE_DEVICES"] = devices
    return devices


def gpu_visible() -> bool:
    """Whether this process will run its model on a GPU, answered without importing torch (seconds) when it
    is not imported yet: a GPU driver's device files exist and ``CUDA_VISIBLE_DEVICES`` does not hide them."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return bool(torch.cuda.is_available())
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return False
    return bool(glob.glob("/dev/nvidia[0-9]*")) or os.path.exists("/dev/kfd")
