"""tapegrad with one core taken by another process:

    python benchmarks/contention.py [--workloads mlp,rnn,...] [--rounds 5]

Machines are shared (CI runners, laptops).  For each workload this times
tapegrad's step (the workload's own ``bench_tapegrad``) three ways:

* ``alone, 1 thread``: no other load, tapegrad's pool and NumPy's BLAS on one
  thread: the single-threaded time the target is measured against;
* ``busy core, default``: a process spinning on one core (pinned to the last
  CPU where the OS allows it), tapegrad's and BLAS's default thread counts;
* ``busy core, BLAS 1``: the same with ``tapegrad.threads.set_blas_threads(1)``
  (needs threadpoolctl).

and prints the ratios to the single-threaded time; the op-layer issue's
target is <= 1.5x.  Figures are medians of ``--rounds`` rounds.
"""
import argparse
import contextlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "src"))

import harness  # noqa: E402
from workloads import load  # noqa: E402

import tapegrad  # noqa: E402
from tapegrad import threads  # noqa: E402

DEFAULT = "scalar,mlp,elementwise,rnn,hvp,jacobian"
BUSY = "import os\ntry:\n    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})\n" \
       "except (AttributeError, OSError):\n    pass\nwhile True:\n    pass\n"


@contextlib.contextmanager
def busy_core():
    proc = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


def time_step(mod, rounds):
    built = mod.bench_tapegrad(mod.make_data())
    step = (next(iter(built.values())) if isinstance(built, dict) else built)[0]
    step()                                   # warm-up
    median, _, _ = harness.measure(step, rounds, 0.2, budget_s=30)
    return median


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default=DEFAULT)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    n_threads = threads.num_threads()
    blas_default = threads.blas_threads()
    print(f"tapegrad {tapegrad.__version__}; cpus {os.cpu_count()}; tapegrad threads "
          f"{n_threads}; BLAS threads {blas_default}; load average {os.getloadavg()}")
    print(f"{'workload':12s} {'alone, 1 thread':>16s} {'busy core, default':>24s} "
          f"{'busy core, BLAS 1':>24s}")
    for name in args.workloads.split(","):
        mod = load(name)
        threads.set_num_threads(1)
        if blas_default is not None:
            threads.set_blas_threads(1)
        base = time_step(mod, args.rounds)
        threads.set_num_threads(n_threads)
        if blas_default is not None:
            threads.set_blas_threads(None)
        with busy_core():
            busy = time_step(mod, args.rounds)
            if blas_default is not None:
                threads.set_blas_threads(1)
                busy1 = time_step(mod, args.rounds)
                threads.set_blas_threads(None)
            else:
                busy1 = None
        cell1 = f"{harness.format_time(busy)} ({busy / base:.2f}x)"
        cell2 = (f"{harness.format_time(busy1)} ({busy1 / base:.2f}x)" if busy1 is not None
                 else "n/a (no threadpoolctl)")
        print(f"{name:12s} {harness.format_time(base):>16s} {cell1:>24s} {cell2:>24s}",
              flush=True)
    print("target: busy core <= 1.5x the single-threaded time")


if __name__ == "__main__":
    main()
