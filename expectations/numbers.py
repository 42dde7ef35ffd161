"""Numbers as French spreadsheets write them (DESIGN §3.3).

Accepted: ``1234567.89``, ``1234567,89``, ``1 234 567,89`` with a space, a no-break space
(U+00A0) or a narrow no-break space (U+202F) between groups of three digits, an optional
leading sign. Refused, never guessed: several commas (``1,234,567``), a comma and a dot
together (``1.234,56`` could be either convention), letters, units, badly grouped digits.
"""

from __future__ import annotations

import re

# Excel's French locale groups thousands with U+202F or U+00A0; people type plain spaces.
GROUP_SEPARATORS = (" ", "\u00a0", "\u202f")

# ASCII digits only: « ٣ » or a full-width « ２ » is not a figure a spreadsheet exports.
_PLAIN = re.compile(r"[+-]?\d+(?:[.,]\d+)?", re.ASCII)
_GROUPED = re.compile(r"[+-]?\d{1,3}(?: \d{3})+(?:[.,]\d+)?", re.ASCII)


def parse_number(text: str) -> float:
    """Parse one cell as a number; raises ``ValueError`` when it is not an unambiguous number."""
    if text is None:
        raise ValueError("valeur vide")
    value = text.strip()
    for separator in GROUP_SEPARATORS[1:]:
        value = value.replace(separator, " ")
    if not value:
        raise ValueError("valeur vide")
    if _PLAIN.fullmatch(value) is None and _GROUPED.fullmatch(value) is None:
        raise ValueError(f"« {text} » n'est pas un nombre")
    return float(value.replace(" ", "").replace(",", "."))


def parse_integer(text: str) -> int:
    """Parse one cell as a whole number (``12``, ``1 200``, ``3,0``); ``ValueError`` otherwise."""
    number = parse_number(text)
    if not number.is_integer():
        raise ValueError(f"« {text} » n'est pas un nombre entier")
    return int(number)
