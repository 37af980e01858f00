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
from urllib.parse import urlsplit, urlunsplit

from ..core.agents import CLASSES
from ..core.budget import ANY_ORIGIN, Limits
from ..core.money import Money, PriceError
from ..core.paths import origin_of
from ..core.purposes import Purpose, UnknownPurposeError, parse_purpose
from ..core.robots import PARSE_LIMIT, crawler_token, is_product_token, product_token
from ..core.signals import c2pa
from ..core.signals.embedded import ALL_READERS, MediaReader
from ..core.signals.schema_org import PaywallMode
from ..core.text_enum import TextEnum
from ..core.webbotauth import MAX_LIFETIME, BotKey, SigningKeyError, signature_agent_origin

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.settings import BaseSettings

__all__ = [
    "DEFAULTS",
    "CacheKind",
    "DeniedItems",
    "GuardSettings",
    "Mode",
    "OnError",
    "PolicyGuardConfigError",
    "SharedCacheSettings",
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
    "POLICYGUARD_CACHE": "memory",
    "POLICYGUARD_REDIS_URL": None,
    "POLICYGUARD_REDIS_KEY": "%(spider)s:policyguard",
    "POLICYGUARD_REDIS_ON_ERROR": "fetch",
    "POLICYGUARD_REDIS_LOCK_TTL": 10,
    "POLICYGUARD_RUN_ID": None,
    "POLICYGUARD_WORKER_ID": None,
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
    "POLICYGUARD_SIGNING_KEY": None,
    "POLICYGUARD_SIGNATURE_AGENT": None,
    "POLICYGUARD_SIGNATURE_TTL": 300,
    "POLICYGUARD_MAX_PRICE": None,
    "POLICYGUARD_BUDGET": None,
    "POLICYGUARD_BUDGET_PER_ORIGIN": {},
    "POLICYGUARD_BLOCKLISTS": [],
    "POLICYGUARD_PAYWALL": "deny",
    "POLICYGUARD_CONTACT": None,
    "POLICYGUARD_MEDIA_READERS": None,
}

_UNKNOWN = ("allow", "deny")
_PAYWALL_MODES = tuple(m.value for m in PaywallMode)


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


def _count(
    settings: BaseSettings, name: str, *, minimum: int = 1, maximum: int | None = None, why: str | None = None
) -> int:
    """A whole number setting (also given as digits, ``-s NAME=500``) from ``minimum`` to ``maximum``."""
    value = settings.get(name, DEFAULTS[name])
    number = (
        value if type(value) is int else int(value) if isinstance(value, str) and value.isdigit() else None
    )
    if number is None or number < minimum or (maximum is not None and number > maximum):
        problem = why if number is not None and why else f"not a whole number >= {minimum}"
        limit = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
        raise _error(name, value, problem, f"use an integer {limit}")
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


def _strings(settings: BaseSettings, name: str, example: str = '["rules/my-packs/"]') -> tuple[str, ...]:
    value = settings.get(name) or []
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _error(name, value, "must be a list of strings", f"e.g. {example}")
    return tuple(v.strip() for v in value)


def _contact(settings: BaseSettings) -> str | None:
    """POLICYGUARD_CONTACT: where site owners reach the crawl's operator (an address or URL)."""
    value = settings.get("POLICYGUARD_CONTACT")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise _error(
            "POLICYGUARD_CONTACT", value, "must be one line of text", "e.g. 'crawler@example.org' or a URL"
        )
    return value.strip()


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


