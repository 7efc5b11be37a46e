"""The teaching layer, on top of everything else: evaluation traces (the
tutorials' tables, computed), graph drawing, the expression parser and the
``tapegrad`` command.  It learns about primitives from the op registry
(labels, partial-derivative text, the trace grammar), never from names of
its own."""
