"""Reference peers that are not on PyPI in a usable form (see micrograd_ref)."""
