"""``policyguard keys new DIR`` / ``keys show KEY``: the crawler's Web Bot Auth key and its directory.

``new`` writes an Ed25519 private key (PEM, readable by its owner only) for POLICYGUARD_SIGNING_KEY
and the key directory to publish at ``https://<your host>/.well-known/http-message-signatures-directory``
(core/webbotauth.py cites the drafts). ``show`` prints a key's thumbprint (the ``keyid`` of every
signature) and the directory that publishes it, so a key made elsewhere (``openssl genpkey
-algorithm ed25519``) can be published the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..core.webbotauth import DIRECTORY_MEDIA_TYPE, DIRECTORY_PATH, BotKey, SigningKeyError

__all__ = ["DIRECTORY_FILE", "KEY_FILE", "register"]

KEY_FILE = "private-key.pem"
DIRECTORY_FILE = "http-message-signatures-directory.json"


def register(commands: Any) -> None:
    p = commands.add_parser("keys", help="make or show the Web Bot Auth signing key and its directory")
    sub = p.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    new = sub.add_parser("new", help="write a new Ed25519 key and the directory JSON to publish")
    new.add_argument("dir", type=Path, help="folder for private-key.pem and the directory JSON")
    new.add_argument("--force", action="store_true", help="replace a key already in DIR")
    new.set_defaults(run=run_new)
    show = sub.add_parser("show", help="print a key's thumbprint and its directory JSON")
    show.add_argument(
        "key",
        type=Path,
        nargs="?",
        help="the private key file, PEM or JWK (default: $POLICYGUARD_SIGNING_KEY)",
    )
    show.add_argument("--json", action="store_true", help="print only the directory JSON")
    show.set_defaults(run=run_show)


def _directory_json(key: BotKey) -> str:
    return json.dumps(key.directory(), indent=2) + "\n"


def _publish_hint(key: BotKey) -> str:
    return (
        f"keyid (JWK thumbprint): {key.thumbprint}\n"
        f"Publish the directory at https://<your host>{DIRECTORY_PATH}\n"
        f"with Content-Type: {DIRECTORY_MEDIA_TYPE}, then set\n"
        f"  POLICYGUARD_SIGNATURE_AGENT = 'https://<your host>'"
    )


def run_new(args: argparse.Namespace) -> int:
    folder: Path = args.dir
    key_path = folder / KEY_FILE
    if key_path.exists() and not args.force:
        print(f"policyguard keys: {key_path} exists; use --force to replace it", file=sys.stderr)
        return 2
    key = BotKey.generate()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        key_path.unlink(missing_ok=True)
        # Created readable by its owner only: the private key never passes through a looser mode.
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.pem())
        (folder / DIRECTORY_FILE).write_text(_directory_json(key), encoding="utf-8")
    except OSError as exc:
        print(f"policyguard keys: cannot write to {folder}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"private key: {key_path} (keep it secret; POLICYGUARD_SIGNING_KEY = {str(key_path)!r})")
    print(f"directory:   {folder / DIRECTORY_FILE}")
    print(_publish_hint(key))
    return 0


def run_show(args: argparse.Namespace) -> int:
    path = args.key or os.environ.get("POLICYGUARD_SIGNING_KEY")
    if not path:
        print("policyguard keys show: give a key file (or set POLICYGUARD_SIGNING_KEY)", file=sys.stderr)
        return 2
    try:
        key = BotKey.load(path)
    except SigningKeyError as exc:
        print(f"policyguard keys: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(_directory_json(key), end="")
        return 0
    print(_publish_hint(key))
    print()
    print(_directory_json(key), end="")
    return 0
