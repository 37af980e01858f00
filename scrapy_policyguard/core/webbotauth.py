"""Web Bot Auth: the crawler's Ed25519 key, its key directory, and the signature on every request.

Sources, read 2026-12-02:

- draft-ietf-webbotauth-httpsig-protocol-00 (1 September 2026),
  https://datatracker.ietf.org/doc/draft-ietf-webbotauth-httpsig-protocol/ : a signed request
  carries ``Signature-Agent``, ``Signature-Input`` and ``Signature``; it covers ``@authority`` (or
  ``@target-uri``) and the ``Signature-Agent`` member, SHOULD cover ``@method`` and ``@path`` to
  narrow replay, with ``created``, ``expires`` (RECOMMENDED at most 24 hours), ``keyid`` (the RFC
  7638 / RFC 8037 A.3 JWK thumbprint) and ``tag="web-bot-auth"``. ``Signature-Agent`` is a
  Dictionary whose members are https origins (type ``directory``, the default), and "Signers MUST
  send the dictionary form"; the directory is a JWKS served at
  ``/.well-known/http-message-signatures-directory`` with media type
  ``application/http-message-signatures-directory+json``, where a ``kid`` MUST be the thumbprint.
  Its Appendix E.2.1 test vector is reproduced exactly by :class:`RequestSigner` (tests).
- RFC 9421, HTTP Message Signatures (https://www.rfc-editor.org/rfc/rfc9421): the signature base
  and the ``ed25519`` algorithm (section 3.3.6).
- Cloudflare's Web Bot Auth guide,
  https://developers.cloudflare.com/bots/reference/bot-verification/web-bot-auth/ : Ed25519
  keys, a short ``expires``, a ``nonce`` recommended, only ASCII components. Its examples still
  show the bare-string ``Signature-Agent`` the draft calls legacy; we send what the draft
  requires.

The signature base is built by http-message-signatures (3.x, pyauth): it supports the ``tag``
parameter and ``;key=`` dictionary-member components the draft needs, uses http-sf (already ours
for structured fields) and cryptography, and its output matches the draft's test vector byte for
byte, so there is no reason to write RFC 9421 again here. Keys, thumbprints and the directory are
a few lines of cryptography and JSON; no JOSE library is needed for them.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import http_sf
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from .paths import origin_of

__all__ = [
    "COVERED_COMPONENTS",
    "DIRECTORY_MEDIA_TYPE",
    "DIRECTORY_PATH",
    "LABEL",
    "MAX_LIFETIME",
    "TAG",
    "BotKey",
    "RequestSigner",
    "SigningError",
    "SigningKeyError",
    "signature_agent_origin",
]

DIRECTORY_PATH = "/.well-known/http-message-signatures-directory"
DIRECTORY_MEDIA_TYPE = "application/http-message-signatures-directory+json"
TAG = "web-bot-auth"
#: The signature's label and its ``Signature-Agent`` member key.
LABEL = "sig1"
#: Derived components every signature covers: the draft's minimum (@authority) narrowed to one
#: method and one resource, query included, so a captured signature cannot be replayed against
#: another page (or used to pay for one) before it expires.
COVERED_COMPONENTS = ("@method", "@authority", "@path", "@query")
#: The draft RECOMMENDS signatures expire within 24 hours.
MAX_LIFETIME = 86_400


class SigningKeyError(ValueError):
    """A key file that cannot be used to sign: missing, unreadable, not Ed25519, encrypted."""


class SigningError(ValueError):
    """A request that cannot be signed (a URL the signature base cannot represent)."""


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2), as JWK members and thumbprints are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class BotKey:
    """An Ed25519 signing key with its public JWK member ``x`` and JWK thumbprint (the ``keyid``)."""

    private_key: Ed25519PrivateKey
    x: str
    thumbprint: str

    @classmethod
    def of(cls, private_key: Ed25519PrivateKey) -> BotKey:
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        x = b64url(raw)
        # RFC 7638 section 3.2: the required members (RFC 8037 A.3 for OKP: crv, kty, x) in
        # lexicographic order, no whitespace, SHA-256, base64url.
        canonical = json.dumps(
            {"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True
        )
        return cls(private_key, x, b64url(hashlib.sha256(canonical.encode("ascii")).digest()))

    @classmethod
    def generate(cls) -> BotKey:
        return cls.of(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: str | Path) -> BotKey:
        """A PEM (PKCS#8 ``PRIVATE KEY``) or JWK (``kty`` OKP, ``crv`` Ed25519, ``d``) key file."""
        try:
            data = Path(path).expanduser().read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"cannot read {path}: {exc.strerror or exc}") from None
        return cls.parse(data, str(path))

    @classmethod
    def parse(cls, data: bytes, where: str = "key") -> BotKey:
        text = data.strip()
        if text.startswith(b"{"):
            return cls._from_jwk(text, where)
        try:
            key = serialization.load_pem_private_key(text, password=None)
        except TypeError:
            raise SigningKeyError(f"{where}: the key is encrypted; give an unencrypted PEM or JWK") from None
        except ValueError:
            raise SigningKeyError(f"{where}: neither a PEM private key nor a JWK") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{where}: not an Ed25519 key ({type(key).__name__})")
        return cls.of(key)

    @classmethod
    def _from_jwk(cls, text: bytes, where: str) -> BotKey:
        try:
            jwk = json.loads(text)
        except ValueError as exc:
            raise SigningKeyError(f"{where}: not valid JSON ({exc})") from None
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise SigningKeyError(f'{where}: a JWK with "kty": "OKP" and "crv": "Ed25519" is needed')
        d = jwk.get("d")
        if not isinstance(d, str):
            raise SigningKeyError(f'{where}: the JWK has no private part "d" (a public key cannot sign)')
        try:
            raw = _b64url_decode(d)
            key = cls.of(Ed25519PrivateKey.from_private_bytes(raw))
        except ValueError:
            raise SigningKeyError(f'{where}: "d" is not a base64url Ed25519 private key') from None
        if "x" in jwk and jwk["x"] != key.x:
            raise SigningKeyError(f'{where}: "x" is not the public key of "d"')
        return key

    def public_jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x}

    def pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def directory(self) -> dict[str, Any]:
        """The JWKS to publish at ``DIRECTORY_PATH``: the public key, ``kid`` = the thumbprint."""
        return {"keys": [{**self.public_jwk(), "kid": self.thumbprint}]}


