"""The documentation site: the supported-functions tables are the registry's,
and (with the [docs] extra installed) the whole site builds with -W.

The tables are not committed: the docs build writes them from the registry
when it starts (docs/gen_functions.py, called by docs/_ext/tapegrad_docs.py),
so they cannot go stale while entries are added.  These tests check the
generator against the registry instead: one row per public entry of every
namespace, each row's facts taken from its entry, a table no docstring can
break, and a new entry showing up without any other edit.
"""
import importlib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))

import gen_functions  # noqa: E402
import tapegrad as tg  # noqa: E402
from tapegrad.ops import REGISTRY, Primitive, public_entries  # noqa: E402
from tapegrad.ops._registry import unregister  # noqa: E402


def _cells(line):
    """The cells of a Markdown table row (pipes escaped with a backslash stay)."""
    assert line.startswith("| ") and line.endswith(" |"), line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]


def test_every_namespace_an_entry_uses_is_listed():
    used = {e.namespace for e in REGISTRY.values()
            if getattr(e, "public", None) is not None and not getattr(e, "internal", False)}
    assert used <= set(gen_functions.namespaces())
    assert set(gen_functions.NAMESPACES) <= set(gen_functions.namespaces())


@pytest.mark.parametrize("namespace", gen_functions.namespaces())
def test_one_row_per_public_entry(namespace):
    rows = gen_functions.rows(namespace)
    assert [r["name"] for r in rows] == sorted(public_entries(namespace))


@pytest.mark.parametrize("namespace", gen_functions.namespaces())
def test_rows_state_what_the_registry_holds(namespace):
    entries = public_entries(namespace)
    module = importlib.import_module(gen_functions.module_name(namespace))
    for r in gen_functions.rows(namespace):
        e = entries[r["name"]]
        # the documented name is the public function users call
        assert getattr(module, r["name"]) is e.public, r["qualname"]
        assert r["qualname"] == f"{module.__name__}.{r['name']}"
        assert r["signature"] == str(inspect.signature(e.public))
        assert r["method"] == (getattr(e, "method", None) or None)
        if isinstance(e, Primitive):
            assert r["kind"] == "primitive"
            assert r["kernel"] == bool(e.kernel)
            assert r["forward"] in ("rule", "linear", "local derivative")
            assert r["batching"] == ({"elementwise": "elementwise", "loop": "loop"}[e.batch]
                                     if isinstance(e.batch, str) else "rule")
        else:
            assert (r["kind"], r["kernel"], r["forward"], r["batching"]) == \
                ("composite", False, "composite", "composite")
        doc = " ".join((inspect.getdoc(e.public) or "").split())
        if not doc:
            assert r["summary"] == "", r["name"]
        else:
            assert r["summary"] and r["summary"] in doc, r["name"]


def test_rendered_page_has_a_wellformed_row_and_a_docstring_per_entry():
    page = gen_functions.render()
    for ns in gen_functions.namespaces():
        for r in gen_functions.rows(ns):
            link = f"{{py:func}}`{r['name']} <{r['qualname']}>`"
            lines = [ln for ln in page.splitlines() if ln.startswith(f"| {link} |")]
            assert len(lines) == 1, r["qualname"]
            cells = _cells(lines[0])
            assert len(cells) == 7, lines[0]
            assert cells[3] == ("✓" if r["kernel"] else "")
            assert page.count(f".. autofunction:: {r['qualname']}\n") == 1, r["qualname"]
    total = sum(len(gen_functions.rows(ns)) for ns in gen_functions.namespaces())
    assert page.startswith(f"{total} public functions")


def test_a_new_entry_appears_without_other_edits():
    from tapegrad.ops.elementwise import unary
    entry = unary("docs_toy", lambda x: x / (1 + np.abs(x)),
                  lambda B, x, y: 1.0 / B.square(1.0 + B.abs(x)),
                  doc="A toy entry | with *markup* and ``code|pipes``: checks the table.")
    try:
        (row,) = [r for r in gen_functions.rows("") if r["name"] == "docs_toy"]
        assert row["kind"] == "primitive" and not row["kernel"]
        assert row["forward"] == "local derivative" and row["batching"] == "elementwise"
        line = next(ln for ln in gen_functions.render().splitlines() if "docs_toy <" in ln)
        assert len(_cells(line)) == 7
        assert r"A toy entry \| with \*markup\* and `code\|pipes`" in line
    finally:
        unregister(entry)
    assert "docs_toy" not in gen_functions.render()


@pytest.mark.parametrize("text, want", [
    ("Sum over ``axis`` (None: all).", "Sum over `axis` (None: all)."),
    ("See :func:`~tapegrad.grad` and `x`.", "See `tapegrad.grad` and `x`."),
    ("a | b *c* $d$ <e> [f]", r"a \| b \*c\* \$d\$ \<e\> \[f\]"),
    ("``a|b``", r"`a\|b`"),
])
def test_docstring_sentences_become_safe_markdown(text, want):
    assert gen_functions.rst_to_md(text) == want


def test_summary_is_the_first_sentence():
    def f():
        """First sentence, e.g. this one.  Second sentence.

        More."""
    assert gen_functions.summary(f) == "First sentence, e.g. this one."

    def g():
        """g(x, y) -> z

        After an embedded signature."""
    assert gen_functions.summary(g) == "After an embedded signature."


def test_the_build_generates_the_tables_and_the_page_includes_them(tmp_path):
    ext = (DOCS / "_ext" / "tapegrad_docs.py").read_text(encoding="utf-8")
    assert 'app.connect("builder-inited", _generate)' in ext
    assert "gen_functions.write(" in ext
    assert "```{include} _generated/functions.md" in (DOCS / "functions.md").read_text()
    assert "_generated/" in (DOCS / ".gitignore").read_text()
    out = tmp_path / "functions.md"
    assert gen_functions.write(out) is True
    assert out.read_text(encoding="utf-8") == gen_functions.render()
    assert gen_functions.write(out) is False        # unchanged: Sphinx sees no new mtime


def test_the_generator_runs_as_a_script(tmp_path):
    # the tapegrad this test imports (a checkout's src/, or an installed wheel)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(tg.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]))
    out = tmp_path / "f.md"
    subprocess.run([sys.executable, str(DOCS / "gen_functions.py"), "-o", str(out)],
                   check=True, env=env, cwd=tmp_path, timeout=120)
    assert "| {py:func}`exp <tapegrad.exp>` |" in out.read_text(encoding="utf-8")


def test_readme_says_how_to_build_the_site():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'pip install -e ".[docs]"' in readme
    assert "python -m sphinx -W -b html docs docs/_build/html" in readme


_DOCS_DEPS = ("sphinx", "myst_parser", "furo")


@pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in _DOCS_DEPS),
                    reason="building the site needs the [docs] extra (sphinx, myst-parser, furo): "
                           "pip install -e '.[docs]'")
def test_site_builds_without_warnings(tmp_path):
    """The README's command, into a temporary directory, from scratch."""
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = (tmp_path / "html" / "functions.html").read_text(encoding="utf-8")
    for name in public_entries(""):
        assert f'id="tapegrad.{name}"' in html, name
    assert "Table 3: Reverse adjoint trace" in (tmp_path / "html" / "traces.html").read_text(
        encoding="utf-8")
