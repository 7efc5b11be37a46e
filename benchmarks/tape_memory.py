"""Tape memory and per-op cost of a long chain of 0-d ops, and the garbage
collector's share (which must not grow with the tape):

    python benchmarks/tape_memory.py [n ...]

For each length n (default 1e5 and 1e6): bytes of tape per recorded op (C
memory the tape holds, by capacity: the arrays grow by doubling), record and
backward time per op, and time spent in the cyclic garbage collector per op.
"""
import gc
import sys
import os
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src'))

import tapegrad as tg
from tapegrad import autograd
def chain(n):
    x = tg.array(0.5); x.attach_grad()
    gc_time = [0.0]; t0 = [0.0]
    def cb(phase, info):
        if phase == "start": t0[0] = time.perf_counter()
        else: gc_time[0] += time.perf_counter() - t0[0]
    gc.callbacks.append(cb)
    t = time.perf_counter()
    with autograd.record():
        y = x
        for _ in range(n // 2):
            y = y * 1.0001
            y = tg.sin(y)
    rec = time.perf_counter() - t
    tape = y._tape
    nb = tape.nbytes(); nodes = tape.num_nodes
    t = time.perf_counter()
    y.backward()
    bwd = time.perf_counter() - t
    gc.callbacks.remove(cb)
    return nodes, nb, rec, bwd, gc_time[0]
for n in [int(float(a)) for a in sys.argv[1:]] or (100_000, 1_000_000):
    nodes, nb, rec, bwd, g = chain(n)
    print(f"{n:>9} ops: tape {nb/nodes:.0f} B/op (capacity), record {rec/n*1e9:.0f} ns/op, "
          f"backward {bwd/n*1e9:.0f} ns/op, gc {g/n*1e9:.1f} ns/op")
