# Type stub of the compiled module kernels.pyx: the thread-count functions
# tapegrad.threads wraps, typed; the rest (kernel tables and loops the op
# registry reads) is left to the module __getattr__.
from typing import Any

def num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...

# the rest of the module, untyped
def __getattr__(name: str) -> Any: ...
