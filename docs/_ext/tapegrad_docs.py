"""Sphinx extension: the parts of tapegrad's docs that are computed, not written.

``{tg-output}``
    Python code run while the page is read; the code is shown (unless
    ``:hide-code:``), then what it printed: as a literal block, or parsed as
    Markdown with ``:format: markdown`` (``trace.to_markdown()``).  The blocks
    of one page share a namespace that starts with ``tg``, ``np`` and
    ``autograd``.  An exception fails the build.

``{tg-command}``
    The ``tapegrad`` command, run in-process (``tapegrad.teaching.cli.main``)
    with the given arguments; shown as a console session.  ``:returncode:``
    is the exit status expected (default 0); any other fails the build.

When the build starts, ``gen_functions.py`` writes ``_generated/functions.md``
(the supported-functions tables) from the op registry.

Pages holding these blocks are read again on every build (their output
depends on the code, not on the page's text).  ``tests/test_doctests.py``
runs the same blocks through ``docrun.py`` (which needs no Sphinx), so the
test suite and the site agree.
"""
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from docrun import DOCS, fresh_namespace, run_command, run_output_block



class TgOutput(SphinxDirective):
    has_content = True
    option_spec = {"format": lambda a: directives.choice(a, ("text", "markdown")),
                   "hide-code": directives.flag}

    def run(self):
        code = "\n".join(self.content)
        ns = self.env.temp_data.setdefault("tg_namespace", fresh_namespace())
        where = f"{self.env.docname}.md, line {self.lineno}"
        try:
            out = run_output_block(code, ns, f"<{where}>")
        except Exception as e:      # noqa: BLE001 (any failure must stop the build)
            raise self.error(f"tg-output block ({where}) raised {type(e).__name__}: {e}")
        result = []
        if "hide-code" not in self.options:
            block = nodes.literal_block(code, code, language="python")
            result.append(block)
        if self.options.get("format", "text") == "markdown":
            box = nodes.container(classes=["tg-output"])
            self.state.nested_parse(StringList(out.splitlines(), source=where),
                                    self.content_offset, box)
            result.append(box)
        elif out:
            result.append(nodes.literal_block(out, out.rstrip("\n"), language="text",
                                              classes=["tg-output"]))
        return result


class TgCommand(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = True
    option_spec = {"returncode": int}

    def run(self):
        command = self.arguments[0]
        want = self.options.get("returncode", 0)
        try:
            status, out = run_command(command)
        except Exception as e:      # noqa: BLE001
            raise self.error(f"tg-command {command!r} raised {type(e).__name__}: {e}")
        if status != want:
            raise self.error(f"tg-command {command!r} exited with {status}, expected {want}:\n"
                             f"{out}")
        text = f"$ {command}\n{out.rstrip()}"
        return [nodes.literal_block(text, text, language="console")]


def _generate(app):
    """Write the registry's tables before any page is read."""
    import gen_functions
    gen_functions.write(DOCS / "_generated" / "functions.md")


def _always_reread(app, env, added, changed, removed):
    """Pages with computed blocks depend on the code, not only on their text."""
    again = []
    for doc in env.found_docs:
        path = Path(env.doc2path(doc))
        if path.suffix == ".md" and "```{tg-" in path.read_text(encoding="utf-8"):
            again.append(doc)
    return again


def setup(app):
    app.add_directive("tg-output", TgOutput)
    app.add_directive("tg-command", TgCommand)
    app.connect("builder-inited", _generate)
    app.connect("env-get-outdated", _always_reread)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
