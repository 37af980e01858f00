"""The site documents every worker of a crawl shares, in Redis (POLICYGUARD_CACHE = "redis").

A scrapy-redis crawl runs on many worker processes. Without this, each of them fetches every
origin's robots.txt, tdmrep.json and RSL licences, and their copies can disagree while a site
changes its files. Here one worker fetches a document, under a lock, and stores what it learned:
the bytes, status, redirects, fetch time, expiry, unreachable back-off and last good copy, as JSON
and raw bytes (never pickled objects: whoever can write to Redis must not gain code execution).
The other workers read it and parse it themselves; every worker keeps its own parsed copy
(adapters/documents.py), so a warm decision asks nothing of Redis.

Client: redis-py's asyncio client (``redis.asyncio``, maintained by Redis with the library since
4.2), because Scrapy 2.13+ runs on the asyncio reactor, so a decision can await Redis without a
thread; its ``Lock`` is ``SET key token NX PX`` with a Lua compare-and-delete release
(https://redis.readthedocs.io/en/stable/lock.html, read 2026-12-06).

Keys, under POLICYGUARD_REDIS_KEY (default ``%(spider)s:policyguard``):

``{prefix}:doc:{kind}:{subject}``   a hash: ``meta`` (JSON), ``body``, ``good`` (last good body);
                                    it expires with the document (robots.txt one TTL later, so the
                                    last good copy outlives a failed refresh, RFC 9309 §2.4)
``{prefix}:lock:{kind}:{subject}``  the fetch lock: POLICYGUARD_REDIS_LOCK_TTL seconds, extended
                                    while the fetch runs, so a worker that dies holding it delays
                                    the others by at most that long
``{prefix}:run``                    the run id the workers share in their audit trails

Redis failing never fails open: the worker fetches for itself as in memory mode, or with
POLICYGUARD_REDIS_ON_ERROR = "deny" keeps what it has, expired or not (each copy recorded as
``kept`` once per outage), and refuses what it has no copy for (:class:`SharedCacheUnavailable`);
it says so once per outage (log, ``cache`` audit record, ``policyguard/cache/errors``) and goes
back to Redis when Redis answers again. A single Redis is
enough for these locks: a lost lock costs a duplicate fetch, never a wrong decision
(https://redis.io/docs/latest/develop/use/patterns/distributed-locks/, read 2026-12-06).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .documents import Copy, StoredDocument
from .fetch import DocumentKind, FetchResult
from .settings import OnError

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["SharedCacheUnavailable", "SharedDocuments", "decode_document", "encode_document"]

#: Seconds before a worker asks Redis again after it failed to answer.
RETRY_AFTER = 5.0
#: Seconds a Redis command may take before the worker counts Redis as down.
COMMAND_TIMEOUT = 5.0
_FIRST_WAIT, _LONGEST_WAIT = 0.02, 0.25
_FORMAT = 1


class SharedCacheUnavailable(Exception):
    """Redis is down, POLICYGUARD_REDIS_ON_ERROR is "deny" and the worker has no copy."""


def _result_meta(result: FetchResult) -> dict[str, Any]:
    return {
        "url": result.url,
        "status": result.status,
        "detail": result.detail,
        "hops": list(result.hops),
        "fetched_at": result.fetched_at,
        "retry_after": result.retry_after,
        "truncated": result.truncated,
        "content_type": result.content_type,
    }


def _result(meta: Any, body: bytes) -> FetchResult:
    if not isinstance(meta, dict):
        raise ValueError("not a fetch result")
    status, retry_after = meta["status"], meta["retry_after"]
    hops = meta["hops"]
    if not (status is None or type(status) is int) or not isinstance(hops, list):
        raise ValueError("bad status or redirects")
    if not (retry_after is None or isinstance(retry_after, (int, float))):
        raise ValueError("bad retry_after")
    return FetchResult(
        str(meta["url"]),
        status,
        body,
        str(meta["detail"]),
        tuple(str(hop) for hop in hops),
        float(meta["fetched_at"]),
        None if retry_after is None else float(retry_after),
        bool(meta["truncated"]),
        str(meta["content_type"]),
    )


def encode_document(document: StoredDocument) -> dict[str, bytes]:
    """A stored document as the fields of its Redis hash: JSON and bytes, nothing executable."""
    good = document.last_good
    meta = {
        "format": _FORMAT,
        "result": _result_meta(document.result),
        "expires_at": document.expires_at,
        "failures": document.failures,
        "last_good": "same" if good is document.result else None if good is None else _result_meta(good),
    }
    fields = {"meta": json.dumps(meta).encode(), "body": document.result.body}
    if good is not None and good is not document.result:
        fields["good"] = good.body
    return fields


def decode_document(fields: dict[bytes, bytes]) -> StoredDocument:
    """The stored document of a Redis hash; ValueError for anything else (then it is fetched anew)."""
    try:
        meta = json.loads(fields[b"meta"])
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ValueError("unknown format")
        result = _result(meta["result"], fields.get(b"body", b""))
        good_meta = meta["last_good"]
        good = (
            result
            if good_meta == "same"
            else None
            if good_meta is None
            else _result(good_meta, fields[b"good"])
        )
        failures = meta["failures"]
        if type(failures) is not int:
            raise ValueError("bad failures")
        return StoredDocument(result, float(meta["expires_at"]), failures, good)
    except (KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"unreadable shared document: {exc!r}") from None


class SharedDocuments:
    """Documents fetched once for all workers, or by each worker while Redis is down."""

    def __init__(
        self,
        url: str,
        prefix: str,
        *,
        ttl: float,
        lock_ttl: float,
        on_error: OnError,
        on_outage: Callable[[bool, str], None],
        on_error_count: Callable[[], None],
        clock: Callable[[], float] = time.time,
        client: Redis | None = None,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.ttl = ttl
        self.lock_ttl = lock_ttl
        self.on_error = on_error
        self._on_outage = on_outage  # (down, detail): once when Redis goes down, once when it is back
        self._on_error_count = on_error_count
        self.clock = clock
        self._client = client
        self._retry_at = 0.0  # while Redis is down: when to try it again
        self._down = False
        #: Outages so far, counted from 1: a copy kept through one is reported once (documents.py).
        self.outages = 0

    @property
    def keeps_copies(self) -> bool:
        """Whether a worker's own expired copies stand in for Redis while it is down (on error:
        deny); otherwise the worker fetches, and holding the raw copies would only cost memory."""
        return self.on_error is OnError.DENY

    def _redis(self) -> Redis:
        if self._client is None:  # created on first use, inside the running event loop
            from redis.asyncio import Redis

            self._client = Redis.from_url(
                self.url, socket_timeout=COMMAND_TIMEOUT, socket_connect_timeout=COMMAND_TIMEOUT
            )
        return self._client

    def _key(self, part: str, kind: DocumentKind, subject: str) -> str:
        return f"{self.prefix}:{part}:{kind.stats_name}:{subject}"

    # -- Redis up and down ---------------------------------------------------------------------

    def _failed(self, exc: BaseException) -> None:
        self._on_error_count()
        self._retry_at = time.monotonic() + RETRY_AFTER
        if not self._down:
            self._down = True
            self.outages += 1
            self._on_outage(True, f"{type(exc).__name__}: {exc}")

    def _answered(self) -> None:
        if self._down:
            self._down = False
            self._on_outage(False, "Redis answers again")

    async def _call(self, command: Awaitable[Any]) -> Any:
        """One Redis command; a failure marks Redis down (raised as ConnectionError)."""
        try:
            result = await asyncio.wait_for(command, COMMAND_TIMEOUT)
        except Exception as exc:  # redis errors, timeouts, refused connections alike
            self._failed(exc)
            raise ConnectionError(str(exc)) from exc
        self._answered()
        return result

    # -- documents -----------------------------------------------------------------------------

    async def obtain(
        self,
        kind: DocumentKind,
        subject: str,
        fetch: Callable[[StoredDocument | None], Awaitable[StoredDocument]],
        previous: StoredDocument | None,
    ) -> tuple[StoredDocument, Copy]:
        """The shared copy while it is fresh; else fetched by this worker (under the lock), stored
        for the others, and returned. ``previous`` is this worker's own last copy, if any."""
        if time.monotonic() >= self._retry_at:
            try:
                return await self._obtain_shared(kind, subject, fetch)
            except ConnectionError:
                pass
        if self.on_error is OnError.FETCH:
            return await fetch(previous), Copy.FETCHED
        if previous is not None:
            return previous, Copy.KEPT
        raise SharedCacheUnavailable(f"the shared policy cache ({self.url}) is unreachable")

    async def _obtain_shared(
        self,
        kind: DocumentKind,
        subject: str,
        fetch: Callable[[StoredDocument | None], Awaitable[StoredDocument]],
    ) -> tuple[StoredDocument, Copy]:
        key = self._key("doc", kind, subject)
        wait = _FIRST_WAIT
        while True:
            shared = await self._load(key)
            if shared is not None and shared.expires_at > self.clock():
                return shared, Copy.SHARED
            lock = self._redis().lock(
                self._key("lock", kind, subject), timeout=self.lock_ttl, thread_local=False
            )
            if await self._call(lock.acquire(blocking=False)):
                return await self._fetch_locked(key, lock, kind, fetch)
            await asyncio.sleep(wait)
            wait = min(wait * 2, _LONGEST_WAIT)

    async def _fetch_locked(
        self,
        key: str,
        lock: Any,
        kind: DocumentKind,
        fetch: Callable[[StoredDocument | None], Awaitable[StoredDocument]],
    ) -> tuple[StoredDocument, Copy]:
        keeper = asyncio.ensure_future(self._keep(lock))
        try:
            shared = await self._load(key)  # another worker may have stored it meanwhile
            if shared is not None and shared.expires_at > self.clock():
                return shared, Copy.SHARED
            document = await fetch(shared)
            with contextlib.suppress(ConnectionError):  # fetched all the same: used here
                await self._store(key, kind, document)
            return document, Copy.FETCHED
        finally:
            keeper.cancel()
            with contextlib.suppress(Exception):  # expired or Redis gone: the lock lapses by itself
                await asyncio.wait_for(lock.release(), COMMAND_TIMEOUT)

    async def _keep(self, lock: Any) -> None:
        """Extend the lock while its fetch runs, so only a dead worker's lock expires."""
        while True:
            await asyncio.sleep(self.lock_ttl / 3)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(lock.reacquire(), COMMAND_TIMEOUT)

    async def _load(self, key: str) -> StoredDocument | None:
        fields = await self._call(self._redis().hgetall(key))
        if not fields:
            return None
        try:
            return decode_document(fields)
        except ValueError:
            return None  # written by something else, or a future format: fetched anew

    async def _store(self, key: str, kind: DocumentKind, document: StoredDocument) -> None:
        keep = self.ttl if kind is DocumentKind.ROBOTS else 0.0  # the last good copy outlives expiry
        expire_ms = int((document.expires_at + keep) * 1000)
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=encode_document(document))  # type: ignore[arg-type]
            pipe.pexpireat(key, expire_ms)
            await self._call(pipe.execute())

    # -- the run -------------------------------------------------------------------------------

    async def run_id(self) -> str | None:
        """The id every worker of this run records: the first worker's, kept a day after the last
        worker started (delete ``{prefix}:run`` or set POLICYGUARD_RUN_ID to start a new run)."""
        key = f"{self.prefix}:run"
        try:
            await self._call(self._redis().set(key, uuid.uuid4().hex[:16], nx=True))
            await self._call(self._redis().expire(key, int(max(self.ttl, 86400))))
            value = await self._call(self._redis().get(key))
        except ConnectionError:
            return None
        return value.decode() if isinstance(value, bytes) else None

    async def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
