"""Cloudflare Content Signals values: ``search=yes, ai-input=no, ai-train=no[, use=reference]``.

Source: https://contentsignals.org and https://blog.cloudflare.com/content-signals-policy/
(2025-09-24; ``use=`` from Cloudflare's changelog of 2026-08-31). Keys and values are read
case-insensitively with or without spaces; an absent key is no preference; unknown keys and values
other than yes/no say nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..decision import Evidence, Outcome, Source
from ..purposes import CONTENT_SIGNAL_KEYS, Purpose

__all__ = ["SOURCE", "ContentSignal", "parse_content_signal"]

SOURCE = Source.CONTENT_SIGNAL
_VALUES = {"yes": Outcome.ALLOW, "no": Outcome.DENY}
_USE_LEVELS = ("immediate", "reference", "full")


@dataclass(frozen=True, slots=True)
class ContentSignal:
    effects: dict[Purpose, Outcome] = field(default_factory=dict)
    use: str | None = None  # immediate < reference < full
    ignored: tuple[str, ...] = ()  # pairs we could not read

    def evidence(self, rule: str, location: str, detail: str, *, informal: bool = False) -> Evidence:
        """``informal``: a carrier the policy does not define (an HTTP header, a meta tag)."""
        refs = {"use": self.use} if self.use else {}
        if self.ignored:
            refs["ignored"] = ", ".join(self.ignored)
        inferred = frozenset(self.effects) if informal else frozenset()
        return Evidence(SOURCE, rule, location, detail, self.effects, inferred=inferred, refs=refs)


def parse_content_signal(value: str) -> ContentSignal:
    effects: dict[Purpose, Outcome] = {}
    use = None
    ignored: list[str] = []
    for part in value.split(","):
        key, sep, raw = part.partition("=")
        key, raw = key.strip().lower(), raw.strip().lower()
        if not part.strip():
            continue
        if not sep:
            ignored.append(part.strip())
        elif key in CONTENT_SIGNAL_KEYS and raw in _VALUES:
            for purpose in CONTENT_SIGNAL_KEYS[key]:
                # Two values for one key in one line: the more restrictive stands.
                if effects.get(purpose) is not Outcome.DENY:
                    effects[purpose] = _VALUES[raw]
        elif key == "use" and raw in _USE_LEVELS:
            use = raw
        else:
            ignored.append(part.strip())
    return ContentSignal(effects, use, tuple(ignored))
