"""tapegrad's exceptions.

Each class also subclasses the built-in type API.md promises, so
``except ValueError`` keeps working; messages name the op, the shapes and
dtypes involved, and the fix.
"""


class TapegradError(Exception):
    """Base class of every error tapegrad raises on purpose."""


class ShapeError(TapegradError, ValueError):
    """Shapes that do not fit (head gradients, broadcasting, reshapes)."""


class GradReqError(TapegradError, ValueError):
    """An unknown ``grad_req``."""


class DTypeError(TapegradError, TypeError):
    """Data that cannot become a float32/float64 tensor."""


class GraphError(TapegradError, RuntimeError):
    """Backward through something that cannot be differentiated now."""


class NotRecordedError(GraphError):
    """Backward of a tensor with no recorded history."""


class GraphFreedError(GraphError):
    """Backward through a graph whose saved values an earlier backward freed."""


class InplaceModificationError(GraphError):
    """A tensor the graph saved was modified in place after it was recorded."""


class FunctionError(TapegradError, ValueError):
    """A custom ``autograd.Function`` broke its contract."""


class ConfigWarning(RuntimeWarning):
    """An environment setting (TAPEGRAD_*) tapegrad cannot use: the message
    names the variable and the accepted values, and the default applies."""


class NotDifferentiableError(TapegradError, TypeError):
    """A NumPy function tapegrad cannot differentiate, given a tensor that is
    being differentiated (its result would silently lose the gradient)."""


def describe(x: object) -> str:
    """``shape=(2, 3) float64`` for a tensor or array, the type name otherwise."""
    shape = getattr(x, "shape", None)
    dtype = getattr(x, "dtype", None)
    if shape is None:
        return type(x).__name__
    return f"shape={tuple(shape)} {dtype}"