def signature_agent_origin(value: str) -> str:
    """The https origin a ``Signature-Agent`` member names (the draft's ``directory`` type), or
    ValueError saying what is wrong with ``value``."""
    if not value.isascii() or any(c.isspace() or c in '"\\' for c in value):
        raise ValueError("must be an ASCII URL without spaces or quotes")
    parts = urlsplit(value)
    if parts.scheme != "https":
        raise ValueError("must be an https:// URL (Web Bot Auth directories are served over HTTPS)")
    if not parts.hostname or "@" in parts.netloc:
        raise ValueError("must name a host, without user information")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"must be an origin only; the key directory is served at {DIRECTORY_PATH} there")
    try:
        parts.port  # noqa: B018 (urlsplit checks the port when it is read)
    except ValueError:
        raise ValueError("has a bad port") from None
    return origin_of(value)


@dataclass
class _Message:
    """The request as http-message-signatures reads it: method, encoded URL, covered fields."""

    method: str
    url: str
    headers: dict[str, str]


def _nonce() -> str:
    """256 random bits: unique per request (Cloudflare's examples use 512; each byte costs time in
    the structured-field serializer, and 256 bits never repeat)."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class RequestSigner:
    """Signs requests as one agent: ``headers()`` gives the three Web Bot Auth header fields.

    ``label`` names the signature, ``member`` the agent's ``Signature-Agent`` member (both
    :data:`LABEL` in a crawl; the draft's test vectors use other names).
    """

    def __init__(
        self,
        key: BotKey,
        agent: str,
        *,
        lifetime: int,
        label: str = LABEL,
        member: str = LABEL,
        components: tuple[str, ...] = COVERED_COMPONENTS,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = _nonce,
    ) -> None:
        self.key = key
        self.agent = signature_agent_origin(agent)
        self.agent_header = http_sf.ser({member: self.agent})
        self.lifetime = lifetime
        self.label = label
        self.components = (*components, f'"signature-agent";key="{member}"')
        self.clock = clock
        self.nonce = nonce
        self._signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519,
            # prepare() builds the signature base without resolving a key; the key signs below.
            key_resolver=MappingKeyResolver(public_keys={}, private_keys={}),
        )

    def headers(self, method: str, url: str, fields: Mapping[str, str] | None = None) -> dict[str, str]:
        """``Signature-Agent``, ``Signature-Input`` and ``Signature`` for one request, covering the
        components (:data:`COVERED_COMPONENTS` in a crawl), the agent member and ``fields``
        (lower-case names, e.g. the pay-per-crawl price header: a price is only ever sent under the
        crawler's signature)."""
        message = _Message(method.upper(), url, {"signature-agent": self.agent_header, **(fields or {})})
        created = int(self.clock())
        covered = (*self.components, *(fields or {}))
        try:
            prepared = self._signer.prepare(
                message,
                key_id=self.key.thumbprint,
                created=datetime.datetime.fromtimestamp(created, datetime.timezone.utc),
                expires=datetime.datetime.fromtimestamp(created + self.lifetime, datetime.timezone.utc),
                nonce=self.nonce(),
                label=self.label,
                tag=TAG,
                covered_component_ids=covered,
            )
        except HTTPMessageSignaturesException as exc:
            raise SigningError(f"cannot sign {method} {url}: {exc}") from None
        # prepare() builds the signature base once; sign() would build it a second time to check
        # the message did not change meanwhile, which ours cannot (it is a local copy). Signing and
        # serializing the two one-member dictionaries here halves the cost (benchmarks/signing.py).
        signature = base64.b64encode(self.key.private_key.sign(prepared.signature_base)).decode("ascii")
        return {
            "Signature-Agent": self.agent_header,
            "Signature-Input": f"{prepared.label}={prepared.signature_params}",
            "Signature": f"{prepared.label}=:{signature}:",
        }
