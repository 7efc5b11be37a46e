"""Running the docs' computed blocks: shared by the Sphinx extension
(tapegrad_docs.py) and tests/test_doctests.py, and free of Sphinx, so the
test suite runs the docs' examples without the [docs] extra."""
import contextlib
import io
import os
import shlex
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent


def fresh_namespace():
    """What every page's code starts with (as the examples assume)."""
    import numpy as np

    import tapegrad as tg
    from tapegrad import autograd
    return {"tg": tg, "np": np, "autograd": autograd, "docs_dir": DOCS, "__name__": "__docs__"}


def run_output_block(code, namespace, filename="<tg-output>"):
    """Run a ``{tg-output}`` block's code in ``namespace``; return its stdout."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, filename, "exec"), namespace)
    return buf.getvalue()


def run_command(command):
    """Run ``tapegrad ARGS...`` in-process: (exit status, stdout + stderr)."""
    from tapegrad.teaching.cli import main
    argv = shlex.split(command)
    if not argv or argv[0] != "tapegrad":
        raise ValueError(f"tg-command runs the tapegrad command, got {command!r}")
    out = io.StringIO()
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"         # argparse wraps --help to the terminal's width
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                status = main(argv[1:])
            except SystemExit as e:      # argparse: --help, usage errors
                status = e.code
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    return (0 if status is None else int(status)), out.getvalue()
