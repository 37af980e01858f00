"""Every ``POLICYGUARD_*`` setting, read and checked once when the crawl starts.

A bad value stops the crawl before the first request, with a message that names the setting and
says how to fix it; a guard that silently ran with a default the user did not choose would make
the audit trail wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.agents import CLASSES
from ..core.purposes import Purpose, UnknownPurposeError, parse_purpose
from ..core.robots import PARSE_LIMIT, crawler_token, is_product_token, product_token
from ..core.text_enum import TextEnum

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.settings import BaseSettings

__all__ = [
    "DEFAULTS",
    "DeniedItems",
    "GuardSettings",
    "Mode",
    "PolicyGuardConfigError",
    "is_enabled",
    "robots_max_bytes",
]

SCRAPY_TOKEN = "Scrapy"

#: Defaults, also the table in the README. Kept here so the add-on, the middleware and the docs
#: read one list.
DEFAULTS: dict[str, Any] = {
    "POLICYGUARD_ENABLED": True,
    "POLICYGUARD_MODE": "enforce",
    "POLICYGUARD_PURPOSE": "ai-train",
    "POLICYGUARD_USER_AGENT": None,
    "POLICYGUARD_UNKNOWN": "allow",
    "POLICYGUARD_ROBOTS_TTL": 86400,
    "POLICYGUARD_UNREACHABLE_RETRY": 300,
    "POLICYGUARD_ROBOTS_MAX_BYTES": PARSE_LIMIT,
    "POLICYGUARD_CRAWL_DELAY": True,
    "POLICYGUARD_CRAWL_DELAY_MAX": 30,
    "POLICYGUARD_MAX_ORIGINS": 20_000,
    "POLICYGUARD_AUDIT_LOG": None,
    "POLICYGUARD_AUDIT_ALL": False,
    "POLICYGUARD_BLOCK_BEFORE_FETCH": True,
    "POLICYGUARD_AI_TOKENS": {},
    "POLICYGUARD_CONTENT_USAGE_LEGACY": False,
    "POLICYGUARD_RULES": [],
    "POLICYGUARD_RULES_DISABLED": [],
    "POLICYGUARD_AGREEMENTS": {},
    "POLICYGUARD_ITEM_ACTION": None,
    "POLICYGUARD_ITEM_FIELD": "policyguard",
}

_UNKNOWN = ("allow", "deny")


class Mode(TextEnum):
    """POLICYGUARD_MODE: ``audit`` blocks and drops nothing and records what would have been."""

    ENFORCE = "enforce"
    AUDIT = "audit"


class DeniedItems(TextEnum):
    """POLICYGUARD_ITEM_ACTION: what the pipeline does with an item whose purpose is denied."""

    DROP = "drop"
    TAG = "tag"


class PolicyGuardConfigError(ValueError):
    """A POLICYGUARD_* setting (or a spider's purpose) that cannot be used. Stops the crawl."""


def _error(name: str, value: Any, problem: str, fix: str) -> PolicyGuardConfigError:
    return PolicyGuardConfigError(f"{name}={value!r}: {problem}. Fix: {fix}")


def _choice(settings: BaseSettings, name: str, choices: tuple[str, ...]) -> str:
    value = settings.get(name, DEFAULTS[name])
    text = str(value).strip().lower()
    if text not in choices:
        raise _error(name, value, "not a known value", "use one of " + ", ".join(map(repr, choices)))
    return text


def _seconds(settings: BaseSettings, name: str, *, minimum: float = 0.0) -> float:
    """A number of seconds; the error's example is the setting's default."""
    value = settings.get(name, DEFAULTS[name])
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not (number >= minimum and math.isfinite(number)):
        example = f"set a number, e.g. {DEFAULTS[name]}"
        raise _error(name, value, f"must be a number of seconds >= {minimum:g}", example)
    return number


def _count(settings: BaseSettings, name: str, *, minimum: int = 1, why: str | None = None) -> int:
    """A whole number setting (also given as digits, ``-s NAME=500``) of at least ``minimum``."""
    value = settings.get(name, DEFAULTS[name])
    number = (
        value if type(value) is int else int(value) if isinstance(value, str) and value.isdigit() else None
    )
    if number is None or number < minimum:
        problem = why if number is not None and why else f"not a whole number >= {minimum}"
        raise _error(name, value, problem, f"use an integer >= {minimum}")
    return number


def _bool(settings: BaseSettings, name: str) -> bool:
    value = settings.get(name, DEFAULTS[name])
    try:
        return settings.getbool(name, DEFAULTS[name])
    except ValueError:
        raise _error(name, value, "not a boolean", "use True or False") from None


def _mapping(settings: BaseSettings, name: str, problem: str, example: str) -> Mapping[Any, Any]:
    """A dict setting, also given as JSON text (``scrapy crawl -s NAME='{...}'``)."""
    value = given = settings.get(name) or {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, Mapping):
        raise _error(name, given, problem, example)
    return value


def _ai_tokens(settings: BaseSettings) -> dict[str, str | None]:
    name = "POLICYGUARD_AI_TOKENS"
    value = _mapping(settings, name, "must be a dict", 'e.g. {"ExampleAIBot": "training", "Applebot": None}')
    changes: dict[str, str | None] = {}
    for token, agent_class in value.items():
        if product_token(str(token)) in ("", "*"):
            raise _error(
                name, value, f"{token!r} is not a robots.txt product token", "use the token as in robots.txt"
            )
        if agent_class is not None and agent_class not in CLASSES:
            raise _error(
                name,
                value,
                f"{token!r}: unknown class {agent_class!r}",
                f"use one of {', '.join(CLASSES)} or None",
            )
        changes[str(token)] = agent_class
    return changes


def _strings(settings: BaseSettings, name: str) -> tuple[str, ...]:
    value = settings.get(name) or []
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _error(name, value, "must be a list of strings", 'e.g. ["rules/my-packs/"]')
    return tuple(v.strip() for v in value)


def _agreements(settings: BaseSettings) -> dict[str, str]:
    name = "POLICYGUARD_AGREEMENTS"
    problem = "must map pack ids or licence URLs to agreement references"
    example = '{"reddit": "Data API licence 2026-114"}'
    value = _mapping(settings, name, problem, example)
    if not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip() for k, v in value.items()
    ):
        raise _error(name, dict(value), problem, example)
    return {k.strip(): v.strip() for k, v in value.items()}


