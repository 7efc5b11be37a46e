"""``python -m tapegrad``: the command (tapegrad/teaching/cli.py)."""
import sys

from tapegrad.teaching.cli import main

if __name__ == "__main__":
    sys.exit(main())
