"""Peak-memory probe, run by run.py in a fresh interpreter per system so
that one library's caches and allocator never count against another.

Usage: python benchmarks/memprobe.py WORKLOAD SYSTEM
Prints one JSON line: {"peak_bytes": ..., "method": ...} or {"error": ...}.
"""
import ctypes
import gc
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from systems import availability  # noqa: E402
from workloads import load  # noqa: E402


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def release_free_memory():
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def main(workload, system):
    status, info = availability(system)
    if status != "ok":
        return {"error": info or status}
    mod = load(workload)
    built = getattr(mod, "bench_" + system.replace("-", "_"))(mod.make_data())
    step = next(iter(built.values()))[0] if isinstance(built, dict) else built[0]
    step()                                   # warm-up: one-time setup is not counted
    release_free_memory()
    before = status_kib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")                     # reset the peak (VmHWM) to the current RSS
        method = "VmHWM after reset"
    except OSError:
        method = "VmHWM without reset (upper bound)"
    step()
    peak = status_kib("VmHWM")
    return {"peak_bytes": max(0, peak - before) * 1024, "method": method}


if __name__ == "__main__":
    try:
        answer = main(*sys.argv[1:3])
    except Exception as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    print(json.dumps(answer))