def _item_action(settings: BaseSettings, purpose: Purpose) -> DeniedItems:
    value = settings.get("POLICYGUARD_ITEM_ACTION")
    if value is None:
        return DeniedItems.DROP if purpose is Purpose.AI_TRAIN else DeniedItems.TAG
    return DeniedItems(_choice(settings, "POLICYGUARD_ITEM_ACTION", tuple(m.value for m in DeniedItems)))


def _item_field(settings: BaseSettings) -> str:
    value = settings.get("POLICYGUARD_ITEM_FIELD", DEFAULTS["POLICYGUARD_ITEM_FIELD"])
    if not isinstance(value, str) or not value.isidentifier():
        raise _error("POLICYGUARD_ITEM_FIELD", value, "must be a field name", 'e.g. "policyguard"')
    return value


def robots_max_bytes(settings: BaseSettings) -> int:
    """POLICYGUARD_ROBOTS_MAX_BYTES, read alone (the RobotParser backend needs only this one)."""
    return _count(
        settings,
        "POLICYGUARD_ROBOTS_MAX_BYTES",
        minimum=PARSE_LIMIT,
        why=f"RFC 9309 §2.5 requires parsing at least {PARSE_LIMIT} bytes",
    )


def is_enabled(settings: BaseSettings) -> bool:
    """POLICYGUARD_ENABLED, read alone: when it is False nothing else is read or built."""
    return _bool(settings, "POLICYGUARD_ENABLED")


@dataclass(frozen=True)
class UserAgentChoice:
    """Our product token and the setting it came from (recorded in the audit trail)."""

    token: str
    setting: str
    value: str

    @property
    def is_scrapy_default(self) -> bool:
        return self.token.lower() == SCRAPY_TOKEN.lower()


def _user_agent(settings: BaseSettings) -> UserAgentChoice:
    for name in ("POLICYGUARD_USER_AGENT", "ROBOTSTXT_USER_AGENT"):
        value = settings.get(name)
        if value:
            token = str(value).strip()
            if not is_product_token(token):
                raise _error(
                    name,
                    value,
                    "not a robots.txt product token (letters, '_' and '-' only, RFC 9309 §2.2.1)",
                    "set the bare token your crawler announces, e.g. 'ExampleBot'",
                )
            return UserAgentChoice(token, name, str(value))
    header = str(settings.get("USER_AGENT") or "")
    token = crawler_token(header)
    if not is_product_token(token):
        raise _error(
            "USER_AGENT",
            header,
            f"announces {token!r}, not a robots.txt product token (letters, '_' and '-' only)"
            if token
            else "announces no product token",
            "set POLICYGUARD_USER_AGENT to your crawler's token, e.g. 'ExampleBot'",
        )
    return UserAgentChoice(token, "USER_AGENT", header)


def _purpose(settings: BaseSettings, spider: Spider | None) -> tuple[Purpose, str]:
    name = "POLICYGUARD_PURPOSE"
    attribute = getattr(spider, "policyguard_purpose", None) if spider is not None else None
    priority = settings.getpriority(name) or 0
    # Command line (-s) beats the spider attribute, which beats project settings.
    if attribute is not None and priority < 40:
        source, value = f"{type(spider).__name__}.policyguard_purpose", attribute
    else:
        source, value = name, settings.get(name, DEFAULTS[name])
    try:
        return parse_purpose(value), source
    except UnknownPurposeError as exc:
        raise PolicyGuardConfigError(f"{source}={value!r}: {exc}") from None


