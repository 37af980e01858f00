"""A small local web of virtual hosts on 127.0.0.1: ``policyguard demo`` serves the demo web with it.

Policies key on real host names (robots.txt is per origin, terms and AI signals per domain), yet the
demo and the tests must never touch the network. ``LocalWeb`` runs one threaded HTTP/1.1 server that
is both an HTTP proxy and an origin server: it routes on the host of the absolute URI in the request
line (proxy mode) or on the ``Host`` header (direct mode). Point Scrapy at it with
``request.meta["proxy"] = web.proxy_url`` (or the ``http_proxy`` environment variable) and
``http://x.com/home`` is answered locally. Replies can be slow, stalled, reset or gzipped so that
failure handling is testable too.

The installed demo needs it, so it ships in the package; the integration tests and benchmarks reuse
it. Only the standard library and PyYAML are used. Plain ``http`` only: ``CONNECT`` (HTTPS through
the proxy) is not supported.
"""

from __future__ import annotations

import contextlib
import gzip as gziplib
import html
import mimetypes
import os
import socket
import struct
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from types import TracebackType
from typing import Any, TypeAlias
from urllib.parse import quote

import yaml

__all__ = ["LocalWeb", "Reply", "Seen"]

SITE_CONFIG = "_site.yaml"
#: Served in place of an empty body when ``stall`` is set, so there is something left to withhold.
STALL_PLACEHOLDER = b"." * 1024
#: Seconds ``stop()`` waits for handler threads and the serving thread to finish.
_STOP_WAIT = 1.0
_PATH_SAFE = "/!$&'()*+,;=:@~"
_NO_BODY_STATUSES = frozenset({204, 304})
_REPLY_KEYS = frozenset(
    {"status", "headers", "body", "delay", "stall", "reset_after", "gzip", "content_type"}
)
_TEXT = "; charset=utf-8"
_CONTENT_TYPES = {
    ".html": "text/html" + _TEXT,
    ".htm": "text/html" + _TEXT,
    ".txt": "text/plain" + _TEXT,
    ".css": "text/css" + _TEXT,
    ".js": "text/javascript" + _TEXT,
    ".csv": "text/csv" + _TEXT,
    ".md": "text/markdown" + _TEXT,
    ".json": "application/json",
    ".xml": "application/xml",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}


@dataclass
class Reply:
    """A canned response; each field after ``body`` is a way a real server misbehaves.

    ``headers`` keeps order and repeated names (several ``X-Robots-Tag`` lines must reach the
    crawler as sent). ``delay`` waits before anything is sent; ``stall`` sends the status, headers
    (with the full ``Content-Length``) and half the body, then hangs until the server stops;
    ``reset_after`` sends that many body bytes and then resets the connection (RST). ``gzip``
    compresses the body and sets ``Content-Encoding``. ``content_type`` defaults to a guess from the
    request path (``text/html`` for directories and extensionless paths).
    """

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | str = b""
    delay: float = 0.0
    stall: bool = False
    reset_after: int | None = None
    gzip: bool = False
    content_type: str | None = None


@dataclass(frozen=True)
class Seen:
    """A request as the server received it, so tests can check what the crawler really sent.

    ``host`` is the routing key (lower case, no ``:80``), ``path`` includes the query string,
    ``headers`` has Title-Case names (``User-Agent``) with repeated values joined by ``", "``, and
    ``time`` is wall-clock ``time.time()`` at arrival, comparable with audit timestamps.
    """

    host: str
    path: str
    method: str
    headers: dict[str, str]
    time: float


ReplySource: TypeAlias = "Reply | str | bytes | Callable[[Seen], Reply]"


def _host_key(host: str) -> str:
    """Normalise a host the same way for routes and requests: lower case, default port dropped."""
    key = host.strip().lower()
    if key.endswith(":80"):
        key = key[:-3]
    return key


def _strip_port(host: str) -> str:
    if host.startswith("["):  # IPv6 literal: the port, if any, follows the bracket
        end = host.find("]")
        return host[: end + 1] if end >= 0 else host
    return host.partition(":")[0]


def _check_route(host: str, path: str) -> tuple[str, str]:
    key = _host_key(host)
    if not key or "/" in key:
        raise ValueError(f"host must be a bare host name such as 'x.com', got {host!r}")
    if not path:
        path = "/"
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', got {path!r}")
    return key, path


def _split_target(target: str, host_header: str | None) -> tuple[str, str]:
    """Return (host key, path with query) of a request, preferring the absolute URI of proxy mode."""
    scheme, sep, rest = target.partition("://")
    if sep and scheme.lower() in ("http", "https"):
        cuts = [i for i in (rest.find("/"), rest.find("?")) if i >= 0]
        cut = min(cuts, default=len(rest))
        netloc, path = rest[:cut], rest[cut:]
        host = netloc.rpartition("@")[2]
        if not path.startswith("/"):
            path = "/" + path
        return _host_key(host), path
    return _host_key(host_header or ""), target or "/"


