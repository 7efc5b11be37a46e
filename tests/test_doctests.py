"""Every code example of the docs and of the public docstrings, run.

Two kinds of items:

* ``test_docstring[tapegrad.transforms.grad]``: the ``>>>`` examples of one
  docstring of the public API (the modules in PUBLIC_MODULES, every name they
  export, the methods of exported classes, and every function of the op
  registry), run with the defining module's globals plus ``tg``, ``np`` and
  ``autograd``.
* ``test_docs_page[recording.md]``: every example of one page in docs/, in
  page order and in one namespace (a page reads like a session):
  ```` ```pycon ```` blocks are doctests, ```` ```python ```` blocks are run,
  ```` ```{tg-output} ```` blocks are run as the docs build runs them, and
  ```` ```{tg-command} ```` lines run the ``tapegrad`` command and must exit
  as the block says.  Markdown files a page includes (``{include}``) are
  checked too; a ```` ```python ```` block that starts with a comment naming
  a file of ``src/tapegrad/`` (``# src/tapegrad/ops/elementwise.py``) is a
  fragment of that module: it runs in that module's namespace, and whatever
  it registers is unregistered afterwards.

Optional dependencies: a page declares what it needs with a line
``<!-- doctest-requires: scipy dask -->``; a docstring's module needs what
it imports.  When one is missing the item is skipped with the reason
(never silently).  Graphviz's ``dot`` program is named ``dot``.

Flags for every example: ELLIPSIS and NORMALIZE_WHITESPACE; NumPy's default
print options; tapegrad's and NumPy's generators seeded with 0 before each
item.
"""
import contextlib
import doctest
import importlib
import importlib.util
import inspect
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import tapegrad as tg  # noqa: E402
from tapegrad import autograd  # noqa: E402

#: the modules whose exported names form the public API, and what they need
PUBLIC_MODULES = {
    "tapegrad": (), "tapegrad.autograd": (), "tapegrad.transforms": (),
    "tapegrad.checking": (), "tapegrad.optim": (), "tapegrad.random": (), "tapegrad.threads": (),
    "tapegrad.errors": (), "tapegrad.teaching.trace": (), "tapegrad.teaching.graphviz": (),
    "tapegrad.teaching.cli": (), "tapegrad.linalg": (), "tapegrad.special": (),
    "tapegrad.fft": (),
    "tapegrad.optimize": ("scipy",), "tapegrad.dask": ("dask", "scipy"),
}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
PRINT_OPTIONS = dict(edgeitems=3, infstr="inf", linewidth=75, nanstr="nan", precision=8,
                     suppress=False, threshold=1000, formatter=None, sign="-",
                     floatmode="maxprec", legacy=False)


def _missing(requirements):
    """The requirements that are not available (packages, or the dot program)."""
    out = []
    for req in requirements:
        if req == "dot":
            if shutil.which("dot") is None:
                out.append("Graphviz's dot program")
        elif importlib.util.find_spec(req) is None:
            out.append(req)
    return out


def _skip_if_missing(requirements, what):
    missing = _missing(requirements)
    if missing:
        pytest.skip(f"{what} needs {' and '.join(missing)} (not installed)")


def _reset():
    tg.random.seed(0)
    np.random.seed(0)


def _run_doctest(test):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    with np.printoptions(**PRINT_OPTIONS):
        runner.run(test, out=report.append, clear_globs=False)
    if runner.failures:
        pytest.fail("".join(report), pytrace=False)
    return runner.tries


