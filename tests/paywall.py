"""A pay-per-crawl origin for the tests, and a Web Bot Auth verifier written from RFC 9421.

The verifier shares nothing with the signing code (scrapy_policyguard.core.webbotauth, which uses
http-message-signatures): it parses the fields with http-sf, rebuilds the signature base by hand as
RFC 9421 section 2.5 describes (component identifiers and ``@signature-params`` serialized here per
RFC 8941 section 4.1), derives each component from the request as the server received it, computes
the RFC 7638 thumbprint itself to find the key in the published directory, and checks the Ed25519
signature with cryptography. It applies the rules of draft-ietf-webbotauth-httpsig-protocol-00:
``tag="web-bot-auth"``, ``created``/``expires``/``keyid`` present, ``@authority`` (or
``@target-uri``) covered, the ``Signature-Agent`` member covered and an https origin, the key looked
up by (agent URL, keyid).

:class:`PayWall` answers as Cloudflare's pay-per-crawl documentation says (crawl-pages and
error-codes pages, read 2026-12-02): unsigned requests ``400 InvalidSignature`` (the code that asks
for both signature headers), a signature that does not verify ``400 StrongAuthRequired``, no price
header ``402`` with ``crawler-price``, both price headers ``400 ConflictingPriceHeaders``, a badly
written price ``400 InvalidCrawlerPriceValue``, a wrong exact price ``402 InvalidCrawlerExactPrice``,
a low max price ``402 InvalidCrawlerMaxPrice``, a blocked crawler ``403 CrawlerForbidden``, else
``200`` with ``crawler-charged``. One reading of ours: a price header outside the signature is
refused (StrongAuthRequired), since whoever can replay a signature could otherwise add a price.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import http_sf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from scrapy_policyguard.demo.web import LocalWeb, Reply, Seen

__all__ = ["Bill", "PayWall", "PricedPage", "Verdict", "WebBotAuthVerifier", "directory_of"]


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 section 3 for an OKP key (RFC 8037 appendix A.3): crv, kty, x in that order."""
    canonical = '{"crv":"%s","kty":"%s","x":"%s"}' % (jwk["crv"], jwk["kty"], jwk["x"])  # noqa: UP031
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _bare(value: Any) -> str:
    """RFC 8941 section 4.1.3: a bare item."""
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, http_sf.Token):
        return str(value)
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode() + ":"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"cannot serialize {value!r}")


def _params(params: Mapping[str, Any]) -> str:
    """RFC 8941 section 4.1.1.2: ``;key`` for true, else ``;key=value``."""
    return "".join(f";{k}" if v is True else f";{k}={_bare(v)}" for k, v in params.items())


def _header(seen: Seen, name: str) -> str | None:
    for key, value in seen.headers.items():
        if key.lower() == name:
            return value.strip()
    return None


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    missing: bool = False  # no Signature / Signature-Input at all
    covered: tuple[str, ...] = ()  # the covered component names
    agent: str | None = None
    keyid: str | None = None