def _title_case(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _request_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in items:
        key = _title_case(name)
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _guess_type(path: str) -> str:
    """Guess a Content-Type from the request path; extensionless paths are pages, like on most sites."""
    segment = path.partition("?")[0].rpartition("/")[2]
    dot = segment.rfind(".")
    if dot <= 0:
        return "text/html" + _TEXT
    ext = segment[dot:].lower()
    if ext in _CONTENT_TYPES:
        return _CONTENT_TYPES[ext]
    guessed, _ = mimetypes.guess_type(segment, strict=False)
    if guessed is None:
        return "application/octet-stream"
    return guessed + _TEXT if guessed.startswith("text/") else guessed


def _as_reply(value: Reply | str | bytes) -> Reply:
    if isinstance(value, Reply):
        return value
    if isinstance(value, (str, bytes)):
        return Reply(body=value)
    raise TypeError(f"a route must give a Reply, str or bytes, got {type(value).__name__}")


def _not_found(host: str, path: str) -> Reply:
    where = html.escape(f"http://{host}{path}")
    body = f"<html><body><h1>404 Not Found</h1><p>No route for {where}</p></body></html>\n"
    return Reply(status=404, body=body, content_type="text/html" + _TEXT)


def _parse_headers(value: Any, where: str) -> list[tuple[str, str]]:
    """Read YAML headers: a list of [name, value] pairs (order and repeats kept) or a mapping."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [(str(name), str(val)) for name, val in value.items()]
    if isinstance(value, list):
        pairs = []
        for item in value:
            if not isinstance(item, (list, tuple)) or len(item) != 2:
                raise ValueError(f"{where}: each header must be a [name, value] pair, got {item!r}")
            pairs.append((str(item[0]), str(item[1])))
        return pairs
    raise ValueError(f"{where}: headers must be a list of [name, value] pairs or a mapping")


def _reply_from_spec(spec: Any, file_body: bytes | None, where: str) -> Reply:
    """Build a route of ``_site.yaml``; without ``body`` it keeps the body of the file at that path."""
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: a route must be a mapping of reply fields, got {spec!r}")
    unknown = set(spec) - _REPLY_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown reply fields {sorted(unknown)}; known: {sorted(_REPLY_KEYS)}")
    body = spec.get("body")
    if body is None:
        body = file_body if file_body is not None else b""
    elif not isinstance(body, (str, bytes)):
        body = str(body)
    reset_after = spec.get("reset_after")
    content_type = spec.get("content_type")
    return Reply(
        status=int(spec.get("status", 200)),
        headers=_parse_headers(spec.get("headers"), where),
        body=body,
        delay=float(spec.get("delay", 0.0)),
        stall=bool(spec.get("stall", False)),
        reset_after=None if reset_after is None else int(reset_after),
        gzip=bool(spec.get("gzip", False)),
        content_type=None if content_type is None else str(content_type),
    )


class _Server(ThreadingHTTPServer):
    """Tracks open connections so ``stop()`` can cut idle keep-alive ones instead of waiting on them."""

    daemon_threads = True
    block_on_close = False  # handler threads are ended by closing their sockets, see close_connections
    request_queue_size = 128  # crawlers open many connections at once; the default 5 drops SYNs

    def __init__(self, web: LocalWeb) -> None:
        self.web = web
        self.stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conns_changed = threading.Condition()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can take seconds.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.socket.getsockname()[:2]

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_changed:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self._conns_changed:
            self._conns.discard(request)
            self._conns_changed.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away or the reply reset the connection on purpose
        super().handle_error(request, client_address)

    def close_connections(self, timeout: float) -> None:
        with self._conns_changed:
            for conn in list(self._conns):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._conns_changed.wait_for(lambda: not self._conns, timeout)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "localweb"
    disable_nagle_algorithm = True  # small keep-alive replies must not wait for delayed ACKs
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: thousands of benchmark requests must not flood the test output."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > 0:
            self.rfile.read(int(length))  # keep the connection in step for the next request
        host, path = _split_target(self.path, self.headers.get("Host"))
        seen = Seen(
            host=host,
            path=path,
            method=self.command,
            headers=_request_headers(self.headers.items()),
            time=time.time(),
        )
        web = self.server.web
        source, site_headers = web._dispatch(seen)
        try:
            if source is None:
                reply = _not_found(host, path)
            elif callable(source):
                reply = _as_reply(source(seen))
            else:
                reply = _as_reply(source)
            head, body = self._render(reply, site_headers, path)
        except Exception:  # a broken route is a test bug: show it, answer 500, keep serving
            text = traceback.format_exc()
            print(text, file=sys.stderr)
            reply = Reply(status=500, body=text, content_type="text/plain" + _TEXT)
            head, body = self._render(reply, site_headers, path)
        self._send(reply, head, body)

    def _render(self, reply: Reply, site_headers: list[tuple[str, str]], path: str) -> tuple[bytes, bytes]:
        body = reply.body.encode("utf-8") if isinstance(reply.body, str) else bytes(reply.body)
        if reply.gzip:
            body = gziplib.compress(body, mtime=0)
        if reply.stall and not body:
            body = STALL_PLACEHOLDER
        own = [(str(name), str(value)) for name, value in reply.headers]
        if reply.content_type is not None:
            own = [(name, value) for name, value in own if name.lower() != "content-type"]
        names = {name.lower() for name, _ in own}
        headers: list[tuple[str, str]] = []
        if "server" not in names and not any(n.lower() == "server" for n, _ in site_headers):
            headers.append(("Server", self.server_version))
        if "date" not in names:
            headers.append(("Date", self.date_time_string()))
        headers.extend((name, value) for name, value in site_headers if name.lower() not in names)
        headers.extend(own)
        if reply.content_type is not None:
            headers.append(("Content-Type", reply.content_type))
        elif "content-type" not in names:
            headers.append(("Content-Type", _guess_type(path)))
        if reply.gzip and "content-encoding" not in names:
            headers.append(("Content-Encoding", "gzip"))
        no_body = reply.status in _NO_BODY_STATUSES or reply.status < 200
        if no_body:
            body = b""
        elif "content-length" not in names:
            headers.append(("Content-Length", str(len(body))))
        if any(n.lower() == "connection" and v.strip().lower() == "close" for n, v in headers):
            self.close_connection = True
        reason = self.responses.get(reply.status, ("",))[0]
        lines = [f"{self.protocol_version} {reply.status} {reason}"]
        lines.extend(f"{name}: {value}" for name, value in headers)
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head, body

    def _send(self, reply: Reply, head: bytes, body: bytes) -> None:
        stopping = self.server.stopping
        if reply.delay > 0 and stopping.wait(reply.delay):
            self.close_connection = True
            return
        if self.command == "HEAD":
            body = b""
        if reply.stall:
            self.wfile.write(head + body[: len(body) // 2])
            stopping.wait()
            self.close_connection = True
        elif reply.reset_after is not None:
            self.wfile.write(head + body[: max(reply.reset_after, 0)])
            self._reset()
        else:
            self.wfile.write(head + body)  # one write: headers and body leave in the same segment

    def _reset(self) -> None:
        """Close with SO_LINGER 0 so the kernel sends RST, not FIN: the client sees a reset."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # rfile holds a reference to the socket; the descriptor closes only when both are closed,
        # and it must close before socketserver's shutdown(SHUT_WR) could send a FIN.
        self.rfile.close()
        self.connection.close()


class LocalWeb:
    """Virtual hosts on one local port, reachable as an HTTP proxy and directly.

    Routes map (host, exact path including query) to a ``Reply``, a ``str``/``bytes`` body (200), or
    a callable taking the ``Seen`` request. A route for ``a.test:8080`` matches requests for that
    port exactly; requests for any port fall back to the routes of ``a.test``. Unknown hosts and
    paths get a small 404 page. Routes may be added while the server runs.
    """

    def __init__(self, *, sites_dir: str | os.PathLike[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], ReplySource] = {}
        self._site_headers: dict[str, list[tuple[str, str]]] = {}
        self._seen: list[Seen] = []
        self._hits: Counter[tuple[str, str]] = Counter()
        self._host_hits: Counter[str] = Counter()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        if sites_dir is not None:
            self.load_sites(sites_dir)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> LocalWeb:
        """Bind a free port on 127.0.0.1 and serve from a daemon thread; returns self for chaining."""
        if self._server is not None:
            raise RuntimeError("LocalWeb is already running")
        server = _Server(self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits at most one poll interval
            name=f"localweb-{server.server_address[1]}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving promptly: wake stalled and delayed replies, cut open connections, free the port.

        Safe to call twice or before ``start()``; ``start()`` may be called again (on a new port).
        """
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections(_STOP_WAIT)
        thread.join(_STOP_WAIT)

    def __enter__(self) -> LocalWeb:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """``"127.0.0.1:PORT"`` of the running server."""
        if self._server is None:
            raise RuntimeError("LocalWeb is not running; call start() first")
        return f"{self._server.server_name}:{self._server.server_port}"

    @property
    def proxy_url(self) -> str:
        """Value for ``request.meta["proxy"]`` or ``http_proxy``."""
        return f"http://{self.address}"

    def url(self, host: str, path: str = "/") -> str:
        """The URL a crawler should request; it reaches this server through ``proxy_url``."""
        return f"http://{host}{path}"

    # -- routes ------------------------------------------------------------------------------------

    def add(self, host: str, path: str, reply: Reply | str | bytes | Callable[[Seen], Reply]) -> None:
        """Serve ``reply`` at exactly ``http://host/path`` (query included), replacing any route there."""
        key = _check_route(host, path)
        source: ReplySource = Reply(body=reply) if isinstance(reply, (str, bytes)) else reply
        with self._lock:
            self._routes[key] = source

    def redirect(self, host: str, path: str, location: str, status: int = 301) -> None:
        """Answer ``host`` + ``path`` with a redirect to ``location``."""
        link = html.escape(location, quote=True)
        body = f'<html><body><a href="{link}">Moved</a></body></html>\n'
        self.add(host, path, Reply(status=status, headers=[("Location", location)], body=body))

    def load_sites(self, root: str | os.PathLike[str]) -> None:
        """Serve fixture folders: ``root/<host>/<file>`` answers at ``http://<host>/<file>``.

        ``index.html`` also answers for its directory (``/dir/``, ``/``). An optional
        ``root/<host>/_site.yaml`` gives ``headers`` added to every reply of the site (a route's own
        header of the same name wins) and ``routes`` mapping paths to ``Reply`` fields; a route without
        ``body`` keeps the body of the file at that path. ``_site.yaml`` is never served. Loading a
        site again replaces its routes path by path.
        """
        root_path = Path(root)
        if not root_path.is_dir():
            raise FileNotFoundError(f"sites folder not found: {root_path}")
        for site_dir in sorted(p for p in root_path.iterdir() if p.is_dir()):
            self._load_site(site_dir)

    def _load_site(self, site_dir: Path) -> None:
        host = _host_key(site_dir.name)
        files: dict[str, bytes] = {}
        for file in sorted(site_dir.rglob("*")):
            if not file.is_file() or file.name == SITE_CONFIG:
                continue
            path = "/" + quote(file.relative_to(site_dir).as_posix(), safe=_PATH_SAFE)
            files[path] = file.read_bytes()
        for path, data in list(files.items()):
            if path.endswith("/index.html"):
                files.setdefault(path[: -len("index.html")], data)
        routes: dict[str, ReplySource] = {path: Reply(body=data) for path, data in files.items()}
        site_headers: list[tuple[str, str]] = []
        config_file = site_dir / SITE_CONFIG
        if config_file.is_file():
            config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
            if not isinstance(config, Mapping):
                raise ValueError(f"{config_file}: expected a mapping with 'headers' and/or 'routes'")
            unknown = set(config) - {"headers", "routes"}
            if unknown:
                raise ValueError(f"{config_file}: unknown keys {sorted(unknown)}; known: headers, routes")
            site_headers = _parse_headers(config.get("headers"), f"{config_file}: headers")
            specs = config.get("routes") or {}
            if not isinstance(specs, Mapping):
                raise ValueError(f"{config_file}: routes must map paths to reply fields")
            for path, spec in specs.items():
                if not isinstance(path, str) or not path.startswith("/"):
                    raise ValueError(f"{config_file}: route keys must be paths starting with '/'")
                routes[path] = _reply_from_spec(spec, files.get(path), f"{config_file}: {path}")
        with self._lock:
            for path, source in routes.items():
                self._routes[(host, path)] = source
            if site_headers:
                self._site_headers[host] = site_headers
            else:
                self._site_headers.pop(host, None)

    def _dispatch(self, seen: Seen) -> tuple[ReplySource | None, list[tuple[str, str]]]:
        """Log a request and find its route and site headers: two dict lookups, whatever the size."""
        host, path = seen.host, seen.path
        bare = _strip_port(host)
        with self._lock:
            self._seen.append(seen)
            self._hits[(host, path)] += 1
            self._host_hits[host] += 1
            source = self._routes.get((host, path))
            if source is None and bare != host:
                source = self._routes.get((bare, path))
            site_headers = self._site_headers.get(host)
            if site_headers is None:
                site_headers = self._site_headers.get(bare, [])
        return source, site_headers

    # -- request log -------------------------------------------------------------------------------

    @property
    def seen(self) -> list[Seen]:
        """A copy of every request received since start or ``clear_log()``, in arrival order."""
        with self._lock:
            return list(self._seen)

    def count(self, host: str, path: str | None = None) -> int:
        """Requests received for ``host`` (normalised like routes), or for one exact path on it."""
        key = _host_key(host)
        with self._lock:
            if path is None:
                return self._host_hits[key]
            return self._hits[(key, path)]

    def clear_log(self) -> None:
        """Forget logged requests and counts (routes stay), e.g. between phases of a test."""
        with self._lock:
            self._seen.clear()
            self._hits.clear()
            self._host_hits.clear()
