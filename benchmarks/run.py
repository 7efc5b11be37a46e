"""Benchmark harness for tapegrad: `python benchmarks/run.py [--quick]`.

Runs every workload in benchmarks/workloads/ on tapegrad and on each
installed peer (PyTorch, JAX eager and jit, HIPS autograd, MyGrad, a
micrograd-style engine), after checking each system's gradients against a
NumPy / closed-form reference, and prints times, tapegrad/peer ratios, peak
memory and the issue's targets. See benchmarks/README.md.
"""
import argparse
import datetime
import json
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _pin_blas_threads(argv):
    """--blas-threads must act before NumPy loads its BLAS, so read it early."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--blas-threads=") else (
            argv[i + 1] if arg == "--blas-threads" and i + 1 < len(argv) else None)
        if value:
            os.environ["OPENBLAS_NUM_THREADS"] = value   # NumPy's BLAS, not torch's


_pin_blas_threads(sys.argv[1:])

import numpy as np  # noqa: E402

import harness  # noqa: E402
import report as report_mod  # noqa: E402
from systems import SYSTEMS, availability  # noqa: E402
from workloads import NAMES, load  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="2 short rounds (a smoke test, not a measurement)")
    p.add_argument("--rounds", type=int, help="rounds per measurement (default 5; 2 with --quick)")
    p.add_argument("--min-round-s", type=float, help="minimum seconds per round (default 0.2; 0.02 with --quick)")
    p.add_argument("--max-call-s", type=float, default=300.0, help="give up on a call slower than this (default 300)")
    p.add_argument("--budget-s", type=float, default=90.0,
                   help="time one variant for at most about this long: very slow calls get "
                        "fewer rounds, never fewer than 3 (default 90)")
    p.add_argument("--workloads", help=f"comma-separated subset of: {','.join(NAMES)}")
    p.add_argument("--systems", help=f"comma-separated subset of: {','.join(SYSTEMS)}")
    p.add_argument("--blas-threads", metavar="N",
                   help="set OPENBLAS_NUM_THREADS=N (NumPy's BLAS) for the whole run; NumPy-based "
                        "systems have no other thread switch (default: leave unset)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--json", metavar="FILE", help="also save every figure to FILE as JSON")
    args = p.parse_args(argv)
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.min_round_s = args.min_round_s or (0.02 if args.quick else 0.2)
    args.workloads = _subset(p, args.workloads, NAMES, "workload")
    args.systems = _subset(p, args.systems, SYSTEMS, "system")
    return args


def _subset(parser, text, allowed, what):
    if not text:
        return list(allowed)
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in chosen if x not in allowed]
    if unknown:
        parser.error(f"unknown {what}(s) {', '.join(unknown)}; choose from {', '.join(allowed)}")
    return [x for x in allowed if x in chosen]


def progress(message):
    print(message, file=sys.stderr, flush=True)


def run_control(opts, when):
    mod = load("control")
    median, samples, n = harness.measure(mod.bench_numpy(mod.make_data()), opts.rounds, opts.min_round_s)
    progress(f"[control] numpy at {when}: {harness.format_time(median)}")
    return {"title": mod.TITLE, "time_s": median, "rounds_s": samples, "iterations_per_round": n}


def run_workload(name, systems, opts):
    mod = load(name)
    data, ref = mod.make_data(), mod.reference(mod.make_data())
    w = {"title": mod.TITLE, "cells": {}, "ratios": {}, "targets": []}
    for system, info in systems.items():
        if info["status"] != "ok":
            status = "not installed" if info["status"] == "not installed" else "error"
            w["cells"][system] = {"status": status, "message": info["info"], "variants": {}}
            continue
        progress(f"[{name}] {system}: checking and timing")
        w["cells"][system] = harness.run_system(mod, system, data, ref, opts,
                                                lambda m: progress(f"[{name}] {m}"))
    tg_time = harness.best_time(w["cells"].get("tapegrad", {}))
    for system, cell in w["cells"].items():
        peer_time = harness.best_time(cell)
        if system != "tapegrad" and tg_time and peer_time:
            w["ratios"][system] = tg_time / peer_time
    if getattr(mod, "MEMORY", False) and not opts.no_memory:
        _measure_memory(name, w, opts)
    for target in getattr(mod, "TARGETS", []):
        w["targets"].append(_evaluate(target, w))
    return w


def _measure_memory(name, w, opts):
    w["memory"], w["memory_ratios"] = {}, {}
    for system, cell in w["cells"].items():
        if cell["status"] != "ok":
            continue
        progress(f"[{name}] {system}: peak memory in a subprocess")
        nbytes, message = harness.probe_memory(name, system, opts.max_call_s * 3)
        w["memory"][system] = {"bytes": nbytes, "message": message}
        progress(f"[{name}] {system}: {harness.format_bytes(nbytes) if nbytes is not None else message}")
    tg_mem = w["memory"].get("tapegrad", {}).get("bytes")
    for system, m in w["memory"].items():
        if system != "tapegrad" and tg_mem is not None and m["bytes"]:
            w["memory_ratios"][system] = tg_mem / m["bytes"]


def _evaluate(target, w):
    result = {"text": target.describe(), "peer": target.peer, "variant": target.variant,
              "metric": target.metric, "limit": target.limit, "ratio": None}
    cells = w["cells"]
    if target.metric == "memory":
        mem = w.get("memory", {})
        tg, peer = (mem.get(s, {}).get("bytes") for s in ("tapegrad", target.peer))
    else:
        tg = harness.best_time(cells.get("tapegrad", {}))
        peer = harness.best_time(cells.get(target.peer, {}), target.variant)
    if tg is None or not peer:
        missing = "tapegrad" if tg is None else target.peer
        status = cells.get(missing, {}).get("status", "not run")
        if target.metric == "memory" and status == "ok":
            status = "no memory figure"
        result.update(met=None, result=f"unknown (no {missing} figure: {status})")
        return result
    ratio = tg / peer
    met = target.met(ratio)
    result.update(ratio=ratio, met=met, result="met" if met else "NOT MET")
    return result


def main(argv=None):
    opts = parse_args(argv)
    systems = {}
    for system in opts.systems:
        status, info = availability(system)
        systems[system] = {"status": status, "info": info}
        progress(f"[setup] {system}: {status} {info}")
    if "torch" in systems and systems["torch"]["status"] == "ok":
        from systems import torch_thread_settings
        systems["torch"]["info"] += "; threads: " + " and ".join(l for l, _ in torch_thread_settings())
    report = {
        "meta": {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                 "machine": f"{platform.node()} {platform.machine()} {platform.processor() or ''}".strip(),
                 "python": platform.python_version(), "numpy": np.__version__,
                 "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()},
        "settings": {"rounds": opts.rounds, "min_round_s": opts.min_round_s, "quick": opts.quick,
                     "max_call_s": opts.max_call_s, "budget_s": opts.budget_s,
                     "blas_threads": opts.blas_threads},
        "systems": systems,
        "control": run_control(opts, "start"),
        "memory_method": None,
        "workloads": {},
    }
    for name in opts.workloads:
        w = run_workload(name, systems, opts)
        report["workloads"][name] = w
        if "memory" in w:
            report["memory_method"] = harness.MEMORY_METHOD
    report["control_at_end"] = run_control(opts, "end")
    report["meta"]["load_average_at_end"] = os.getloadavg()
    text = report_mod.render(report)
    print(text)
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(report, f, indent=1, default=str)
        progress(f"saved {opts.json}")


if __name__ == "__main__":
    main()