class WebBotAuthVerifier:
    """Verifies the Web Bot Auth signature of a request as the server saw it (a LocalWeb ``Seen``)."""

    def __init__(self, directories: Mapping[str, Mapping[str, Any]], *, skew: float = 5.0) -> None:
        #: (agent origin, thumbprint) -> public key, from each agent's published JWKS.
        self.keys: dict[tuple[str, str], Ed25519PublicKey] = {}
        for agent, jwks in directories.items():
            for jwk in jwks["keys"]:
                if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                    thumb = _thumbprint(jwk)
                    assert jwk.get("kid", thumb) == thumb, "a directory kid must be the thumbprint"
                    self.keys[(agent, thumb)] = Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"]))
        self.skew = skew

    def verify(self, seen: Seen, now: float | None = None) -> Verdict:
        now = time.time() if now is None else now
        raw_input, raw_signature = _header(seen, "signature-input"), _header(seen, "signature")
        if raw_input is None or raw_signature is None:
            return Verdict(False, "no Signature-Input or Signature", missing=True)
        try:
            inputs = http_sf.parse(raw_input.encode(), tltype="dictionary")
            signatures = http_sf.parse(raw_signature.encode(), tltype="dictionary")
        except http_sf.StructuredFieldError as exc:
            return Verdict(False, f"unparseable signature fields: {exc}")
        labels = [
            label
            for label, member in inputs.items()
            if isinstance(member[0], list) and member[1].get("tag") == "web-bot-auth"
        ]
        if not labels:
            return Verdict(False, 'no signature with tag="web-bot-auth"')
        verdict = Verdict(False, "no label")
        for label in labels:
            verdict = self._one(seen, label, inputs[label], signatures.get(label), now)
            if verdict.ok:
                return verdict
        return verdict

    def _one(self, seen: Seen, label: str, member: Any, signature: Any, now: float) -> Verdict:
        items, params = member
        names = tuple(name for name, _ in items)
        created, expires, keyid = params.get("created"), params.get("expires"), params.get("keyid")
        if not (isinstance(created, int) and isinstance(expires, int) and isinstance(keyid, str)):
            return Verdict(False, "created, expires and keyid are required", covered=names)
        if params.get("alg", "ed25519") != "ed25519":
            return Verdict(False, f"alg {params['alg']!r} is not ed25519", covered=names)
        if now > expires:
            return Verdict(False, f"expired {now - expires:.0f} s ago", covered=names)
        if created > now + self.skew:
            return Verdict(False, "created in the future", covered=names)
        if "@authority" not in names and "@target-uri" not in names:
            return Verdict(False, "neither @authority nor @target-uri is covered", covered=names)
        identifiers = [f'"{name}"' + _params(p) for name, p in items]
        if len(set(identifiers)) != len(identifiers):
            return Verdict(False, "a component is covered twice", covered=names)
        agent_keys = [p.get("key") for name, p in items if name == "signature-agent"]
        if not agent_keys or not isinstance(agent_keys[0], str):
            return Verdict(False, "the Signature-Agent member is not covered", covered=names)
        try:
            agents = http_sf.parse((_header(seen, "signature-agent") or "").encode(), tltype="dictionary")
        except http_sf.StructuredFieldError:
            return Verdict(False, "Signature-Agent is not a Dictionary", covered=names)
        agent = agents.get(agent_keys[0], (None,))[0]
        if not isinstance(agent, str) or not agent.startswith("https://"):
            problem = f"Signature-Agent member {agent_keys[0]!r} is not an https URL"
            return Verdict(False, problem, covered=names)
        key = self.keys.get((agent, keyid))
        if key is None:
            return Verdict(False, f"no key {keyid} published by {agent}", covered=names, agent=agent)
        lines = []
        for (name, component_params), identifier in zip(items, identifiers, strict=True):
            value = self._component(seen, name, component_params)
            if value is None:
                return Verdict(False, f"{identifier} is not in the request", covered=names)
            lines.append(f"{identifier}: {value}")
        lines.append('"@signature-params": (' + " ".join(identifiers) + ")" + _params(params))
        base = "\n".join(lines)
        if not isinstance(signature, tuple) or not isinstance(signature[0], bytes):
            return Verdict(False, f"no Signature member {label!r}", covered=names)
        try:
            key.verify(signature[0], base.encode("ascii"))
        except (InvalidSignature, UnicodeEncodeError):
            return Verdict(False, "the signature does not verify", covered=names, agent=agent, keyid=keyid)
        return Verdict(True, "verified", covered=names, agent=agent, keyid=keyid)

    @staticmethod
    def _component(seen: Seen, name: str, params: Mapping[str, Any]) -> str | None:
        """RFC 9421 section 2.2 (derived components) and 2.1 (fields, ``key`` member selection)."""
        path, _, query = seen.path.partition("?")
        host = (_header(seen, "host") or seen.host).lower()
        if host.endswith(":80"):
            host = host[:-3]
        derived = {
            "@method": seen.method,
            "@authority": host,
            "@path": path or "/",
            "@query": "?" + query,
            "@target-uri": f"http://{host}{seen.path}",
        }
        if name.startswith("@"):
            return derived.get(name) if not params else None
        value = _header(seen, name)
        if value is None or not params:
            return value
        if set(params) != {"key"}:
            return None
        member = http_sf.parse(value.encode(), tltype="dictionary").get(params["key"])
        return None if member is None else _bare(member[0]) + _params(member[1])


@dataclass(frozen=True)
class Bill:
    url: str
    price: str
    charged: str


