"""The compiled core: the tape (node arrays), the backward sweep and the
native gradient kernels.  There is no pure-Python fallback: if this import
fails, the build failed and tapegrad says so."""
