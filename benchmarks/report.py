"""Turns the run's results (the same dict that --json saves) into the text
table: one block per workload, then the targets with met / NOT MET.

`python benchmarks/report.py results.json` prints the table of a saved run again.
"""
import json
import sys

from harness import format_bytes, format_time

NOTE = {"jax-jit": "compiled ceiling"}


def _cell_text(cell):
    if cell["status"] == "ok":
        return format_time(cell["time_s"])
    if cell["status"] == "n/a":
        return f"n/a: {cell['message']}"
    if cell["status"] == "not installed":
        return "not installed"
    if cell["status"] == "mismatch":
        return cell["message"]
    return f"error: {cell['message']}"


def _ratio(r):
    return "-" if r is None else f"{r:.3g}x"


def render_workload(name, w, systems):
    lines = [f"{name}: {w['title']}"]
    memory = w.get("memory")
    head = f"  {'system':<10} {'time/iter':>10}  {'tapegrad/peer':>13}"
    if memory is not None:
        head += f"  {'peak mem':>10}  {'mem ratio':>9}"
    lines.append(head + "  variant / note")
    for system in systems:
        cell = w["cells"].get(system)
        if cell is None:
            continue
        text = _cell_text(cell)
        if cell["status"] != "ok":      # a message may be long: give it the line
            lines.append(f"  {system:<10} {text}")
            continue
        row = f"  {system:<10} {text:>10}  {_ratio(w['ratios'].get(system)):>13}"
        if memory is not None:
            mem = memory.get(system, {})
            shown = format_bytes(mem["bytes"]) if mem.get("bytes") is not None else mem.get("message", "-")
            row += f"  {shown:>10}  {_ratio(w['memory_ratios'].get(system)):>9}"
        notes = [n for n in (cell.get("variant", "default"), NOTE.get(system)) if n and n != "default"]
        notes += [f"{k}: {m}" for k, m in cell.get("failed_variants", {}).items()]
        lines.append(row + "  " + "; ".join(notes))
        if len(cell["variants"]) > 1:
            for label, v in cell["variants"].items():
                shown = format_time(v["time_s"]) if v["status"] == "ok" else v["message"]
                lines.append(f"  {'':<10}   {label}: {shown}")
    for t in w["targets"]:
        lines.append(f"  target: tapegrad {t['text']}: {_ratio(t['ratio'])} -> {t['result']}")
    return "\n".join(lines)


def render(report):
    meta, settings = report["meta"], report["settings"]
    out = [
        f"tapegrad benchmarks  {meta['date']}  {meta['machine']}  Python {meta['python']}  "
        f"NumPy {meta['numpy']}  {meta['cpus']} CPUs",
        "load average (1, 5, 15 min) at start {:.2f} {:.2f} {:.2f}, at end {:.2f} {:.2f} {:.2f}: "
        "other work on the machine skews the times".format(*meta["load_average_at_start"],
                                                           *meta["load_average_at_end"]),
    ]
    busiest = max(meta["load_average_at_start"][0], meta["load_average_at_end"][0])
    if busiest > 0.5 * meta["cpus"] and not settings.get("blas_threads"):
        out.append("  (the machine was busy: multi-threaded BLAS suffers most; for steadier "
                   "NumPy-based figures rerun with --blas-threads 1)")
    out += [
        f"{settings['rounds']} rounds of >= {settings['min_round_s']:g} s each; time/iter = median "
        "seconds per iteration over the rounds; tapegrad/peer < 1 means tapegrad is faster"
        + (f"; OPENBLAS_NUM_THREADS={settings['blas_threads']}" if settings.get("blas_threads") else ""),
        "systems:",
    ]
    for system, s in report["systems"].items():
        out.append(f"  {system:<10} {s['status']}  {s['info']}")
    c, c_end = report["control"], report.get("control_at_end", {})
    out.append(f"control (NumPy only, machine speed): {format_time(c.get('time_s'))} per iteration "
               f"at the start, {format_time(c_end.get('time_s'))} at the end - {c['title']}; "
               "if it moved between runs, so will everything else")
    if report.get("memory_method"):
        out.append(f"peak mem: {report['memory_method']}")
    out.append("")
    systems = list(report["systems"])
    for name, w in report["workloads"].items():
        out.append(render_workload(name, w, systems))
        out.append("")
    out.append("targets (from the issue)")
    out.append(f"  {'workload':<12} {'target':<48} {'ratio':>8}  result")
    for name, w in report["workloads"].items():
        for t in w["targets"]:
            out.append(f"  {name:<12} {'tapegrad ' + t['text']:<48} {_ratio(t['ratio']):>8}  {t['result']}")
    return "\n".join(out)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(render(json.load(f)))
