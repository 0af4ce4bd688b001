"""The exceptions retold raises.

Every error retold raises on purpose derives from :class:`RetoldError`, so callers
can catch one class; the CLI turns it into a one-line message and exit code 1.

    RetoldError
    ├── InputError        an input file or record cannot be used (bad path, format)
    ├── ConfigError       a parameter is out of range or inconsistent
    ├── IndexFormatError  a file is not a retold index, or has a schema we cannot read
    ├── OutputError       an output file cannot be written (disk full, I/O error, permissions)
    ├── WorkerError       a worker process died (killed by the system, out of memory)
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


class OutputError(RetoldError):
    """An output cannot be written, created or replaced; the message names the path.

    Raised by :mod:`retold.io.atomic` in place of the :class:`OSError` behind it (kept
    as ``__cause__``), e.g. ``cannot write result/pairs.jsonl: No space left on device``;
    ``errno`` is the OSError's (``errno.ENOSPC`` for a full disk). By the time it is
    raised every temporary file is removed (what stays in place: :mod:`retold.io.atomic`).
    """

    def __init__(self, message: str, path: str = "", errno: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.errno = errno

    @classmethod
    def from_os(cls, path: object, exc: OSError, verb: str = "write") -> OutputError:
        """``cannot <verb> <path>: <reason>`` on one line, from the OSError ``exc``."""
        reason = exc.strerror or str(exc) or type(exc).__name__
        message = f"cannot {verb} {path}: {reason}".replace("\r", " ").replace("\n", " ")
        return cls(message, str(path), exc.errno)


class WorkerError(RetoldError):
    """A worker process stopped without a result (killed by the system or another process,
    for instance when memory runs out); the run is abandoned, its temporary files removed."""


class MissingDependency(RetoldError, ImportError):
    """An optional dependency is missing; the message says which extra to install."""
