"""LocalWeb, the local web of virtual hosts that the integration tests, demo and benchmarks crawl."""

from __future__ import annotations

import gzip
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scrapy_policyguard.demo.web import LocalWeb, Reply, Seen


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    with LocalWeb() as server:
        yield server


def via_proxy(web: LocalWeb, url: str, *, method: str = "GET", headers: dict[str, str] | None = None):
    """Fetch through the proxy as Scrapy does; HTTP errors come back as responses, not exceptions."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        return opener.open(request, timeout=5)
    except urllib.error.HTTPError as error:
        return error


def connect(web: LocalWeb, timeout: float = 5) -> http.client.HTTPConnection:
    host, port = web.address.split(":")
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def direct(web: LocalWeb, host: str | None, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    """One request straight to the server, routed by the Host header (or the 127.0.0.1:PORT default)."""
    conn = connect(web)
    try:
        headers = {"Host": host} if host is not None else {}
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_address_proxy_url_and_url_formats(web: LocalWeb) -> None:
    host, port = web.address.split(":")
    assert host == "127.0.0.1"
    assert int(port) > 0
    assert web.proxy_url == f"http://{web.address}"
    assert web.url("x.com", "/home?a=1") == "http://x.com/home?a=1"
    assert web.url("x.com") == "http://x.com/"


def test_address_needs_a_running_server() -> None:
    with pytest.raises(RuntimeError):
        _ = LocalWeb().address


def test_virtual_hosts_through_the_proxy(web: LocalWeb) -> None:
    web.add("a.test", "/", "front of a")
    web.add("b.test", "/", b"front of b")
    web.add("a.test", "/page?x=1", "page with query")

    assert via_proxy(web, "http://a.test/").read() == b"front of a"
    assert via_proxy(web, "http://b.test/").read() == b"front of b"
    assert via_proxy(web, "http://A.TEST:80/page?x=1").read() == b"page with query"
    assert via_proxy(web, "http://a.test/page").status == 404  # the query is part of the route
    assert web.count("a.test", "/page?x=1") == 1  # logged under the normalised host


def test_the_request_line_host_wins_over_the_host_header(web: LocalWeb) -> None:
    web.add("a.test", "/", "from the request line")
    web.add("b.test", "/", "from the Host header")
    conn = connect(web)
    conn.putrequest("GET", "http://a.test/", skip_host=True)
    conn.putheader("Host", "b.test")
    conn.endheaders()
    assert conn.getresponse().read() == b"from the request line"
    conn.close()
    assert [(s.host, s.headers["Host"]) for s in web.seen] == [("a.test", "b.test")]


def test_virtual_hosts_through_the_host_header(web: LocalWeb) -> None:
    web.add("a.test", "/home", "a home")
    web.add("b.test", "/home", "b home")

    assert direct(web, "a.test", "/home")[2] == b"a home"
    assert direct(web, "B.Test:80", "/home")[2] == b"b home"


def test_port_specific_routes_fall_back_to_the_bare_host(web: LocalWeb) -> None:
    web.add("a.test", "/", "any port")
    web.add("a.test:8080", "/", "port 8080")

    assert via_proxy(web, "http://a.test:8080/").read() == b"port 8080"
    assert via_proxy(web, "http://a.test:9090/").read() == b"any port"
    assert via_proxy(web, "http://a.test/").read() == b"any port"


def test_direct_requests_to_the_server_address(web: LocalWeb) -> None:
    web.add("127.0.0.1", "/hello", "direct")

    status, _, body = direct(web, None, "/hello")  # http.client sends Host: 127.0.0.1:PORT
    assert (status, body) == (200, b"direct")
    assert web.count(web.address, "/hello") == 1


def test_repeated_response_headers_keep_their_order(web: LocalWeb) -> None:
    tags = [("X-Robots-Tag", "noai"), ("Set-Cookie", "a=1"), ("X-Robots-Tag", "googlebot: noindex")]
    web.add("a.test", "/", Reply(headers=[*tags, ("Set-Cookie", "b=2")], body="ok"))

    response = via_proxy(web, "http://a.test/")
    assert response.headers.get_all("X-Robots-Tag") == ["noai", "googlebot: noindex"]
    assert response.headers.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_default_content_types_follow_the_path(web: LocalWeb) -> None:
    for path in ("/", "/robots.txt", "/data.json", "/logo.png", "/page.html", "/article"):
        web.add("a.test", path, "x")
    web.add("a.test", "/custom.txt", Reply(body="x", content_type="text/x-custom"))

    def content_type(path: str) -> str:
        return via_proxy(web, f"http://a.test{path}").headers["Content-Type"]

    assert content_type("/").startswith("text/html")
    assert content_type("/page.html").startswith("text/html")
    assert content_type("/article").startswith("text/html")
    assert content_type("/robots.txt").startswith("text/plain")
    assert content_type("/data.json") == "application/json"
    assert content_type("/logo.png") == "image/png"
    assert content_type("/custom.txt") == "text/x-custom"


def test_str_bodies_are_utf8_and_content_length_is_exact(web: LocalWeb) -> None:
    web.add("a.test", "/", "café ☕")

    status, headers, body = direct(web, "a.test", "/")
    assert status == 200
    assert body.decode("utf-8") == "café ☕"
    assert int(headers["Content-Length"]) == len("café ☕".encode())


def test_gzip_bodies(web: LocalWeb) -> None:
    text = "compress me " * 200
    web.add("a.test", "/big.txt", Reply(body=text, gzip=True))

    status, headers, raw = direct(web, "a.test", "/big.txt")  # http.client does not decode
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert int(headers["Content-Length"]) == len(raw) < len(text)
    assert gzip.decompress(raw).decode() == text


def test_delay_holds_the_reply_back(web: LocalWeb) -> None:
    web.add("a.test", "/slow", Reply(body="late", delay=0.4))
    web.add("a.test", "/fast", "now")

    started = time.monotonic()
    assert via_proxy(web, "http://a.test/slow").read() == b"late"
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    assert via_proxy(web, "http://a.test/fast").read() == b"now"
    assert time.monotonic() - started < 0.4


def test_redirect_helper(web: LocalWeb) -> None:
    web.redirect("a.test", "/old", "http://b.test/new")
    web.redirect("a.test", "/temp", "/elsewhere", status=302)
    web.add("b.test", "/new", "arrived")

    status, headers, _ = direct(web, "a.test", "/old")
    assert (status, headers["Location"]) == (301, "http://b.test/new")
    status, headers, _ = direct(web, "a.test", "/temp")
    assert (status, headers["Location"]) == (302, "/elsewhere")
    followed = via_proxy(web, "http://a.test/old")
    assert (followed.geturl(), followed.read()) == ("http://b.test/new", b"arrived")


def test_callable_replies_see_the_request(web: LocalWeb) -> None:
    calls: list[Seen] = []

    def echo(seen: Seen) -> Reply:
        calls.append(seen)
        return Reply(status=203, headers=[("X-Echo", seen.headers.get("User-Agent", ""))], body=seen.path)

    web.add("a.test", "/echo?q=1", echo)

    response = via_proxy(web, "http://a.test/echo?q=1", headers={"User-Agent": "PolicyBot/1.0"})
    assert response.status == 203
    assert response.headers["X-Echo"] == "PolicyBot/1.0"
    assert response.read() == b"/echo?q=1"
    direct(web, "a.test", "/echo?q=1")
    assert len(calls) == 2


def test_a_failing_callable_answers_500_and_the_server_keeps_going(
    web: LocalWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(seen: Seen) -> Reply:
        raise ZeroDivisionError("route bug")

    web.add("a.test", "/broken", broken)
    web.add("a.test", "/ok", "fine")

    status, _, body = direct(web, "a.test", "/broken")
    assert status == 500
    assert b"ZeroDivisionError" in body
    assert "route bug" in capsys.readouterr().err  # the traceback is shown, not swallowed
    assert direct(web, "a.test", "/ok")[2] == b"fine"


def test_head_sends_the_length_but_no_body(web: LocalWeb) -> None:
    web.add("a.test", "/page", "twelve bytes")
    host, port = web.address.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"HEAD http://a.test/page HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"\r\nContent-Length: 12" in head
    assert rest == b""
    assert [(s.method, s.path) for s in web.seen] == [("HEAD", "/page")]


def test_counts_and_the_seen_log(web: LocalWeb) -> None:
    web.add("a.test", "/", "a")
    before = time.time()
    via_proxy(web, "http://a.test/", headers={"user-agent": "PolicyBot/1.0", "X-Trace": "1"})
    via_proxy(web, "http://a.test/")
    via_proxy(web, "http://a.test/missing?x=2")
    direct(web, "b.test", "/")
    after = time.time()

    assert web.count("a.test") == 3
    assert web.count("A.TEST", "/") == 2
    assert web.count("a.test", "/missing?x=2") == 1
    assert web.count("b.test") == 1
    assert web.count("c.test") == 0

    seen = web.seen
    assert [(s.host, s.path, s.method) for s in seen] == [
        ("a.test", "/", "GET"),
        ("a.test", "/", "GET"),
        ("a.test", "/missing?x=2", "GET"),
        ("b.test", "/", "GET"),
    ]
    assert seen[0].headers["User-Agent"] == "PolicyBot/1.0"
    assert seen[0].headers["X-Trace"] == "1"
    assert all(before <= s.time <= after for s in seen)
    assert [s.time for s in seen] == sorted(s.time for s in seen)

    seen.clear()  # a copy: the log is untouched
    assert len(web.seen) == 4
    web.clear_log()
    assert web.seen == []
    assert web.count("a.test") == 0
    assert direct(web, "a.test", "/")[2] == b"a"  # routes survive clear_log
    assert web.count("a.test", "/") == 1


def test_unknown_routes_and_hosts_are_404_pages(web: LocalWeb) -> None:
    web.add("a.test", "/", "home")

    for host, path in (("a.test", "/nope"), ("nowhere.test", "/")):
        status, headers, body = direct(web, host, path)
        assert status == 404
        assert headers["Content-Type"].startswith("text/html")
        assert b"404" in body
        assert int(headers["Content-Length"]) == len(body)


def test_routes_can_be_replaced_while_running(web: LocalWeb) -> None:
    web.add("a.test", "/", "first")
    assert direct(web, "a.test", "/")[2] == b"first"
    web.add("a.test", "/", Reply(status=503, body="second"))
    assert direct(web, "a.test", "/")[:3:2] == (503, b"second")


def test_invalid_routes_are_rejected(web: LocalWeb) -> None:
    with pytest.raises(ValueError):
        web.add("a.test", "no-slash", "x")
    with pytest.raises(ValueError):
        web.add("http://a.test", "/", "x")


def new_threads(before: set[threading.Thread]) -> set[threading.Thread]:
    """Threads started since ``before`` that are still alive shortly after."""
    deadline = time.monotonic() + 1
    while (alive := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        time.sleep(0.01)
    return alive


def test_stall_sends_headers_then_hangs_and_stop_is_prompt() -> None:
    before = set(threading.enumerate())
    web = LocalWeb().start()
    try:
        web.add("a.test", "/stuck", Reply(body=b"z" * 1000, stall=True))
        conn = connect(web, timeout=0.5)
        conn.request("GET", "/stuck", headers={"Host": "a.test"})
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Length") == "1000"
        with pytest.raises(TimeoutError):
            response.read()
    finally:
        started = time.monotonic()
        web.stop()
        assert time.monotonic() - started < 2
    assert new_threads(before) == set()  # the stalled handler thread ended too


def test_stop_is_prompt_during_a_delay() -> None:
    before = set(threading.enumerate())
    web = LocalWeb().start()
    web.add("a.test", "/slow", Reply(body="late", delay=30))
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            direct(web, "a.test", "/slow")
        except (OSError, http.client.HTTPException) as error:
            errors.append(error)

    client = threading.Thread(target=fetch)
    client.start()
    deadline = time.monotonic() + 5
    while web.count("a.test") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert web.count("a.test") == 1
    started = time.monotonic()
    web.stop()
    assert time.monotonic() - started < 2
    client.join(5)
    assert not client.is_alive()
    assert len(errors) == 1  # the client saw the connection close without a reply
    assert new_threads(before) == set()  # the delayed handler woke up and ended


def test_reset_after_cuts_the_body_with_a_reset(web: LocalWeb) -> None:
    web.add("a.test", "/cut", Reply(body=b"x" * 50_000, reset_after=100))

    conn = connect(web)
    conn.request("GET", "/cut", headers={"Host": "a.test"})
    response = conn.getresponse()
    assert response.getheader("Content-Length") == "50000"
    with pytest.raises((http.client.IncompleteRead, ConnectionResetError)):
        response.read()
    conn.close()

    # On a raw socket the abrupt close shows as a reset (RST), or at least a short body.
    host, port = web.address.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET http://a.test/cut HTTP/1.1\r\nHost: a.test\r\n\r\n")
        data, reset = b"", False
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            reset = True
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert len(body) <= 100
    assert reset


def test_keep_alive_serves_two_requests_on_one_connection(web: LocalWeb) -> None:
    web.add("a.test", "/one", "1")
    web.add("b.test", "/two", "2")
    conn = connect(web)
    conn.request("GET", "http://a.test/one")
    first = conn.getresponse()
    assert first.read() == b"1"
    assert not first.will_close
    sock = conn.sock
    assert sock is not None
    conn.request("GET", "http://b.test/two")
    assert conn.getresponse().read() == b"2"
    assert conn.sock is sock  # http.client would have reconnected had the server closed
    conn.close()


def test_stop_cuts_idle_keep_alive_connections() -> None:
    before = set(threading.enumerate())
    web = LocalWeb().start()
    web.add("a.test", "/", "hi")
    conn = connect(web)
    conn.request("GET", "http://a.test/")
    assert conn.getresponse().read() == b"hi"
    assert conn.sock is not None  # idle, kept alive, its handler thread waiting for a next request
    started = time.monotonic()
    web.stop()
    assert time.monotonic() - started < 2
    assert conn.sock.recv(1) == b""  # the server closed its end
    conn.close()
    assert new_threads(before) == set()


def test_many_requests_on_one_connection_stay_fast(web: LocalWeb) -> None:
    for i in range(2000):
        web.add("bulk.test", f"/p/{i}", f"page {i}")
    conn = connect(web)
    started = time.monotonic()
    for i in range(0, 2000, 5):
        conn.request("GET", f"http://bulk.test/p/{i}")
        assert conn.getresponse().read() == f"page {i}".encode()
    elapsed = time.monotonic() - started
    conn.close()
    assert web.count("bulk.test") == 400
    assert elapsed < 8  # a delayed-ACK stall per reply (~40 ms each) would take 16 s


def test_stop_closes_the_listening_socket_and_can_be_repeated() -> None:
    web = LocalWeb()
    web.stop()  # before start: nothing to do
    web.start()
    host, port = web.address.split(":")
    with pytest.raises(RuntimeError):
        web.start()
    web.stop()
    web.stop()
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), timeout=2):
        pass
    with pytest.raises(RuntimeError):
        _ = web.address


def write_site(root: Path) -> None:
    site = root / "art.example"
    (site / "gallery").mkdir(parents=True)
    (site / ".well-known").mkdir()
    (site / "index.html").write_text("<h1>home</h1>")
    (site / "gallery" / "index.html").write_text("<h1>gallery</h1>")
    (site / "gallery" / "noai.html").write_text("<p>no ai</p>")
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / ".well-known" / "tdmrep.json").write_text("[]")
    (site / "_site.yaml").write_text(
        """
