"""The exceptions retold raises.

Every error retold raises on purpose derives from :class:`RetoldError`, so callers
can catch one class; the CLI turns it into a one-line message and exit code 1.

    RetoldError
    ├── InputError        an input file or record cannot be used (bad path, format)
    ├── ConfigError       a parameter is out of range or inconsistent
    ├── IndexFormatError  a file is not a retold index, or has a schema we cannot read
    └── MissingDependency an optional extra is needed (says what to install)
"""

from __future__ import annotations


class RetoldError(Exception):
    """Root of every error raised on purpose by retold."""


class InputError(RetoldError):
    """An input cannot be read (missing file, unknown format, strict-mode problem)."""


class ConfigError(RetoldError, ValueError):
    """A parameter has a value retold cannot work with."""


class IndexFormatError(RetoldError):
    """A file is not a retold index, or its schema version is not supported."""


class MissingDependency(RetoldError, ImportError):
    """An optional dependency is missing; the message says which extra to install."""
