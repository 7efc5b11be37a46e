# The one place the version is written: pyproject.toml reads it (setuptools'
# dynamic version), tapegrad.__version__ and `tapegrad --version` import it.
__version__ = "0.1.0"
