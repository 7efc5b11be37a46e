"""Fitting benchmark: full-batch logistic regression over data larger than
the cluster's memory, on a distributed LocalCluster.

    python benchmarks/fit_dask.py            # 2 workers of 1 GiB, data 4x one worker's limit
    python benchmarks/fit_dask.py --quick    # 2 workers of 256 MiB (a smoke test)
    python benchmarks/fit_dask.py --json fit.json

X (n x d float64) and the labels y are generated lazily with
dask.array.random, chunked along the rows, so every evaluation regenerates
them block by block on the workers: the data (X and y) is FACTOR times one
worker's memory limit and never fits.  Two ways to get the loss
sum(log(1 + e^z) - y z), z = X w, and its gradient, are timed:

  tapegrad.dask   tapegrad.dask.value_and_grad(loss)(w, X, y): one task per
                  block runs tg.value_and_grad there; a tree of additions
  dask.array      the same by hand with NumPy gradients in dask.array, the
                  dask-glm way: z = X.dot(w); loss and X.T.dot(sigmoid(z) - y)
                  computed together with dask.compute

Both are checked against each other (1e-10 relative) before timing.
Reported: the median seconds per value-and-gradient over the rounds (the
two methods alternate, so a change in the machine's load hits both), the
ratio, and each worker's peak RSS during one evaluation of each method
(Linux VmHWM, reset through /proc/self/clear_refs, read with client.run),
next to its RSS before it.

Why not a workload of run.py: that harness times in-process steps of
several libraries against one reference and probes memory in a fresh
interpreter; this needs a cluster of worker processes, data that exists
only lazily, and the workers' memory rather than this process's.  The
output follows run.py's conventions (table on stdout, progress on stderr,
--quick, --json).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
if os.path.isdir(os.path.join(SRC, "tapegrad")):
    sys.path.insert(0, SRC)                    # measure the working tree
    os.environ["PYTHONPATH"] = SRC + os.pathsep + os.environ.get("PYTHONPATH", "")

import numpy as np  # noqa: E402


def progress(message):
    print(message, file=sys.stderr, flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="256 MiB workers, 2 rounds")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--memory-limit", default=None,
                   help="per worker (default 1GiB; 256MiB with --quick)")
    p.add_argument("--factor", type=float, default=4.0,
                   help="data size (X and y) as a multiple of one worker's memory limit "
                        "(default 4)")
    p.add_argument("--features", type=int, default=100)
    p.add_argument("--chunk-mib", type=float,
                   help="MiB of X per row chunk (default 32; 8 with --quick)")
    p.add_argument("--rounds", type=int,
                   help="timed evaluations per method (default 3; 2 with --quick)")
    p.add_argument("--persist", action="store_true",
                   help="generate the data once and keep it in the workers' memory (use with "
                        "--factor below the cluster's memory, e.g. 0.5): times the gradient "
                        "computation alone, without the data generation")
    p.add_argument("--json", metavar="FILE", help="also save every figure to FILE as JSON")
    a = p.parse_args(argv)
    a.memory_limit = a.memory_limit or ("256MiB" if a.quick else "1GiB")
    a.rounds = a.rounds or (2 if a.quick else 3)
    a.chunk_mib = a.chunk_mib or (8.0 if a.quick else 32.0)
    return a


def loss(w, X, y):
    import tapegrad as tg
    z = X @ w
    return tg.sum(tg.maximum(z, 0) + tg.log(1 + tg.exp(-tg.abs(z))) - y * z)


def by_hand(w, X, y):
    """The dask-glm way: NumPy gradient formulas in dask.array."""
    import dask
    import dask.array as da
    z = X.dot(w)
    value = (da.maximum(z, 0) + da.log1p(da.exp(-abs(z))) - y * z).sum()
    grad = X.T.dot(1 / (1 + da.exp(-z)) - y)
    return dask.compute(value, grad)


def vmhwm_reset():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def vmhwm(field="VmHWM"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return None


def vmrss():
    return vmhwm("VmRSS")


def main(argv=None):
    a = parse_args(argv)
    import dask
    import dask.array as da
    from dask.utils import format_bytes, parse_bytes
    from distributed import Client, LocalCluster, wait

    import tapegrad as tg
    import tapegrad.dask as tgd

    limit = parse_bytes(a.memory_limit)
    d = a.features
    n = int(a.factor * limit // (8 * (d + 1)))
    rows = max(1, int(a.chunk_mib * 2**20 // (8 * d)))
    rng = da.random.default_rng(42)
    X = rng.standard_normal((n, d), chunks=(rows, d))
    w_true = np.random.default_rng(0).standard_normal(d) / np.sqrt(d)
    y = (rng.random(n, chunks=rows) < 1 / (1 + da.exp(-X.dot(w_true)))).astype(float)
    w = np.random.default_rng(1).standard_normal(d) * 0.1
    data_bytes = X.nbytes + y.nbytes
    progress(f"[setup] data {format_bytes(data_bytes)} ({n} x {d} + labels, {X.numblocks[0]} row "
             f"chunks of {rows}), {a.workers} workers of {format_bytes(limit)}")

    report = {"meta": {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                       "machine": f"{platform.node()} {platform.machine()}",
                       "python": platform.python_version(), "numpy": np.__version__,
                       "dask": dask.__version__, "cpus": os.cpu_count(),
                       "load_average_at_start": os.getloadavg()},
              "settings": {"workers": a.workers, "memory_limit_bytes": limit, "rows": n,
                           "features": d, "chunk_rows": rows, "row_chunks": X.numblocks[0],
                           "data_bytes": data_bytes, "rounds": a.rounds, "persist": a.persist},
              "methods": {}}
    methods = {"tapegrad.dask": lambda: _plain(tgd.value_and_grad(loss)(w, X, y)),
               "dask.array (by hand)": lambda: by_hand(w, X, y)}

    with LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                      memory_limit=limit, host="127.0.0.1", dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("tapegrad"))
        if a.persist:
            progress("[setup] persisting the data in the workers' memory")
            X, y = client.persist([X, y])
            wait([X, y])
        results = {}
        for name, step in methods.items():
            progress(f"[{name}] check run")
            results[name] = step()
        (v1, g1), (v2, g2) = results.values()
        err = max(abs(v1 - v2) / abs(v2), np.max(np.abs(g1 - g2)) / np.max(np.abs(g2)))
        progress(f"[check] max relative difference {err:.2e}")
        if err > 1e-10:
            raise SystemExit(f"MISMATCH: tapegrad.dask and dask.array differ by {err:.2e}")
        report["check_relative_difference"] = err
        peaks, before = {}, {}
        for name, step in methods.items():          # one evaluation each, for memory
            progress(f"[{name}] memory run")
            client.run(vmhwm_reset)
            before[name] = client.run(vmrss)
            step()
            peaks[name] = client.run(vmhwm)
        times = {name: [] for name in methods}
        for r in range(a.rounds):                    # interleaved: load drifts hit both
            for name, step in methods.items():
                t = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - t)
                progress(f"[{name}] round {r + 1}: {times[name][-1]:.2f} s")
        for name in methods:
            keys = sorted(peaks[name])
            report["methods"][name] = {
                "time_s": statistics.median(times[name]), "rounds_s": times[name],
                "peak_rss_bytes": [peaks[name][k] for k in keys],
                "rss_before_bytes": [before[name][k] for k in keys]}
    report["meta"]["load_average_at_end"] = os.getloadavg()
    print(render(report))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1, default=str)
        progress(f"saved {a.json}")


def _plain(vg):
    value, grad = vg
    return value.item(), grad.asnumpy()


def render(report):
    from dask.utils import format_bytes
    s, m = report["settings"], report["meta"]
    lines = [f"fit_dask: full-batch logistic regression value+gradient, {m['date']}, "
             f"{m['cpus']} cpus, load {m['load_average_at_start'][0]:.2f} -> "
             f"{m['load_average_at_end'][0]:.2f}, dask {m['dask']}",
             f"data {format_bytes(s['data_bytes'])} ({s['rows']} x {s['features']} float64 + "
             f"labels, {'persisted in the workers' if s['persist'] else 'generated lazily'}, "
             f"{s['row_chunks']} row chunks of {s['chunk_rows']}) = "
             f"{s['data_bytes'] / s['memory_limit_bytes']:.1f}x one worker's limit; "
             f"{s['workers']} workers x 1 thread, {format_bytes(s['memory_limit_bytes'])} each",
             f"results agree to {report['check_relative_difference']:.1e} (relative)", "",
             f"{'method':24s}{'time/eval':>11s}{'ratio':>8s}   peak RSS per worker (RSS before)"]
    base = report["methods"].get("dask.array (by hand)", {}).get("time_s")
    for name, r in report["methods"].items():
        ratio = f"{r['time_s'] / base:.2f}" if base else "-"
        peaks = ", ".join(f"{format_bytes(p)} ({format_bytes(b)})"
                          for p, b in zip(r["peak_rss_bytes"], r["rss_before_bytes"]))
        lines.append(f"{name:24s}{r['time_s']:>9.2f} s{ratio:>8s}   {peaks}")
    lines.append("")
    lines.append("ratio: time / the dask.array time (below 1: tapegrad.dask is faster); "
                 f"median of {s['rounds']} rounds")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