@dataclass(frozen=True)
class GuardSettings:
    """The resolved configuration of one crawl."""

    mode: Mode
    purpose: Purpose
    purpose_source: str
    user_agent: UserAgentChoice
    unknown_allows: bool
    robots_ttl: float
    unreachable_retry: float
    robots_max_bytes: int
    crawl_delay: bool
    crawl_delay_max: float
    max_origins: int
    audit_log: str | None
    audit_all: bool
    block_before_fetch: bool
    ai_tokens: dict[str, str | None]
    legacy_usage: bool
    rules: tuple[str, ...]
    rules_disabled: tuple[str, ...]
    agreements: dict[str, str]
    item_action: DeniedItems
    item_field: str

    @property
    def enforce(self) -> bool:
        return self.mode is Mode.ENFORCE

    @classmethod
    def from_settings(cls, settings: BaseSettings, spider: Spider | None = None) -> GuardSettings:
        purpose, purpose_source = _purpose(settings, spider)
        audit_log = settings.get("POLICYGUARD_AUDIT_LOG")
        return cls(
            mode=Mode(_choice(settings, "POLICYGUARD_MODE", tuple(m.value for m in Mode))),
            purpose=purpose,
            purpose_source=purpose_source,
            user_agent=_user_agent(settings),
            unknown_allows=_choice(settings, "POLICYGUARD_UNKNOWN", _UNKNOWN) == "allow",
            robots_ttl=_seconds(settings, "POLICYGUARD_ROBOTS_TTL", minimum=1),
            unreachable_retry=_seconds(settings, "POLICYGUARD_UNREACHABLE_RETRY", minimum=1),
            robots_max_bytes=robots_max_bytes(settings),
            crawl_delay=_bool(settings, "POLICYGUARD_CRAWL_DELAY"),
            crawl_delay_max=_seconds(settings, "POLICYGUARD_CRAWL_DELAY_MAX", minimum=1),
            max_origins=_count(settings, "POLICYGUARD_MAX_ORIGINS"),
            audit_log=str(audit_log) if audit_log else None,
            audit_all=_bool(settings, "POLICYGUARD_AUDIT_ALL"),
            block_before_fetch=_bool(settings, "POLICYGUARD_BLOCK_BEFORE_FETCH"),
            ai_tokens=_ai_tokens(settings),
            legacy_usage=_bool(settings, "POLICYGUARD_CONTENT_USAGE_LEGACY"),
            rules=_strings(settings, "POLICYGUARD_RULES"),
            rules_disabled=_strings(settings, "POLICYGUARD_RULES_DISABLED"),
            agreements=_agreements(settings),
            item_action=_item_action(settings, purpose),
            item_field=_item_field(settings),
        )

    def describe(self) -> dict[str, Any]:
        """The settings that shape decisions, as recorded at the top of the audit trail."""
        return {
            "POLICYGUARD_MODE": str(self.mode),
            "POLICYGUARD_PURPOSE": str(self.purpose),
            "purpose_source": self.purpose_source,
            "POLICYGUARD_USER_AGENT": self.user_agent.token,
            "user_agent_source": self.user_agent.setting,
            "POLICYGUARD_UNKNOWN": "allow" if self.unknown_allows else "deny",
            "POLICYGUARD_ROBOTS_TTL": self.robots_ttl,
            "POLICYGUARD_UNREACHABLE_RETRY": self.unreachable_retry,
            "POLICYGUARD_ROBOTS_MAX_BYTES": self.robots_max_bytes,
            "POLICYGUARD_CRAWL_DELAY": self.crawl_delay,
            "POLICYGUARD_CRAWL_DELAY_MAX": self.crawl_delay_max,
            "POLICYGUARD_MAX_ORIGINS": self.max_origins,
            "POLICYGUARD_AUDIT_ALL": self.audit_all,
            "POLICYGUARD_BLOCK_BEFORE_FETCH": self.block_before_fetch,
            "POLICYGUARD_AI_TOKENS": self.ai_tokens,
            "POLICYGUARD_CONTENT_USAGE_LEGACY": self.legacy_usage,
            "POLICYGUARD_RULES": list(self.rules),
            "POLICYGUARD_RULES_DISABLED": list(self.rules_disabled),
            "POLICYGUARD_AGREEMENTS": self.agreements,
            "POLICYGUARD_ITEM_ACTION": str(self.item_action),
            "POLICYGUARD_ITEM_FIELD": self.item_field,
        }
