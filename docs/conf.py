"""Sphinx configuration of tapegrad's documentation site.

Build:  python -m sphinx -W -b html docs docs/_build/html

What is generated at build time (never pasted):

* ``_generated/functions.md``: the supported-functions tables, from the op
  registry (``gen_functions.py``, run when the build starts);
* every ``{tg-output}`` block: Python code run while the page is read
  (evaluation traces, ``to_markdown()`` tables), its printed output shown;
* every ``{tg-command}`` block: the ``tapegrad`` command run in-process
  (``--help`` texts, traces).

Pages are Markdown (MyST); the API reference comes from the docstrings
(autodoc).  ``tests/test_doctests.py`` runs every example of these pages and
of the public docstrings; ``tests/test_docs.py`` checks the generated tables
against the registry.
"""
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE))
# The working tree is what gets documented when its native core is built in
# place (python setup.py build_ext --inplace); otherwise the installed tapegrad.
if any((ROOT / "src" / "tapegrad" / "_core").glob("tape*.so")) or \
        any((ROOT / "src" / "tapegrad" / "_core").glob("tape*.pyd")):
    sys.path.insert(0, str(ROOT / "src"))

import tapegrad  # noqa: E402

project = "tapegrad"
author = "the tapegrad developers"
copyright = "the tapegrad developers"
version = release = tapegrad.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "tapegrad_docs",            # _ext/: tg-output, tg-command, the generated tables
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"undoc-members": False}
# Optional dependencies (extras optimize, dask): documented from their real
# modules when installed, from stand-ins otherwise, so the docs build needs
# only the [docs] extra.
autodoc_mock_imports = [m for m in ("scipy", "dask", "distributed")
                        if importlib.util.find_spec(m) is None]

html_theme = "furo"
html_title = f"tapegrad {release}"
html_static_path = []
pygments_style = "friendly"
