"""The supported-functions tables, generated from the op registry.

    python docs/gen_functions.py            # print the Markdown page
    python docs/gen_functions.py -o FILE    # write it (the docs build does this)

One table per namespace (``tg.``, ``tg.linalg.``, ``tg.special.``,
``tg.fft.``, and any other an entry names), one row per public entry of
``tapegrad.ops.public_entries(namespace)``: its name (linked to its full
docstring, rendered below the tables), signature, the first sentence of its
docstring (and NumPy's other names for it that tapegrad exports, from the
registry's ALIASES), whether it has a native C kernel, how its forward mode and its
batching rule (batched Jacobians) come about, and its Tensor method.  The docs
build runs this when it starts, so the page always lists what the registry
holds; ``tests/test_docs.py`` checks the rows against the registry.
"""
import argparse
import inspect
import re
import sys
from pathlib import Path

#: namespaces shown even while empty, in this order (others follow, sorted)
NAMESPACES = ("", "linalg", "special", "fft")

_TITLES = {"": "NumPy functions: `tg.<name>`", "linalg": "Linear algebra: `tg.linalg.<name>`",
           "special": "Special functions: `tg.special.<name>`", "fft": "FFT: `tg.fft.<name>`"}


def _ops():
    import tapegrad  # noqa: F401  (registers every entry and builds the namespaces)
    from tapegrad import ops
    return ops


def namespaces():
    """The known namespaces, then any other one an entry is registered in."""
    ops = _ops()
    extra = sorted({getattr(e, "namespace", "") for e in ops.REGISTRY.values()} - set(NAMESPACES))
    return list(NAMESPACES) + extra


def module_name(namespace):
    return "tapegrad" + (f".{namespace}" if namespace else "")


def signature(fn):
    """``(x, axis=None, keepdims=False)``, or ``(...)`` when Python cannot tell."""
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(...)"


_SIG_LINE = re.compile(r"^[\w.]+\(.*\)(\s*->\s*\S.*)?$")


def summary(fn):
    """The first sentence of the docstring's first paragraph ('' if none)."""
    doc = inspect.getdoc(fn) or ""
    lines = doc.strip().splitlines()
    if lines and _SIG_LINE.match(lines[0].strip()):      # an embedded C signature
        lines = lines[1:]
    para = []
    for line in lines:
        if not line.strip():
            if para:
                break
            continue
        if line.lstrip().startswith(">>>"):
            break
        para.append(line.strip())
    text = " ".join(para)
    m = re.search(r"(?<!\be\.g)(?<!\bi\.e)\.(\s|$)", text)
    return text[:m.start() + 1] if m else text


def _kind_of(entry):
    ops = _ops()
    return "primitive" if isinstance(entry, ops.Primitive) else "composite"


def describe(entry):
    """One row: what the table shows of a registry entry."""
    from tapegrad.ops import _registry as R
    fn = entry.public
    kind = _kind_of(entry)
    if kind == "primitive":
        jvp_name = getattr(entry.jvp, "__qualname__", "")
        if jvp_name.startswith("_linear_jvp"):
            forward = "linear"
        elif getattr(entry, "elementwise", False):
            forward = "local derivative"
        else:
            forward = "rule"
        batch = entry.batch
        batching = {R.ELEMENTWISE: "elementwise", R.LOOP: "loop"}.get(batch, "rule") \
            if isinstance(batch, str) else "rule"
        kernel = bool(getattr(entry, "kernel", 0))
    else:
        forward = batching = "composite"
        kernel = False
    return {
        "name": entry.name,
        "namespace": entry.namespace,
        "qualname": f"{module_name(entry.namespace)}.{entry.name}",
        "signature": signature(fn),
        "summary": summary(fn),
        "kind": kind,
        "kernel": kernel,
        "forward": forward,
        "batching": batching,
        "method": getattr(entry, "method", None) or None,
        "aliases": aliases(entry),
    }