# ---- docstrings -----------------------------------------------------------------------
def _public_objects():
    """(name, object, module name) for every public object, once each."""
    seen = set()
    for modname in PUBLIC_MODULES:
        if _missing(PUBLIC_MODULES[modname]):
            yield modname, None, modname
            continue
        mod = importlib.import_module(modname)
        yield modname, mod, modname
        names = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
        for name in names:
            obj = getattr(mod, name, None)
            if obj is None or inspect.ismodule(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{modname}.{name}", obj, modname
    from tapegrad.ops import public_entries
    for ns in ("", "linalg", "special", "fft"):
        for name, entry in sorted(public_entries(ns).items()):
            if id(entry.public) not in seen:
                seen.add(id(entry.public))
                yield f"tapegrad.{ns + '.' if ns else ''}{name}", entry.public, "tapegrad"


def _globs_for(obj):
    mod = inspect.getmodule(obj)
    globs = dict(vars(mod)) if mod is not None else {}
    for k, v in (("tg", tg), ("np", np), ("autograd", autograd)):
        globs.setdefault(k, v)
    return globs


def _docstring_tests():
    """{test name: DocTest or (modname, None)}: the docstrings with examples."""
    finder = doctest.DocTestFinder(recurse=True, exclude_empty=True)
    tests, seen_docs = {}, set()
    for name, obj, modname in _public_objects():
        if obj is None:
            tests[name] = (modname, None)
            continue
        targets = [(name, obj)]
        if inspect.isclass(obj):
            # the class's own docstring and those of its public methods and
            # properties, inherited ones (the C core's) included, not those
            # of builtins (object, Exception) nor of plain attributes
            for klass in inspect.getmro(obj):
                if not klass.__module__.startswith("tapegrad"):
                    continue
                for attr, member in vars(klass).items():
                    if attr.startswith("_") and attr != "__init__":
                        continue
                    if inspect.isroutine(member) or inspect.isdatadescriptor(member):
                        targets.append((f"{name}.{attr}", member))
        for tname, target in targets:
            doc = inspect.getdoc(target)
            if not doc or ">>>" not in doc or doc in seen_docs:
                continue
            seen_docs.add(doc)
            test = doctest.DocTestParser().get_doctest(
                doc, _globs_for(obj), tname, _source_file(target), _source_line(target))
            if test.examples:
                tests[tname] = test
    return tests


def _source_file(obj):
    try:
        return inspect.getsourcefile(obj) or "<unknown>"
    except TypeError:
        return "<compiled>"


def _source_line(obj):
    try:
        return inspect.getsourcelines(obj)[1]
    except (TypeError, OSError):
        return 0


DOCSTRING_TESTS = _docstring_tests()


@pytest.mark.parametrize("name", sorted(DOCSTRING_TESTS))
def test_docstring(name):
    test = DOCSTRING_TESTS[name]
    if isinstance(test, tuple):
        _skip_if_missing(PUBLIC_MODULES[test[0]], f"the docstrings of {test[0]}")
    _reset()
    assert _run_doctest(test) > 0


def test_public_api_has_examples():
    """The core of the API keeps its examples (a refactor that drops a
    docstring's examples shows up here, not as a silently smaller suite)."""
    for name in ("tapegrad.Tensor", "tapegrad.grad", "tapegrad.jacobian",
                 "tapegrad.evaluation_trace", "tapegrad.gradcheck",
                 "tapegrad.autograd.Function", "tapegrad.autograd.record"):
        assert name in DOCSTRING_TESTS, f"{name}: its docstring has no example any more"


# ---- docs pages -----------------------------------------------------------------------
_FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
_INCLUDE = re.compile(r"^```\{include\}\s+(\S+)", re.M)
_REQUIRES = re.compile(r"^<!--\s*doctest-requires:\s*([^>]*?)\s*-->\s*$", re.M)


def code_blocks(path):
    """(kind, argument, text, first line number) of each fenced block in a
    Markdown file: kind is the info string's first word ('pycon', 'python',
    '{tg-output}', ...)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info").strip()
        kind, _, arg = info.partition(" ")
        body, j = [], i + 1
        while j < len(lines) and not (lines[j].strip().startswith(fence)
                                      and lines[j].strip().strip(fence[0]) == ""):
            body.append(lines[j])
            j += 1
        first = i + 2                   # the first body line, counted from 1
        # directive options (":format: markdown") belong to the block, not the code
        opts = {}
        while kind.startswith("{") and body and body[0].startswith(":"):
            key, _, val = body.pop(0)[1:].partition(":")
            opts[key.strip()] = val.strip()
            first += 1
        out.append((kind, arg.strip(), "\n".join(body), first, opts))
        i = j + 1
    return out


def _pages():
    return sorted(p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md"))


def _page_requirements(text):
    return [r for m in _REQUIRES.finditer(text) for r in m.group(1).split()]


def _run_module_fragment(code, module_path, filename):
    """A fragment of a module (CONTRIBUTING.md's entry): run where it lives,
    then unregister what it registered."""
    from tapegrad.ops import REGISTRY
    from tapegrad.ops._registry import unregister
    modname = module_path[len("src/"):-len(".py")].replace("/", ".")
    mod = importlib.import_module(modname)
    before = list(REGISTRY.values())
    try:
        exec(compile(code, filename, "exec"), dict(vars(mod)))
        added = [e for e in REGISTRY.values() if all(e is not b for b in before)]
        assert added or "primitive(" not in code and "unary(" not in code, \
            f"{filename}: the fragment registered nothing"
    finally:
        for e in reversed([e for e in REGISTRY.values() if all(e is not b for b in before)]):
            unregister(e)


def _run_blocks(path, ns, label):
    """Run the examples of one Markdown file; returns how many ran."""
    import docrun
    ran = 0
    for kind, arg, text, line, opts in code_blocks(path):
        where = f"{label}, line {line}"
        if kind == "pycon":
            examples = doctest.DocTestParser().get_examples(text, label)
            for ex in examples:
                ex.lineno += line - 1
            test = doctest.DocTest(examples, ns, label, str(path), 0, text)
            ran += _run_doctest(test)
            ns.update(test.globs)       # DocTest ran on a copy: the page goes on from it
        elif kind == "python":
            first = text.lstrip().splitlines()[0] if text.strip() else ""
            m = re.match(r"#\s*(src/tapegrad/\S+\.py)\s*$", first)
            if m:
                _run_module_fragment(text, m.group(1), f"<{where}>")
            else:
                exec(compile(text, f"<{where}>", "exec"), ns)
            ran += 1
        elif kind == "{tg-output}":
            docrun.run_output_block(text, ns.setdefault("__tg_output__",
                                                               docrun.fresh_namespace()),
                                           f"<{where}>")
            ran += 1
        elif kind == "{tg-command}":
            want = int(opts.get("returncode", 0))
            status, out = docrun.run_command(arg)
            assert status == want, f"{where}: {arg!r} exited with {status}, expected {want}:\n{out}"
            ran += 1
        elif kind == "{include}":
            pass                        # followed in test_docs_page
    return ran


@pytest.mark.parametrize("page", _pages())
def test_docs_page(page):
    import docrun
    path = DOCS / page
    text = path.read_text(encoding="utf-8")
    _skip_if_missing(_page_requirements(text), f"docs/{page}")
    _reset()
    ns = docrun.fresh_namespace()
    with _registry_restored():
        _run_blocks(path, ns, f"docs/{page}")
        for inc in _INCLUDE.findall(text):
            target = (path.parent / inc).resolve()
            if target.suffix == ".md" and DOCS / "_generated" not in target.parents:
                _run_blocks(target, dict(docrun.fresh_namespace()),
                            target.relative_to(ROOT).as_posix())


@contextlib.contextmanager
def _registry_restored():
    """A page that registers a toy entry (contributing.md) and fails before
    removing it must not leave it to the tests that follow."""
    from tapegrad.ops import REGISTRY
    from tapegrad.ops._registry import unregister
    before = list(REGISTRY.values())
    try:
        yield
    finally:
        for e in reversed([e for e in REGISTRY.values() if all(e is not b for b in before)]):
            unregister(e)


def test_every_page_is_checked():
    """No page slips through: each docs page holds examples or says why not."""
    for page in _pages():
        text = (DOCS / page).read_text(encoding="utf-8")
        kinds = {k for k, *_ in code_blocks(DOCS / page)}
        assert kinds & {"pycon", "python", "{tg-output}", "{tg-command}", "{include}",
                        "{eval-rst}"}, f"docs/{page} has no example the tests run"
        # blocks in a language the tests do not run must not look like Python
        for kind, _, body, line, _ in code_blocks(DOCS / page):
            if kind in ("", "py", "python3", "ipython", "default"):
                pytest.fail(f"docs/{page}, line {line}: a ```{kind} block is not run; "
                            f"use ```pycon (doctest) or ```python (run)")
