"""Text from a ruleset or a case made safe to show to a person.

Names, labels, ids and notes come from files a user may not have written. Printed raw,
an escape sequence in one of them can clear the screen, retitle the window, hide the
lines after it or (with a bidirectional override) show text in another order than it is
stored — a table that lies to the officer reading it. Every human-readable output (the
terminal table, explain's text, diff's and compare's tables, diagnostics, the test
runner's lines) goes through `printable`; machine formats escape on their own terms
(JSON and the DSL write these characters `\\uXXXX`, `u_escaped`; YAML escapes control
characters; CSV and the workbooks keep the data as it is, and CSV is shown through
`printable` on a terminal).
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls; the bidirectional embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069) that reorder what is shown
UNSHOWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape(match: re.Match[str]) -> str:
    """The matched character written as its escape: `\\xNN` below 256, `\\uNNNN` above."""
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every character that would act on a terminal instead of being shown
    written as its escape (`\\x1b`, `\\u202e`), so the reader sees that it is there."""
    return UNSHOWABLE.sub(escape, text) if UNSHOWABLE.search(text) else text


def u_escaped(text: str) -> str:
    """`text` with every such character written `\\uXXXX`, for a format whose strings read
    that escape back as the character (JSON, the DSL): the same data, shown rather than
    obeyed wherever it is printed."""
    return UNSHOWABLE.sub(_u, text) if UNSHOWABLE.search(text) else text


def _u(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"