def _without_password(url: str) -> str:
    """A Redis URL for the audit trail: the password replaced, the rest as given."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _money(name: str, value: Any, where: str = "") -> Money:
    try:
        return Money.parse(value) if isinstance(value, str) else Money.parse("")
    except PriceError:
        raise _error(
            name, value, f"{where}not a price", 'write a currency code and an amount, e.g. "USD 0.01"'
        ) from None


def _limits(settings: BaseSettings, signing_key: BotKey | None) -> Limits:
    """POLICYGUARD_MAX_PRICE, _BUDGET and _BUDGET_PER_ORIGIN, all in one currency, and a signing
    key whenever the crawl may pay: Cloudflare's pay-per-crawl takes payment only from a crawler
    that signs with Web Bot Auth and answers an unsigned request ``400 InvalidSignature`` (crawl
    pages and error codes pages), so limits without a key could never pay anything."""
    max_price = settings.get("POLICYGUARD_MAX_PRICE")
    budget = settings.get("POLICYGUARD_BUDGET")
    name = "POLICYGUARD_BUDGET_PER_ORIGIN"
    per_origin = settings.get(name) or {}
    example = '"USD 1.00" (every origin), or {"https://site.example": "USD 5.00", "*": "USD 1.00"}'
    caps: dict[str, Money] = {}
    if isinstance(per_origin, str) and not per_origin.lstrip().startswith("{"):
        caps[ANY_ORIGIN] = _money(name, per_origin)
    else:
        for key, value in _mapping(settings, name, "must be a price or a dict of prices", example).items():
            if not isinstance(key, str) or not (key == ANY_ORIGIN or key.startswith(("https://", "http://"))):
                raise _error(name, per_origin, f"{key!r} is not an origin or '*'", f"use {example}")
            caps[key if key == ANY_ORIGIN else origin_of(key)] = _money(name, value, f"{key!r}: ")
    limits = Limits(
        _money("POLICYGUARD_MAX_PRICE", max_price) if max_price is not None else None,
        _money("POLICYGUARD_BUDGET", budget) if budget is not None else None,
        caps,
    )
    if limits.max_price is None:
        if limits.budget is not None or caps:
            given = "POLICYGUARD_BUDGET" if limits.budget is not None else name
            raise _error(
                given,
                budget if limits.budget is not None else per_origin,
                "a budget without POLICYGUARD_MAX_PRICE pays nothing (the crawl never pays then)",
                'set POLICYGUARD_MAX_PRICE too, e.g. "USD 0.01"',
            )
        return limits
    currency = limits.max_price.currency
    for label, money in (
        ("POLICYGUARD_BUDGET", limits.budget),
        *((f"{name}[{k!r}]", v) for k, v in caps.items()),
    ):
        if money is not None and money.currency != currency:
            raise _error(
                label,
                str(money),
                f"in {money.currency}, but POLICYGUARD_MAX_PRICE is in {currency} (never converted)",
                f"give every limit in {currency}",
            )
    if signing_key is None:
        raise _error(
            "POLICYGUARD_MAX_PRICE",
            max_price,
            "paying needs POLICYGUARD_SIGNING_KEY, which is not set: pay-per-crawl refuses unsigned "
            "requests, so the crawl could never pay",
            "set POLICYGUARD_SIGNING_KEY and POLICYGUARD_SIGNATURE_AGENT (policyguard keys new DIR makes "
            "a key), or remove POLICYGUARD_MAX_PRICE and the budgets",
        )
    return limits


def _signing(settings: BaseSettings) -> tuple[BotKey | None, str | None]:
    """POLICYGUARD_SIGNING_KEY (loaded now, so a bad file stops the crawl) and _SIGNATURE_AGENT."""
    path = settings.get("POLICYGUARD_SIGNING_KEY")
    agent = settings.get("POLICYGUARD_SIGNATURE_AGENT")
    if not path and not agent:
        return None, None
    if not path:
        raise _error(
            "POLICYGUARD_SIGNING_KEY",
            path,
            "POLICYGUARD_SIGNATURE_AGENT is set, but there is no key to sign with",
            "set the path of your Ed25519 key (policyguard keys new DIR makes one)",
        )
    if not agent:
        raise _error(
            "POLICYGUARD_SIGNATURE_AGENT",
            agent,
            "a signing key needs the https URL where its key directory is published",
            'set it, e.g. "https://crawler.example" (serving /.well-known/http-message-signatures-directory)',
        )
    try:
        origin = signature_agent_origin(str(agent))
    except ValueError as exc:
        raise _error(
            "POLICYGUARD_SIGNATURE_AGENT", agent, str(exc), 'use e.g. "https://crawler.example"'
        ) from None
    try:
        key = BotKey.load(str(path))
    except SigningKeyError as exc:
        raise _error(
            "POLICYGUARD_SIGNING_KEY", path, str(exc), "give an Ed25519 key file (policyguard keys new DIR)"
        ) from None
    return key, origin


def _media_readers(settings: BaseSettings) -> frozenset[MediaReader]:
    """Which embedded carriers downloaded media are read for: by default XMP, and C2PA when
    c2pa-python is installed (the runtime says at start when it is not)."""
    name = "POLICYGUARD_MEDIA_READERS"
    value = settings.get(name)
    if value is None:
        return ALL_READERS if c2pa.available() else frozenset({MediaReader.XMP})
    names = [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value
    choices = ", ".join(repr(m.value) for m in MediaReader)
    if not isinstance(names, (list, tuple, set, frozenset)) or not all(
        isinstance(n, str) and n.strip().lower() in MediaReader.__members__.values() for n in names
    ):
        raise _error(
            name, value, "must be a list of media readers", f"use a list of {choices}, or [] for none"
        )
    readers = frozenset(MediaReader(n.strip().lower()) for n in names)
    if MediaReader.C2PA in readers and not c2pa.available():
        raise _error(
            name, value, "reading C2PA manifests needs c2pa-python, which is not installed", c2pa.INSTALL_HINT
        )
    return readers


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


def _purpose(settings: BaseSettings, spider: Spider | type[Spider] | None) -> tuple[Purpose, str]:
    name = "POLICYGUARD_PURPOSE"
    attribute = getattr(spider, "policyguard_purpose", None) if spider is not None else None
    priority = settings.getpriority(name) or 0
    # Command line (-s) beats the spider attribute, which beats project settings.
    if attribute is not None and priority < 40:
        owner = spider if isinstance(spider, type) else type(spider)
        source, value = f"{owner.__name__}.policyguard_purpose", attribute
    else:
        source, value = name, settings.get(name, DEFAULTS[name])
    try:
        return parse_purpose(value), source
    except UnknownPurposeError as exc:
        raise PolicyGuardConfigError(f"{source}={value!r}: {exc}") from None


class OnError(TextEnum):
    """POLICYGUARD_REDIS_ON_ERROR: what a worker does while Redis cannot be reached."""

    FETCH = "fetch"  # fetch for itself, as in memory mode
    DENY = "deny"  # refuse what it has no copy of


class CacheKind(TextEnum):
    """POLICYGUARD_CACHE: where site documents are kept between requests."""

    MEMORY = "memory"  # in this process
    REDIS = "redis"  # in Redis too, shared by every worker of the crawl


@dataclass(frozen=True)
class SharedCacheSettings:
    """POLICYGUARD_CACHE = "redis" and its settings (see adapters/shared_documents.py)."""

    url: str
    url_source: str
    key: str
    on_error: OnError
    lock_ttl: float


def _redis_url(settings: BaseSettings) -> tuple[str, str]:
    """POLICYGUARD_REDIS_URL, else scrapy-redis's own REDIS_URL or REDIS_HOST/REDIS_PORT."""
    for name in ("POLICYGUARD_REDIS_URL", "REDIS_URL"):
        if settings.get(name):
            return str(settings.get(name)), name
    if settings.get("REDIS_HOST"):
        return f"redis://{settings.get('REDIS_HOST')}:{settings.getint('REDIS_PORT', 6379)}", "REDIS_HOST"
    return "redis://localhost:6379", "default"