def aliases(entry):
    """NumPy's other names for the entry that tapegrad exports (the registry's
    ALIASES): ``['tg.acos']`` for arccos."""
    ops = _ops()
    short = {"": "tg"}
    return sorted(f"{short.get(ns, 'tg.' + ns)}.{name}" for ns in namespaces()
                  for name, e in ops.public_aliases(ns).items() if e is entry)


def rows(namespace=""):
    """The table's rows for ``namespace``, by name."""
    ops = _ops()
    entries = ops.public_entries(namespace)
    return [describe(entries[name]) for name in sorted(entries)]


# ---- Markdown ------------------------------------------------------------------------
_ROLE = re.compile(r":[\w:]+:`([^`]+)`")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|$~#!{}])")


def _code(text):
    """A Markdown code span inside a table cell (pipes escaped, backticks fenced)."""
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def rst_to_md(text):
    """A docstring sentence (reST inline markup) as safe Markdown: ``code``,
    :role:`target` and `interpreted` become code spans; everything else is
    escaped, so no docstring can break the table or the build."""
    out = []
    pos = 0
    pattern = re.compile(r"``(.+?)``|:[\w:]+:`([^`]+)`|`([^`]+)`")
    for m in pattern.finditer(text):
        out.append(_MD_SPECIAL.sub(r"\\\1", text[pos:m.start()]))
        code = next(g for g in m.groups() if g is not None)
        if m.group(2) is not None:                  # :func:`~tapegrad.grad` -> grad
            code = code.split("<")[-1].rstrip(">").lstrip("~")
        out.append(_code(code))
        pos = m.end()
    out.append(_MD_SPECIAL.sub(r"\\\1", text[pos:]))
    return "".join(out)


HEADER = ("| function | signature | description | C kernel | forward mode | batching | method |\n"
          "|---|---|---|:-:|---|---|---|")


def table_row(r):
    link = f"{{py:func}}`{r['name']} <{r['qualname']}>`"
    return "| " + " | ".join([
        link,
        _code(r["signature"]),
        (rst_to_md(r["summary"]) if r["summary"] else "*(no docstring)*")
        + (" Also " + ", ".join(f"`{a}`" for a in r["aliases"]) + "." if r["aliases"] else ""),
        "✓" if r["kernel"] else "",
        r["forward"],
        r["batching"],
        _code(f"t.{r['method']}()") if r["method"] else "",
    ]) + " |"


def render():
    """The whole generated page section (included by functions.md)."""
    parts = []
    all_rows = {ns: rows(ns) for ns in namespaces()}
    total = sum(len(v) for v in all_rows.values())
    parts.append(f"{total} public functions in {sum(1 for v in all_rows.values() if v)} "
                 f"namespace(s), generated from `tapegrad.ops.REGISTRY` when this site "
                 f"was built.\n")
    for ns, rs in all_rows.items():
        title = _TITLES.get(ns, f"`tg.{ns}.<name>`")
        parts.append(f"## {title}\n")
        if not rs:
            parts.append(f"No function is registered in `{module_name(ns)}` yet.\n")
            continue
        n_prim = sum(r["kind"] == "primitive" for r in rs)
        parts.append(f"{len(rs)} functions ({n_prim} primitives, {len(rs) - n_prim} "
                     f"composites of primitives).\n")
        parts.append(HEADER)
        parts.extend(table_row(r) for r in rs)
        parts.append("")
    parts.append("## Docstrings\n")
    for ns, rs in all_rows.items():
        if not rs:
            continue
        parts.append(f"### `{module_name(ns)}`\n")
        parts.append("```{eval-rst}")
        for r in rs:
            parts.append(f".. autofunction:: {r['qualname']}")
        parts.append("```\n")
    return "\n".join(parts).rstrip("\n") + "\n"


def write(path):
    """Write the page to ``path`` if it changed; returns whether it did."""
    path = Path(path)
    text = render()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", help="write the page here instead of printing it")
    args = p.parse_args(argv)
    if args.output:
        write(args.output)
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
