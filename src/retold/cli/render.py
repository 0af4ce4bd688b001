"""Terminal rendering of retold's results with rich (rich stays out of the library's core)."""

from __future__ import annotations

from typing import Sequence

from rich.console import Console
from rich.text import Text

from retold.core.diff import DiffOp

_STYLES = {"replace_old": "red strike", "replace_new": "green", "insert": "bold green",
           "delete": "bold red", "move": "bold magenta", "summary": "dim italic"}


def _squash(text: str) -> str:
    return " ".join(text.split())


def _last_words(text: str, n: int) -> str:
    return " ".join(text.split()[-n:]) or "the start"


def _equal_text(words: list[str], context: int, before: bool, after: bool) -> Text:
    """Unchanged words: ``context`` words next to the changes, the rest summarised."""
    head = words[:context] if before else []
    tail = words[-context:] if after and context else []
    if len(words) <= len(head) + len(tail):
        return Text(" ".join(words))
    out = Text(" ".join(head) + (" " if head else ""))
    out.append(f"… {len(words) - len(head) - len(tail)} words unchanged …", style=_STYLES["summary"])
    return out.append(" " + " ".join(tail) if tail else "")


def _marked(op: DiffOp, text_b: str) -> str:
    """One change marked in plain text (``[-old-]{+new+}``; see :func:`render_diff`)."""
    if op.op == "replace":
        return f"[-{_squash(op.a_text)}-]{{+{_squash(op.b_text)}+}}"
    if op.op == "insert":
        return f"{{+{_squash(op.b_text)}+}}"
    if op.op == "delete":
        return f"[-{_squash(op.a_text)}-]"
    return f"[-moved: {_squash(op.a_text)}-] (now after “{_last_words(text_b[:op.b_start], 3)}”)"


def render_diff(ops: Sequence[DiffOp], text_a: str, text_b: str, console: Console,
                context_words: int = 6, marks: bool = False) -> None:
    """Print the diff: changes in colour with ``context_words`` of unchanged text around.

    Replacements show as ``old -> new`` (red struck through, green), insertions green
    with ``+``, deletions red with ``-``, moves magenta with ``moved:`` and
    the words they now follow. With ``marks`` (what ``retold diff`` uses when stdout is
    not a terminal, where colour is lost) changes are marked in the text instead, as
    ``git diff --word-diff`` does: ``[-old-]{+new+}``, ``{+inserted+}``, ``[-deleted-]``,
    ``[-moved: text-]``. Document text is
    only ever put in :class:`rich.text.Text`, so markup in it is printed literally.
    """
    out = Text()
    for k, op in enumerate(ops):
        if out:
            out.append(" ")
        if op.op == "equal":
            words = _squash(text_a[op.a_start:op.a_end]).split(" ")
            out.append_text(_equal_text(words, context_words, k > 0, k + 1 < len(ops)))
        elif marks:
            out.append(_marked(op, text_b))
        elif op.op == "replace":
            out.append(_squash(op.a_text), style=_STYLES["replace_old"]).append(" -> ")
            out.append(_squash(op.b_text), style=_STYLES["replace_new"])
        elif op.op == "insert":
            out.append("+" + _squash(op.b_text), style=_STYLES["insert"])
        elif op.op == "delete":
            out.append("-" + _squash(op.a_text), style=_STYLES["delete"])
        else:
            out.append("moved: " + _squash(op.a_text), style=_STYLES["move"])
            out.append(f" (now after “{_last_words(text_b[:op.b_start], 3)}”)", style=_STYLES["summary"])
    if not ops:
        out.append("(both texts are empty)", style=_STYLES["summary"])
    elif all(op.op == "equal" for op in ops):
        out = Text("(no differences)", style=_STYLES["summary"])
    console.print(out, soft_wrap=True if marks else None)