def _shared_cache(settings: BaseSettings, spider: Spider | type[Spider] | None) -> SharedCacheSettings | None:
    kind = CacheKind(_choice(settings, "POLICYGUARD_CACHE", tuple(k.value for k in CacheKind)))
    if kind is CacheKind.MEMORY:
        return None
    try:
        from redis.connection import parse_url
    except ImportError:
        raise _error(
            "POLICYGUARD_CACHE",
            "redis",
            "the redis client is not installed",
            "pip install 'scrapy-policyguard[redis]'",
        ) from None
    url, source = _redis_url(settings)
    try:
        parse_url(url)
    except ValueError as exc:
        raise _error(source, url, f"not a Redis URL ({exc})", "use redis://host:port/db") from None
    template = str(settings.get("POLICYGUARD_REDIS_KEY", DEFAULTS["POLICYGUARD_REDIS_KEY"]))
    try:
        key = template % {"spider": spider.name if spider is not None else "spider"}
    except (KeyError, ValueError, TypeError):
        raise _error(
            "POLICYGUARD_REDIS_KEY", template, "not a key template", 'use e.g. "%(spider)s:policyguard"'
        ) from None
    on_error = OnError(_choice(settings, "POLICYGUARD_REDIS_ON_ERROR", tuple(o.value for o in OnError)))
    lock_ttl = _seconds(settings, "POLICYGUARD_REDIS_LOCK_TTL", minimum=1)
    return SharedCacheSettings(url, source, key, on_error, lock_ttl)


