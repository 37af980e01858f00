"""Web Bot Auth keys and signatures, checked against the drafts' and RFCs' own test vectors and the
independent verifier in tests/paywall.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from paywall import WebBotAuthVerifier

from scrapy_policyguard.core.webbotauth import (
    BotKey,
    RequestSigner,
    SigningError,
    SigningKeyError,
    signature_agent_origin,
)
from scrapy_policyguard.demo.web import Seen

# RFC 9421 Appendix B.1.4, "Example Ed25519 Test Key" (a published test key: never for production).
RFC9421_ED25519 = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""


def test_the_draft_test_vector_is_reproduced_byte_for_byte() -> None:
    # draft-ietf-webbotauth-httpsig-protocol-00 Appendix E.2.1 (Ed25519, Signature-Agent member
    # "agent2", label "sig2"): Ed25519 signatures are deterministic, so the whole header must match.
    key = BotKey.parse(RFC9421_ED25519)
    assert key.thumbprint == "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U"
    signer = RequestSigner(
        key,
        "https://signature-agent.test",
        lifetime=4889289600 - 1735689600,
        label="sig2",
        member="agent2",
        components=("@authority",),
        clock=lambda: 1735689600,
        nonce=lambda: (
            "n9p433xm+NJ3ph3upfBIGmsuwHw387YV7Q/F+6BSpGCVjYCqQw6rznNA8PVVLySrAWsv0hQtFioQb6E1YsauiA=="
        ),
    )
    headers = signer.headers("GET", "https://example.com/")
    assert headers == {
        "Signature-Agent": 'agent2="https://signature-agent.test"',
        "Signature-Input": 'sig2=("@authority" "signature-agent";key="agent2");created=1735689600;'
        'keyid="poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";alg="ed25519";expires=4889289600;'
        'nonce="n9p433xm+NJ3ph3upfBIGmsuwHw387YV7Q/F+6BSpGCVjYCqQw6rznNA8PVVLySrAWsv0hQtFioQb6E1YsauiA==";'
        'tag="web-bot-auth"',
        "Signature": "sig2=:RdNFx5Bj6au3YgAMQL/RzmUlZE8QZLIaXGRpw985hWnwPfMxT228NMk6ehRS1PSl4e8PhbNZACSanG"
        "dhEwYCCg==:",
    }


def test_jwk_thumbprint_of_rfc_8037() -> None:
    # RFC 8037 Appendix A.1 key and its A.3 thumbprint.
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    }
    key = BotKey.parse(json.dumps(jwk).encode())
    assert key.thumbprint == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert key.directory() == {
        "keys": [{"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "kid": key.thumbprint}]
    }
    assert BotKey.parse(key.pem()).thumbprint == key.thumbprint


def _seen(path: str, headers: dict[str, str]) -> Seen:
    return Seen("shop.test", path, "GET", {"Host": "shop.test", **headers}, 0.0)


def test_a_crawl_signature_verifies_independently_and_binds_method_path_query_and_price() -> None:
    key = BotKey.generate()
    signer = RequestSigner(key, "https://crawler.example/", lifetime=300, clock=lambda: 1_800_000_000)
    price = {"crawler-exact-price": "USD 0.01"}
    headers = signer.headers("get", "http://shop.test/a%20b?x=1", price)
    assert headers["Signature-Agent"] == 'sig1="https://crawler.example"'
    verifier = WebBotAuthVerifier({"https://crawler.example": key.directory()})
    good = _seen("/a%20b?x=1", {**headers, "Crawler-Exact-Price": "USD 0.01"})
    verdict = verifier.verify(good, now=1_800_000_100)
    assert verdict.ok, verdict.reason
    assert verdict.covered == (
        "@method",
        "@authority",
        "@path",
        "@query",
        "signature-agent",
        "crawler-exact-price",
    )
    # Another page, query, price or time: the same signature no longer holds.
    for seen, now in [
        (_seen("/other?x=1", {**headers, "Crawler-Exact-Price": "USD 0.01"}), 1_800_000_100),
        (_seen("/a%20b?x=2", {**headers, "Crawler-Exact-Price": "USD 0.01"}), 1_800_000_100),
        (_seen("/a%20b?x=1", {**headers, "Crawler-Exact-Price": "USD 0.99"}), 1_800_000_100),
        (good, 1_800_000_301),
    ]:
        assert not verifier.verify(seen, now=now).ok
    # Another key under the same agent name is not the published one.
    other = RequestSigner(
        BotKey.generate(), "https://crawler.example", lifetime=300, clock=lambda: 1_800_000_000
    )
    forged = _seen("/a%20b?x=1", other.headers("GET", "http://shop.test/a%20b?x=1"))
    assert verifier.verify(forged, now=1_800_000_100).reason.startswith("no key")


def test_a_url_the_signature_base_cannot_hold_is_an_error() -> None:
    signer = RequestSigner(BotKey.generate(), "https://crawler.example", lifetime=300)
    with pytest.raises(SigningError, match="cannot sign"):
        signer.headers("GET", "http://shop.test/a%zz")


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://crawler.example", "https://crawler.example"),
        ("https://Crawler.Example/", "https://crawler.example"),
        ("https://crawler.example:443", "https://crawler.example"),
        ("https://crawler.example:8443", "https://crawler.example:8443"),
    ],
)
def test_signature_agent_is_an_https_origin(value: str, origin: str) -> None:
    assert signature_agent_origin(value) == origin


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("http://crawler.example", "https://"),
        ("https://crawler.example/.well-known/http-message-signatures-directory", "origin only"),
        ("https://crawler.example/?x", "origin only"),
        ("https://user@crawler.example", "user information"),
        ('https://crawler.example"', "quotes"),
        ("https://crawler.example:99999", "port"),
        ("crawler.example", "https://"),
    ],
)
def test_signature_agent_errors_say_what_is_wrong(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        signature_agent_origin(value)


def test_key_files_that_cannot_sign_are_explained(tmp_path: Path) -> None:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    encrypted = BotKey.generate().private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    public_only = json.dumps(BotKey.generate().public_jwk()).encode()
    cases = {
        tmp_path / "missing.pem": "cannot read",
        write("ec.pem", ec_key): "not an Ed25519 key",
        write("enc.pem", encrypted): "encrypted",
        write("junk.pem", b"hello"): "neither a PEM private key nor a JWK",
        write("public.jwk", public_only): 'no private part "d"',
        write("rsa.jwk", b'{"kty": "RSA"}'): '"kty": "OKP"',
        write("bad.json", b"{nope"): "not valid JSON",
        write(
            "mismatch.jwk",
            json.dumps(
                {**json.loads(public_only), "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}
            ).encode(),
        ): '"x" is not the public key',
    }
    for path, problem in cases.items():
        with pytest.raises(SigningKeyError, match=problem):
            BotKey.load(path)


def test_keys_written_as_pem_load_back(tmp_path: Path) -> None:
    key = BotKey.generate()
    path = tmp_path / "k.pem"
    path.write_bytes(key.pem())
    assert BotKey.load(path).thumbprint == key.thumbprint
