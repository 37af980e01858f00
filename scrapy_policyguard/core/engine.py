"""From what is known about a site to one Decision: the path every URL takes, online or offline.

The downloader middleware compiles a :class:`SitePolicy` once per origin (each time its documents
are fetched or refreshed) and asks it about every request and response; :func:`check` builds the
same SitePolicy from strings and asks the same questions, so the plugin and the offline tools
cannot disagree.

Order of evidence in a Decision: robots.txt for our own token (crawl permission), platform terms,
robots.txt AI-crawler groups, robots.txt extension lines, TDMRep, RSL, then what the response
itself says (headers, HTML, and for a media file what it embeds: XMP and C2PA).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .access import AccessState, RobotsAccess
from .agents import AgentCatalogue
from .blocklist import Blocklist, load_blocklists
from .bundled import bundled_agents, bundled_packs
from .containers import Buffer
from .decision import DENY_ALL, Decision, Evidence, EvidenceKind, Outcome, Source, Stage
from .paths import host_of, origin_of, path_of
from .purposes import Purpose, parse_purpose
from .robots import MergedGroup, Rule, crawler_token, is_product_token
from .signals.embedded import ALL_READERS, MediaReader, MediaStatements, read_media, read_media_file
from .signals.headers import ResponseSignals, read_headers
from .signals.html import read_html
from .signals.robots_extensions import RobotsExtensions, license_urls
from .signals.robots_groups import AiGroups
from .signals.rsl import RslDocument, RslError, content_evidence, rsl_evidence
from .signals.schema_org import PaywallMode
from .signals.tdmrep import TdmRepError, TdmRepFile, TdmValues, tdm_evidence
from .terms import TermsIndex, TermsPack, load_packs

__all__ = [
    "CrawlPermission",
    "Policy",
    "ResponseFacts",
    "SiteDocuments",
    "SitePolicy",
    "check",
    "check_file",
    "robots_licence_urls",
    "robots_url_of",
    "tdmrep_url_of",
]

# A crawl permission is a statement about fetching, which is what search indexing needs; it says
# nothing about AI use of the content.
_CRAWL_ALLOWED = {Purpose.SEARCH: Outcome.ALLOW}


@dataclass(frozen=True)
class Policy:
    """What shapes decisions for one spider, beyond the sites themselves."""

    user_agent: str
    unknown_allows: bool = True
    agents: AgentCatalogue | None = None
    legacy_usage: bool = False
    agreements: Mapping[str, str] = field(default_factory=dict)
    terms: TermsIndex | None = None
    paywall: PaywallMode = PaywallMode.DENY
    media_readers: frozenset[MediaReader] = ALL_READERS

    def __post_init__(self) -> None:
        if not is_product_token(self.user_agent):
            raise ValueError(
                f"{self.user_agent!r} is not a robots.txt product token: "
                "use letters, '_' and '-' only (RFC 9309 §2.2.1), e.g. 'ExampleBot'"
            )

    def read_response(
        self,
        url: str,
        headers: Iterable[tuple[str, str]],
        html: str | bytes | object | None,
        *,
        is_image: bool = False,
        media: Buffer | None = None,
        captured: str | None = None,
    ) -> ResponseFacts:
        """The statements of one response's headers, HTML and, for a media file, the XMP and C2PA
        its ``media`` body embeds (RSL documents still to fetch).

        Needs no site documents, so an archived response (``captured``: its date) is read as soon
        as it is met, and only the small facts wait for its origin's documents.
        """
        token = self.user_agent
        header_signals = read_headers(
            headers, url=url, own_token=token, is_image=is_image, legacy_usage=self.legacy_usage
        )
        html_signals = (
            read_html(html, url=url, own_token=token, is_image=is_image, paywall=self.paywall)
            if html is not None
            else None
        )
        embedded = (
            read_media(media, location=url, agreements=self.agreements, readers=self.media_readers)
            if media is not None and self.media_readers
            else None
        )
        return ResponseFacts(header_signals, html_signals, media=embedded, captured=captured)


def robots_url_of(url: str) -> str:
    return origin_of(url) + "/robots.txt"


def tdmrep_url_of(url: str) -> str:
    return origin_of(url) + "/.well-known/tdmrep.json"


@dataclass(frozen=True)
class SiteDocuments:
    """What was fetched for one origin before deciding on its URLs.

    ``tdmrep`` is the parsed file (None when the origin has none); ``tdmrep_note`` says why a file
    that was served could not be used (bad JSON); ``licenses`` maps each RSL document URL named by
    robots.txt to the parsed document or to the reason it could not be used.
    """

    origin: str
    robots: RobotsAccess | None = None
    tdmrep: TdmRepFile | None = None
    tdmrep_note: str | None = None
    licenses: Mapping[str, RslDocument | str] = field(default_factory=dict)


@dataclass(frozen=True)
class ResponseFacts:
    """What a response added: its header and HTML statements, what a media body embeds, and the
    RSL documents they named.

    ``captured`` is the date of an archived response (a WARC record's WARC-Date) when the facts were
    read from a capture instead of a response fetched now: every statement they add says so.
    """

    headers: ResponseSignals | None = None
    html: ResponseSignals | None = None
    licenses: Mapping[str, RslDocument | str] = field(default_factory=dict)
    media: MediaStatements | None = None
    captured: str | None = None

    @property
    def license_urls(self) -> list[str]:
        urls = []
        for signals in (self.headers, self.html):
            if signals is not None:
                urls.extend(signals.licenses)
        return list(dict.fromkeys(urls))

    @property
    def warnings(self) -> list[str]:
        return [w for s in (self.headers, self.html) if s is not None for w in s.warnings]

    def with_licenses(self, url: str, fetched: Mapping[str, RslDocument | str]) -> ResponseFacts:
        """These facts with the page's RSL documents: ``fetched`` (those ``license_urls`` named,
        by URL) and the inline ``<script type="application/rsl+xml">`` ones, parsed here."""
        documents = dict(fetched)
        inline = self.html.inline_licenses if self.html is not None else []
        for index, text in enumerate(inline):
            key = f"{url}#inline-rsl-{index}"
            documents[key] = parse_license(text, key)
        return ResponseFacts(self.headers, self.html, documents, self.media, self.captured)


class CrawlPermission:
    """robots.txt for one product token, as evidence: what the crawl may fetch.

    A decision's crawl evidence depends only on the rule that decided, so each is built once per
    origin and shared by every decision it applies to (the per-request cost is the match). The
    Scrapy ``RobotParser`` backend (adapters/robot_parser.py) answers through it too.
    """

    __slots__ = ("_cache", "_details", "_fixed", "access", "group", "refs", "token")

    def __init__(self, access: RobotsAccess, group: MergedGroup | None, token: str) -> None:
        self.access = access
        self.group = group
        self.token = token
        refs = {"token": token, "robots_url": access.url, "fetch": access.detail}
        if access.status is not None:
            refs["status"] = str(access.status)
        if access.hops:
            refs["redirects"] = " -> ".join(access.hops)
        if access.stale:
            refs["stale"] = "an earlier copy is used because the refresh was unreachable (RFC 9309 §2.4)"
        if group is not None:
            refs["group"] = group.label
        self.refs = refs
        # One string per verb, shared by every rule's evidence.
        self._details = {
            allow: f"the longest matching rule of the group for {token} {verb} this path"
            for allow, verb in ((True, "allows"), (False, "disallows"))
        }
        self._cache: dict[object, Evidence] = {}
        self._fixed: Evidence | None = None
        if access.state is AccessState.UNREACHABLE:
            self._fixed = self._evidence(
                f"unreachable ({access.detail})",
                access.url,
                "RFC 9309 §2.3.1.4: an unreachable robots.txt means complete disallow",
                DENY_ALL,
            )
        elif access.state is AccessState.UNAVAILABLE or group is None:
            self._fixed = self._evidence(
                f"unavailable ({access.detail})",
                access.url,
                "RFC 9309 §2.3.1.3: with robots.txt unavailable the crawler may access any resource",
                _CRAWL_ALLOWED,
            )

    def _evidence(
        self, rule: str, location: str, detail: str, effects: Mapping[Purpose, Outcome]
    ) -> Evidence:
        return Evidence(
            Source.ROBOTS_TXT, rule, location, detail, effects, EvidenceKind.CRAWL, refs=self.refs
        )

    def allows(self, path: str) -> bool:
        """True when robots.txt lets the token fetch ``path`` (normalised)."""
        return Outcome.DENY not in self.evidence(path).effects.values()

    def evidence(self, path: str) -> Evidence:
        if self._fixed is not None:
            return self._fixed
        key: object = "/robots.txt" if path == "/robots.txt" else self.group.match(path)  # type: ignore[union-attr]
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._build(key)
        return found

    def _build(self, key: object) -> Evidence:
        group = self.group
        assert group is not None
        url = self.access.url
        if key == "/robots.txt":
            return self._evidence(
                "/robots.txt", url, "RFC 9309 §2.2.2: /robots.txt itself is always allowed", _CRAWL_ALLOWED
            )
        if key is None:
            detail = (
                f"no rule of {group.label} matches this path"
                if group.groups
                else f"no group names {self.token} and there is no '*' group"
            )
            return self._evidence("no matching rule", url, detail, _CRAWL_ALLOWED)
        assert isinstance(key, Rule)
        allow = key.allow
        return self._evidence(
            key.line.text,
            f"{url} line {key.number}",
            self._details[allow],
            _CRAWL_ALLOWED if allow else DENY_ALL,
        )


def _captured(evidence: Evidence, response: ResponseFacts | None) -> Evidence:
    """``evidence`` marked with the capture date when the response is an archived one."""
    if response is None or response.captured is None:
        return evidence
    return replace(evidence, captured=response.captured)


def _usable(documents: Mapping[str, RslDocument | str]) -> list[RslDocument]:
    return [doc for doc in documents.values() if isinstance(doc, RslDocument)]


def _license_notes(documents: Mapping[str, RslDocument | str], channel: str) -> list[Evidence]:
    return [
        Evidence(Source.RSL, f"licence {url}", f"{url} (found via {channel})", f"not used: {problem}")
        for url, problem in documents.items()
        if isinstance(problem, str)
    ]


class SitePolicy:
    """Everything known about one origin before fetching, compiled once for many decisions.

    Evidence objects are immutable, so each one is built the first time its rule decides and then
    shared: per request, what remains is matching the path and combining the statements.
    """

    __slots__ = (
        "_license_notes",
        "_rsl_cache",
        "_rsl_docs",
        "_tdm_cache",
        "_tdm_note",
        "_terms",
        "ai_groups",
        "crawl",
        "documents",
        "extensions",
        "group",
        "host",
        "origin",
        "pack",
        "policy",
        "robots",
    )

    def __init__(self, policy: Policy, documents: SiteDocuments) -> None:
        self.policy = policy
        self.documents = documents
        robots = documents.robots
        self.robots = robots
        self.origin = documents.origin
        self.host = host_of(documents.origin)
        self.pack = policy.terms.pack_for(self.host) if policy.terms is not None and self.host else None
        agreement = policy.agreements.get(self.pack.id) if self.pack is not None else None
        self._terms = self.pack.statements(agreement) if self.pack is not None else []
        parsed = robots.robots if robots is not None and robots.state is AccessState.PARSED else None
        self.group = parsed.group_for(policy.user_agent) if parsed is not None else None
        self.crawl = CrawlPermission(robots, self.group, policy.user_agent) if robots is not None else None
        self.ai_groups = (
            AiGroups(parsed, policy.agents, policy.user_agent, robots.url)
            if parsed is not None and robots is not None and policy.agents is not None
            else None
        )
        self.extensions = (
            RobotsExtensions(parsed, self.group, robots.url, legacy_usage=policy.legacy_usage)
            if parsed is not None and robots is not None and self.group is not None
            else None
        )
        self._tdm_cache: dict[TdmValues | None, Evidence | None] = {}
        self._tdm_note = (
            Evidence(Source.TDMREP, "tdmrep.json not used", tdmrep_url_of(self.origin), documents.tdmrep_note)
            if documents.tdmrep_note
            else None
        )
        self._rsl_docs = _usable(documents.licenses)
        self._rsl_cache: dict[tuple[int, ...], list[Evidence]] = {}
        self._license_notes = _license_notes(documents.licenses, "robots.txt")

    def _site_licences(self, path: str) -> list[Evidence]:
        scopes = [doc.scope(self.host, path) for doc in self._rsl_docs]
        key = tuple(id(scope) for scope in scopes)
        found = self._rsl_cache.get(key)
        if found is None:
            found = self._rsl_cache[key] = [
                content_evidence(doc, scope, self.policy.agreements, "robots.txt")
                for doc, scope in zip(self._rsl_docs, scopes, strict=True)
                if scope is not None and scope.licenses
            ]
        return found

    def evidence(
        self, url: str, path: str | None = None, response: ResponseFacts | None = None
    ) -> list[Evidence]:
        """Every statement about ``url``: what was known before fetching, plus ``response``."""
        if path is None:
            path = path_of(url)
        items: list[Evidence] = []
        crawl_allowed = True
        if self.crawl is not None:
            crawl = self.crawl.evidence(path)
            crawl_allowed = Outcome.DENY not in crawl.effects.values()
            items.append(crawl)
        for rule, statement in self._terms:
            if rule.applies(path):
                items.append(statement)
        if self.ai_groups is not None:
            items.extend(self.ai_groups.evidence(path))
        if self.extensions is not None:
            items.extend(self.extensions.evidence(path, crawl_allowed=crawl_allowed))
        # TDMRep: the file, then the response's header, then its meta, property by property.
        tdm_file = self.documents.tdmrep
        file_values = tdm_file.match(path) if tdm_file is not None else None
        header_tdm = response.headers.tdm if response is not None and response.headers else None
        html_tdm = response.html.tdm if response is not None and response.html else None
        if header_tdm is None and html_tdm is None:  # what the file says, built once per entry
            if file_values not in self._tdm_cache:
                self._tdm_cache[file_values] = tdm_evidence(file_values)
            tdm = self._tdm_cache[file_values]
        else:
            tdm = tdm_evidence(file_values, header_tdm, html_tdm)
            if tdm is not None:  # the capture's header or meta took part in it
                tdm = _captured(tdm, response)
        if tdm is not None:
            items.append(tdm)
        if self._tdm_note is not None:
            items.append(self._tdm_note)
        # RSL: licences the page names replace the site-wide ones robots.txt names.
        page_docs = response.licenses if response is not None else {}
        if _usable(page_docs):
            page_licences = rsl_evidence(
                _usable(page_docs), url, path, self.policy.agreements, channel="the response"
            )
            items.extend(_captured(e, response) for e in page_licences)
        elif self._rsl_docs:
            items.extend(self._site_licences(path))
        items.extend(self._license_notes)
        if response is not None:
            said = _license_notes(page_docs, "the response")
            for signals in (response.headers, response.html):
                if signals is not None:
                    said.extend(signals.evidence)
            if response.media is not None:
                said.extend(response.media.evidence)
            said.extend(
                Evidence(Source.RESPONSE, "could not be read", url, warning) for warning in response.warnings
            )
            items.extend(_captured(e, response) for e in said)
        return items

    def decide(self, url: str, purpose: Purpose, path: str | None = None) -> Decision:
        return Decision.build(
            url, purpose, self.evidence(url, path), unknown_allows=self.policy.unknown_allows
        )

    def decide_response(
        self, url: str, purpose: Purpose, response: ResponseFacts, path: str | None = None
    ) -> Decision:
        return Decision.build(
            url,
            purpose,
            self.evidence(url, path, response),
            unknown_allows=self.policy.unknown_allows,
            stage=Stage.RESPONSE,
        )


def robots_licence_urls(access: RobotsAccess | None, user_agent: str) -> tuple[str, ...]:
    """The RSL licence documents robots.txt names for ``user_agent`` (its group's ``License``
    lines, else the site-wide ones): what must be fetched before the site can be compiled."""
    if access is None or access.robots is None or access.state is not AccessState.PARSED:
        return ()
    return license_urls(access.robots, access.robots.group_for(user_agent))


def parse_tdmrep(body: str | bytes, url: str) -> tuple[TdmRepFile | None, str | None]:
    """The parsed tdmrep.json, or None and why it cannot be used (never an exception)."""
    try:
        return TdmRepFile.parse(body, url), None
    except TdmRepError as exc:
        return None, f"{url}: {exc}; no TDMRep statement from it"


def parse_license(body: str | bytes, url: str) -> RslDocument | str:
    """The parsed RSL document, or why it cannot be used (never an exception)."""
    try:
        return RslDocument.parse(body, url)
    except RslError as exc:
        return str(exc)


def _header_pairs(headers: Mapping[str, object] | Iterable[tuple[str, str]] | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    pairs: list[tuple[str, str]] = []
    for name, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((str(name), v.decode("latin-1") if isinstance(v, bytes) else str(v)) for v in values)
    return pairs


def check(
    url: str,
    *,
    purpose: str | Purpose = Purpose.AI_TRAIN,
    user_agent: str,
    robots_txt: str | bytes | None = None,
    robots_status: int | None = 200,
    headers: Mapping[str, object] | Iterable[tuple[str, str]] | None = None,
    html: str | bytes | None = None,
    tdmrep: str | bytes | None = None,
    rsl: Mapping[str, str | bytes] | Callable[[str], str | bytes | None] | None = None,
    unknown: str = "allow",
    ai_tokens: Mapping[str, str | None] | None = None,
    agents: AgentCatalogue | None = None,
    rules: TermsIndex | Iterable[TermsPack | str | Path] | None = None,
    agreements: Mapping[str, str] | None = None,
    legacy_content_usage: bool = False,
    is_image: bool | None = None,
    robots_url: str | None = None,
    robots_detail: str | None = None,
    paywall: str | PaywallMode = PaywallMode.DENY,
    blocklists: Blocklist | Iterable[str | Path] | None = None,
    media: bytes | None = None,
) -> Decision:
    """Decide offline what a crawl with ``purpose`` may do with ``url``, on the middleware's engine.

    ``user_agent`` is the crawler's product token or full User-Agent string. ``robots_txt`` is the
    body of the site's robots.txt, ``robots_status`` its HTTP status (4xx: unavailable; 5xx and
    429: unreachable; None: network failure); with neither a body nor an error status robots.txt
    is not consulted (``robots_detail`` says what failed, for the evidence). ``headers`` (a mapping
    or name/value pairs) and ``html`` are the response's; ``tdmrep`` is the body of
    /.well-known/tdmrep.json; ``rsl`` maps licence document URLs to their XML, or is a function
    that returns the XML of a URL (None when it cannot). ``agents`` defaults to the bundled
    catalogue with ``ai_tokens`` applied; ``rules`` (a TermsIndex, or packs and pack files or
    folders) to the bundled rule packs; ``agreements`` maps pack ids or RSL licence URLs (and media
    licence URLs) to the agreement the crawl holds. ``paywall`` is POLICYGUARD_PAYWALL (deny, tag or
    ignore); ``blocklists`` (files, or a loaded Blocklist) are POLICYGUARD_BLOCKLISTS: a listed URL
    is decided on its listing alone, as the middleware never fetches anything of it. ``media`` is
    the body of a media file at ``url``, whose embedded XMP and C2PA statements are read too.
    """
    if unknown not in ("allow", "deny"):
        raise ValueError(f"unknown must be 'allow' or 'deny', not {unknown!r}")
    chosen = parse_purpose(purpose)
    if blocklists is not None:
        listed = (blocklists if isinstance(blocklists, Blocklist) else load_blocklists(blocklists)).evidence(
            url
        )
        if listed is not None:
            return Decision.build(url, chosen, [listed], unknown_allows=unknown == "allow")
    token = crawler_token(user_agent) or user_agent
    catalogue = agents if agents is not None else bundled_agents()
    if ai_tokens:
        catalogue = catalogue.with_changes(ai_tokens)
    policy = Policy(
        token,
        unknown_allows=unknown == "allow",
        agents=catalogue,
        legacy_usage=legacy_content_usage,
        agreements=dict(agreements or {}),
        terms=terms_index(rules),
        paywall=PaywallMode(str(paywall).strip().lower()),
    )
    access = None
    if robots_txt is not None or robots_status is None or not 200 <= robots_status < 300:
        access = RobotsAccess.from_result(
            robots_url or robots_url_of(url), robots_status, robots_txt or b"", detail=robots_detail
        )

    def licence(url: str) -> RslDocument | str:
        body = rsl(url) if callable(rsl) else (rsl or {}).get(url)
        return "licence document not supplied" if body is None else parse_license(body, url)

    tdm_file, tdm_note = parse_tdmrep(tdmrep, tdmrep_url_of(url)) if tdmrep is not None else (None, None)
    named = robots_licence_urls(access, token)
    site = SitePolicy(
        policy, SiteDocuments(origin_of(url), access, tdm_file, tdm_note, {u: licence(u) for u in named})
    )
    if headers is None and html is None and media is None:
        return site.decide(url, chosen)
    pairs = _header_pairs(headers)
    if is_image is None:
        content_type = next((v for n, v in pairs if n.lower() == "content-type"), "")
        is_image = content_type.strip().lower().startswith("image/") or media is not None
    facts = site.policy.read_response(url, pairs, html, is_image=is_image, media=media)
    page = {u: licence(u) for u in facts.license_urls}
    return site.decide_response(url, chosen, facts.with_licenses(url, page))


def check_file(
    path: str | Path,
    *,
    purpose: str | Purpose = Purpose.AI_TRAIN,
    unknown: str = "allow",
    agreements: Mapping[str, str] | None = None,
    readers: frozenset[MediaReader] = ALL_READERS,
) -> Decision:
    """Decide offline what ``purpose`` may do with a local media file, from the XMP and C2PA
    statements it embeds (a dataset collected before: no site documents are consulted)."""
    if unknown not in ("allow", "deny"):
        raise ValueError(f"unknown must be 'allow' or 'deny', not {unknown!r}")
    file = Path(path)
    statements = read_media_file(file, agreements=dict(agreements or {}), readers=readers)
    evidence = list(statements.evidence)
    if statements.format is None:
        evidence.append(
            Evidence(
                Source.RESPONSE,
                "not a media file we read",
                str(file),
                "not JPEG, PNG, WebP, TIFF, GIF or AVIF/HEIF",
            )
        )
    return Decision.build(
        file.resolve().as_uri(),
        parse_purpose(purpose),
        evidence,
        unknown_allows=unknown == "allow",
        stage=Stage.RESPONSE,
    )


def terms_index(rules: TermsIndex | Iterable[TermsPack | str | Path] | None) -> TermsIndex:
    """A TermsIndex from what check() accepts: None for the bundled packs."""
    if isinstance(rules, TermsIndex):
        return rules
    if rules is None:
        return TermsIndex(bundled_packs())
    rules = list(rules)
    packs = [item for item in rules if isinstance(item, TermsPack)]
    packs += load_packs([item for item in rules if not isinstance(item, TermsPack)])
    return TermsIndex(packs)
