"""The outlet an article names in its own dateline, when it names one.

Source cards show "headline, date, outlet"; the outlet is shown only when the article itself
says it, never guessed. Wire copy opens with a dateline: an upper-case place, optionally a
date, the outlet in brackets, a dash (``KYIV, Sept. 4 (Reuters) — ...``), or just the bracketed
outlet (``(AP) — ...``). The rule looks for that shape on the article's first line, or on the
line after a headline line (see ``rag.text.headline``). Anything else gives "" (the seed
articles have no dateline). Examples::

    outlet("KYIV (Reuters) — Talks stalled on Friday.")                  -> "Reuters"
    outlet("Kyiv talks stall\\n\\nWASHINGTON, Sept. 4 (AP) - Talks ...")  -> "AP"
    outlet("The council (in Kyiv) - said no.")                             -> ""

Why a pattern and not a list of outlets: the dateline's shape is the convention wire services
and most papers share, and a list would miss every outlet not on it.
"""

from __future__ import annotations

import re

from rag.text.headline import is_headline_line

OUTLET_MAX = 40
_DATELINE = re.compile(
    r"""\s*
    (?:[A-Z][A-Z.'’\-]+(?:\ [A-Z][A-Z.'’\-]+)*   # PLACE in capitals
       (?:,[^()\n]{1,30})?                      # , Region / , Sept. 4
       \s+)?
    \((?P<outlet>[A-Z][A-Za-z0-9&.'’\- ]{0,38}[A-Za-z0-9.])\)   # (Outlet)
    \s*[-–—]\s""",
    re.VERBOSE,
)


def outlet(text: str) -> str:
    """The outlet named in the article's dateline ("" when it has none)."""
    lines = [line for line in text.strip().split("\n", 3)[:3] if line.strip()]
    candidates = lines[:1]
    if len(lines) > 1 and is_headline_line(lines[0]):
        candidates.append(lines[1])
    for line in candidates:
        m = _DATELINE.match(line)
        if m and len(m.group("outlet")) <= OUTLET_MAX:
            return m.group("outlet").strip()
    return ""