headers: [[Server, demo]]
routes:
  /robots.txt: {status: 503, body: "down"}
  /gallery/noai.html: {headers: [[X-Robots-Tag, noai], [X-Robots-Tag, noimageai]]}
  /old: {status: 301, headers: [[Location, "http://art.example/new"]]}
  /slow: {delay: 0.3, body: "late"}
  /own-server: {headers: [[Server, special]], body: "mine"}
""",
        encoding="utf-8",
    )
    (root / "plain.test").mkdir()
    (root / "plain.test" / "page.txt").write_text("plain")


def test_fixture_folders_with_site_yaml(tmp_path: Path) -> None:
    write_site(tmp_path)
    with LocalWeb(sites_dir=tmp_path) as web:

        def get(url: str):
            return via_proxy(web, url)

        home = get("http://art.example/")
        assert (home.status, home.read(), home.headers["Server"]) == (200, b"<h1>home</h1>", "demo")
        assert home.headers["Content-Type"].startswith("text/html")
        assert get("http://art.example/index.html").read() == b"<h1>home</h1>"
        assert get("http://art.example/gallery/").read() == b"<h1>gallery</h1>"

        noai = get("http://art.example/gallery/noai.html")
        assert noai.read() == b"<p>no ai</p>"  # the route keeps the file's body
        assert noai.headers.get_all("X-Robots-Tag") == ["noai", "noimageai"]
        assert noai.headers.get_all("Server") == ["demo"]

        robots = get("http://art.example/robots.txt")
        assert (robots.status, robots.read()) == (503, b"down")

        status, headers, _ = direct(web, "art.example", "/old")
        assert (status, headers["Location"], headers["Server"]) == (301, "http://art.example/new", "demo")

        started = time.monotonic()
        assert get("http://art.example/slow").read() == b"late"
        assert time.monotonic() - started >= 0.3

        own = get("http://art.example/own-server")
        assert own.headers.get_all("Server") == ["special"]

        tdm = get("http://art.example/.well-known/tdmrep.json")
        assert (tdm.read(), tdm.headers["Content-Type"]) == (b"[]", "application/json")

        missing = get("http://art.example/_site.yaml")
        assert (missing.status, missing.headers["Server"]) == (404, "demo")

        plain = get("http://plain.test/page.txt")
        assert (plain.read(), plain.headers["Content-Type"].split(";")[0]) == (b"plain", "text/plain")
        assert plain.headers["Server"] != "demo"
        assert get("http://plain.test/").status == 404  # no index.html there


def test_load_sites_on_a_running_server(web: LocalWeb, tmp_path: Path) -> None:
    write_site(tmp_path)
    assert direct(web, "plain.test", "/page.txt")[0] == 404
    web.load_sites(tmp_path)
    assert direct(web, "plain.test", "/page.txt")[2] == b"plain"


@pytest.mark.parametrize(
    "config",
    [
        "routes:\n  /x: {statos: 200}\n",
        "route:\n  /x: {}\n",
        "routes:\n  x: {}\n",
        "headers: [[OnlyName]]\n",
        "- just a list\n",
    ],
)
def test_bad_site_yaml_is_reported(tmp_path: Path, config: str) -> None:
    (tmp_path / "a.test").mkdir()
    (tmp_path / "a.test" / "_site.yaml").write_text(config, encoding="utf-8")
    with pytest.raises(ValueError, match=r"_site\.yaml"):
        LocalWeb(sites_dir=tmp_path)


def test_missing_sites_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        LocalWeb(sites_dir=tmp_path / "absent")
