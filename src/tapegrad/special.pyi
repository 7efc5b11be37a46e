# Generated from the op registry by tools/gen_stubs.py: do not edit.
# After adding or changing an entry, run: python tools/gen_stubs.py
# tapegrad.special: the registry's public special functions.

__all__: list[str] = []

