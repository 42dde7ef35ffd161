"""Scrubbing a DSI's own free text of its peers' names — pure logic, no Streamlit.

A DSI's own file may name another CHU (« partagé avec le CHU de Rabat »); the report and
comments it reads back have every peer's name, city and code replaced
(``dashboard.access.anonymize_text``). Peers' own free text never reaches a DSI at all
(``dashboard.scoped``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping


def scrub_text(text: str, replacements: Mapping[str, str]) -> str:
    """Replaces every name, city or code of ``replacements`` in free text by its label.
    Codes are matched as whole upper-case words (so « MARS » stays), names and cities
    case-insensitively; longest first so that a full name wins over the city it contains."""
    if not text or not replacements:
        return text
    for needle in sorted(replacements, key=len, reverse=True):
        if not needle:
            continue
        if needle.isupper() and len(needle) <= 5:
            pattern = re.compile(rf"(?<![\w]){re.escape(needle)}(?![\w])")
        else:
            pattern = re.compile(rf"(?<![\w]){re.escape(needle)}(?![\w])", re.IGNORECASE)
        text = pattern.sub(replacements[needle], text)
    return text
