"""Serial numbers typed as a list: separated by commas, semicolons (ASCII or full-width) or line breaks."""

from __future__ import annotations


def parse_serials(text: str) -> list[str]:
    raw = text.replace("，", ",").replace("\n", ",").replace(";", ",").replace("；", ",")
    return [s.strip().upper() for s in raw.split(",") if s.strip()]