def _optional_text(settings: BaseSettings, name: str) -> str | None:
    value = settings.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise _error(name, value, "must be a short name without '/'", "e.g. 'run-2026-12-06'")
    return value.strip()


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
    shared_cache: SharedCacheSettings | None
    run_id: str | None
    worker_id: str | None
    signing_key: BotKey | None
    signing_key_path: str | None
    signature_agent: str | None
    signature_ttl: int
    limits: Limits
    blocklists: tuple[str, ...]
    paywall: PaywallMode
    contact: str | None
    media_readers: frozenset[MediaReader]

    @property
    def enforce(self) -> bool:
        return self.mode is Mode.ENFORCE

    @classmethod
    def from_settings(
        cls, settings: BaseSettings, spider: Spider | type[Spider] | None = None
    ) -> GuardSettings:
        """The configuration ``settings`` give, with ``spider``'s own purpose (an instance, or the
        class when no crawl runs, as ``policyguard disclose`` reads it)."""
        purpose, purpose_source = _purpose(settings, spider)
        audit_log = settings.get("POLICYGUARD_AUDIT_LOG")
        signing_key, signature_agent = _signing(settings)
        key_path = settings.get("POLICYGUARD_SIGNING_KEY")
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
            shared_cache=_shared_cache(settings, spider),
            run_id=_optional_text(settings, "POLICYGUARD_RUN_ID"),
            worker_id=_optional_text(settings, "POLICYGUARD_WORKER_ID"),
            signing_key=signing_key,
            signing_key_path=str(key_path) if key_path else None,
            signature_agent=signature_agent,
            signature_ttl=_count(
                settings,
                "POLICYGUARD_SIGNATURE_TTL",
                maximum=MAX_LIFETIME,
                why=f"at most {MAX_LIFETIME} (the Web Bot Auth draft recommends 24 hours or less)",
            ),
            limits=_limits(settings, signing_key),
            blocklists=_strings(settings, "POLICYGUARD_BLOCKLISTS", '["blocklists/infringing-sites.txt"]'),
            paywall=PaywallMode(_choice(settings, "POLICYGUARD_PAYWALL", _PAYWALL_MODES)),
            contact=_contact(settings),
            media_readers=_media_readers(settings),
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
            "POLICYGUARD_CACHE": str(CacheKind.REDIS if self.shared_cache else CacheKind.MEMORY),
            **(
                {
                    "POLICYGUARD_REDIS_URL": _without_password(self.shared_cache.url),
                    "redis_url_source": self.shared_cache.url_source,
                    "POLICYGUARD_REDIS_KEY": self.shared_cache.key,
                    "POLICYGUARD_REDIS_ON_ERROR": str(self.shared_cache.on_error),
                    "POLICYGUARD_REDIS_LOCK_TTL": self.shared_cache.lock_ttl,
                }
                if self.shared_cache
                else {}
            ),
            "POLICYGUARD_SIGNING_KEY": self.signing_key_path,
            "signing_keyid": self.signing_key.thumbprint if self.signing_key else None,
            "POLICYGUARD_SIGNATURE_AGENT": self.signature_agent,
            "POLICYGUARD_SIGNATURE_TTL": self.signature_ttl,
            **self.limits.describe(),
            "POLICYGUARD_BLOCKLISTS": list(self.blocklists),
            "POLICYGUARD_PAYWALL": str(self.paywall),
            "POLICYGUARD_CONTACT": self.contact,
            "POLICYGUARD_MEDIA_READERS": sorted(map(str, self.media_readers)),
        }
