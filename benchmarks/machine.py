"""What the figures were measured on: date, CPU, cores, GPU, Keras backend and versions."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = ("keras", "tensorflow", "jax", "jaxlib", "lark", "pydantic", "numpy")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpus() -> str:
    """GPU names from `nvidia-smi`, which needs no framework import; `none` without one."""
    if shutil.which("nvidia-smi") is None:
        return "none"
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "none (nvidia-smi failed)"
    return "; ".join(line.strip() for line in out.splitlines() if line.strip()) or "none"


def cores() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{usable} usable ({os.cpu_count()} online)"


def versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ", ".join([f"python {platform.python_version()}", *found])


def backend() -> str:
    """The Keras backend, without importing Keras (and so TensorFlow) only to ask."""
    if "keras" in sys.modules:
        return str(sys.modules["keras"].backend.backend())
    return os.environ.get("KERAS_BACKEND", "tensorflow") + " (KERAS_BACKEND; Keras not imported)"


def describe(backend: str) -> list[tuple[str, str]]:
    """The header of RESULTS.md."""
    return [("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
            ("machine", f"{cpu_model()}, {cores()} cores, {platform.system()} {platform.machine()}"),
            ("GPU", gpus()),
            ("Keras backend", backend),
            ("versions", versions()),
            ("python", sys.executable)]