@dataclass(frozen=True)
class PricedPage:
    """A page priced ``price``; it bills ``charge`` (default: the price) when paid."""

    price: str
    charge: str | None = None
    forbidden: bool = False  # the site blocks the crawler: 403 CrawlerForbidden
    fail_payment: bool = False  # the paid request fails: 403 PaymentFailed
    delay: float = 0.0  # seconds before a paid page is sent (keeps reservations in flight)
    redirect: str | None = None  # the paid answer is a 302 to this path, not billed
    internal_errors: int = 0  # the first paid requests are answered 500 InternalError, not billed
    body: str = "<html><body><p>paid content</p></body></html>"


class PayWall:
    """Priced pages on a LocalWeb, answering as Cloudflare's pay-per-crawl does; ``billed`` lists
    every page charged, ``answers`` every (path, status, crawler-error) sent."""

    def __init__(self, web: LocalWeb, verifier: WebBotAuthVerifier) -> None:
        self.web = web
        self.verifier = verifier
        self.billed: list[Bill] = []
        self.answers: list[tuple[str, int, str | None]] = []
        self._internal_errors: dict[str, int] = {}  # path -> InternalError answers sent
        self._lock = threading.Lock()

    def total(self) -> Decimal:
        with self._lock:
            return sum((Decimal(b.charged.split()[1]) for b in self.billed), Decimal(0))

    def page(self, host: str, path: str, price: str, **options: Any) -> str:
        """Serve ``http://host/path`` as a :class:`PricedPage`; returns its URL."""
        page = PricedPage(price, **options)

        def answer(seen: Seen) -> Reply:
            reply = self._answer(seen, page)
            reply.delay = page.delay if reply.status == 200 else 0.0
            error = next((v for k, v in reply.headers if k == "crawler-error"), None)
            with self._lock:
                self.answers.append((seen.path, reply.status, error))
            return reply

        self.web.add(host, path, answer)
        return self.web.url(host, path)

    def _answer(self, seen: Seen, page: PricedPage) -> Reply:
        def error(status: int, code: str, *extra: tuple[str, str]) -> Reply:
            return Reply(status=status, headers=[("crawler-error", code), *extra], body=code)

        verdict = self.verifier.verify(seen)
        if verdict.missing:
            return error(400, "InvalidSignature")
        if not verdict.ok:
            return error(400, "StrongAuthRequired")
        if page.forbidden:
            return error(403, "CrawlerForbidden")
        exact, most = _header(seen, "crawler-exact-price"), _header(seen, "crawler-max-price")
        if exact is not None and most is not None:
            return error(400, "ConflictingPriceHeaders")
        offered = exact if exact is not None else most
        if offered is None:
            return Reply(status=402, headers=[("crawler-price", page.price)], body="Payment Required")
        header = "crawler-exact-price" if exact is not None else "crawler-max-price"
        if header not in verdict.covered:
            return error(400, "StrongAuthRequired")
        try:
            currency, amount = offered.split()
            offer = (currency, Decimal(amount))
        except (ValueError, ArithmeticError):
            return error(400, "InvalidCrawlerPriceValue")
        asked_currency, asked_amount = page.price.split()
        asked = (asked_currency, Decimal(asked_amount))
        if exact is not None and offer != asked:
            return error(402, "InvalidCrawlerExactPrice", ("crawler-price", page.price))
        if most is not None and (offer[0] != asked[0] or offer[1] < asked[1]):
            return error(402, "InvalidCrawlerMaxPrice", ("crawler-price", page.price))
        if page.fail_payment:
            return error(403, "PaymentFailed")
        with self._lock:
            failed = self._internal_errors.get(seen.path, 0)
            if failed < page.internal_errors:
                self._internal_errors[seen.path] = failed + 1
                return error(500, "InternalError")
        if page.redirect is not None:
            return Reply(status=302, headers=[("Location", page.redirect)], body="Found")
        charge = page.charge or page.price
        with self._lock:
            self.billed.append(Bill(f"http://{seen.host}{seen.path}", page.price, charge))
        return Reply(status=200, headers=[("crawler-charged", charge)], body=page.body)


def directory_of(path: Path) -> dict[str, Any]:
    """A published key directory (the JSON ``policyguard keys new`` writes)."""
    return dict(json.loads(path.read_text("utf-8")))
