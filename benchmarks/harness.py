"""Checking, timing and memory probing of one workload on one system.

A result ("cell") is a dict: status is one of ok, mismatch, error,
not installed, n/a; an ok cell has time_s (median seconds per iteration of
its fastest variant) and variant; every cell has variants, the per-variant
details that go into the JSON file.
"""
import gc
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager

import numpy as np

from systems import NUMPY_SYSTEMS, blas_thread_settings, to_numpy, torch_thread_settings

HERE = os.path.dirname(os.path.abspath(__file__))


def describe_error(exc):
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
    return text if len(text) <= 240 else text[:237] + "..."


@contextmanager
def time_limit(seconds):
    """Raise TimeoutError in the main thread if the block runs too long."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"gave up after {seconds:g} s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def check(got, ref, tol, dtype=None):
    """None when the gradients match the reference, else a 'MISMATCH ...' text."""
    got = [to_numpy(g) for g in got]
    if len(got) != len(ref):
        return f"MISMATCH {len(got)} gradients returned, expected {len(ref)}"
    worst = 0.0
    for i, (g, r) in enumerate(zip(got, ref)):
        if g.shape != r.shape:
            return f"MISMATCH gradient {i} has shape {g.shape}, expected {r.shape}"
        if dtype is not None and g.dtype != dtype:
            return f"MISMATCH gradient {i} has dtype {g.dtype}, expected {np.dtype(dtype)}"
        scale = float(np.max(np.abs(r))) or 1.0
        err = float(np.max(np.abs(g.astype(np.float64) - r))) / scale
        worst = err if not err <= worst else worst       # keeps NaN
    if not worst <= tol:
        return f"MISMATCH max err {worst:.2e} (relative to max|ref|; tol {tol:g})"
    return None


def _timed(step, n):
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - start


def measure(step, rounds, min_round_s, budget_s=None):
    """Median seconds per call over `rounds` rounds of n calls, n chosen so
    that a round lasts at least min_round_s (one call if a call is longer).
    With budget_s, calls so slow that the rounds would exceed it get fewer
    rounds, but never fewer than 3 (or `rounds` if that is smaller)."""
    n, t = 1, _timed(step, 1)
    while t < min_round_s:
        n = min(n * 10, max(n * 2, math.ceil(n * 1.2 * min_round_s / max(t, 1e-9))))
        t = _timed(step, n)
    samples = [t / n]                      # the last calibration round counts
    if budget_s:
        rounds = min(rounds, max(3, int(budget_s // t)))
    while len(samples) < rounds:
        samples.append(_timed(step, n) / n)
    return statistics.median(samples), samples, n


def _variants(built):
    return built if isinstance(built, dict) else {"": built}


def run_system(mod, system, data, ref, opts, progress):
    """Build, check and time every variant of one system on one workload."""
    fn = getattr(mod, "bench_" + system.replace("-", "_"), None)
    if fn is None:
        why = getattr(mod, "UNSUPPORTED", {}).get(system, "not applicable")
        return {"status": "n/a", "message": why, "variants": {}}
    try:
        variants = _variants(fn(data))
    except Exception as exc:
        return {"status": "error", "message": describe_error(exc), "variants": {}}

    details = {}
    for name, (step, grads) in variants.items():
        try:
            with time_limit(opts.max_call_s):
                problem = check(grads(), ref, mod.TOL, getattr(mod, "DTYPE", None))
            status = "mismatch" if problem else "ok"
        except Exception as exc:
            problem, status = describe_error(exc), "error"
        if problem:
            details[name or "default"] = {"status": status, "message": problem}
            progress(f"{system} {name}".rstrip() + f": {problem}")
            continue
        blas = None
        if system == "torch":
            threads = torch_thread_settings()
        elif system in NUMPY_SYSTEMS and getattr(mod, "BLAS_HEAVY", False):
            threads, blas = blas_thread_settings(), True
        else:
            threads = [("", None)]
        for thread_label, n_threads in threads:
            label = ", ".join(x for x in (name, thread_label) if x) or "default"
            result = details[label] = _time_variant(step, n_threads, opts, blas)
            shown = format_time(result["time_s"]) if "time_s" in result else result["message"]
            progress(f"{system} {label}: {shown}")
    return _summarize(details)


def _time_variant(step, n_threads, opts, blas=False):
    """Time one variant; n_threads, when given, is its thread count: torch's,
    or (blas=True) NumPy's BLAS threads, set for the variant and restored."""
    limits = None
    if n_threads is not None and blas:
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(limits=n_threads, user_api="blas")
    elif n_threads is not None:
        import torch
        default = torch.get_num_threads()
        torch.set_num_threads(n_threads)
    try:
        with time_limit(opts.max_call_s * (opts.rounds + 4)):
            median, samples, n = measure(step, opts.rounds, opts.min_round_s, opts.budget_s)
        return {"status": "ok", "time_s": median, "rounds_s": samples, "iterations_per_round": n}
    except Exception as exc:
        return {"status": "error", "message": describe_error(exc)}
    finally:
        if limits is not None:
            limits.restore_original_limits()
        elif n_threads is not None:
            torch.set_num_threads(default)


def _summarize(details):
    ok = {k: v for k, v in details.items() if v["status"] == "ok"}
    failed = {k: v for k, v in details.items() if v["status"] != "ok"}
    if not ok:
        first = next(iter(failed.values()))
        prefix = "" if len(failed) == 1 else f"{next(iter(failed))}: "
        return {"status": first["status"], "message": prefix + first["message"], "variants": details}
    best = min(ok, key=lambda k: ok[k]["time_s"])
    cell = {"status": "ok", "time_s": ok[best]["time_s"], "variant": best, "variants": details}
    if failed:
        cell["failed_variants"] = {k: v["message"] for k, v in failed.items()}
    return cell


def best_time(cell, variant=None):
    """Fastest ok time of a cell, or of its variants whose name starts with `variant`."""
    if cell.get("status") != "ok":
        return None
    times = [v["time_s"] for k, v in cell["variants"].items()
             if v["status"] == "ok" and (variant is None or k.startswith(variant))]
    return min(times) if times else None


MEMORY_METHOD = ("peak RSS of one iteration above the RSS before it, in a fresh "
                 "subprocess per system, after one warm-up iteration, gc.collect() and "
                 "malloc_trim(0) (Linux VmHWM reset through /proc/self/clear_refs); counts "
                 "native allocations (torch, XLA) as well as Python objects")


def probe_memory(workload, system, timeout_s):
    """Run memprobe.py in a fresh interpreter; return (bytes or None, message)."""
    cmd = [sys.executable, os.path.join(HERE, "memprobe.py"), workload, system]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return None, f"error: memory probe gave up after {timeout_s:g} s"
    lines = out.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"error: memory probe failed: {tail}"
    if "peak_bytes" in answer:
        return answer["peak_bytes"], answer.get("method", "")
    return None, f"error: {answer.get('error', 'unknown')}"


def format_time(seconds):
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def format_bytes(n):
    if n is None:
        return "-"
    return f"{n / 2**20:.1f} MiB"
