"""Progress reporting: the library reports, the caller decides how to show it.

Library functions take ``progress: Progress | None``; the CLI passes a rich progress
bar, tests and library users get silence by default.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives the stages of a long job and how far each has got."""

    def start(self, stage: str, total: int | None = None) -> None:
        """A stage begins; ``total`` units of work if known."""

    def advance(self, n: int = 1) -> None:
        """``n`` more units of the current stage are done."""

    def finish(self) -> None:
        """The current stage is done."""


class NullProgress:
    """Reports nothing."""

    def start(self, stage: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass
