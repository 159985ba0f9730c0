"""The crawler: breadth-first from seeds and a sitemap, within depth, page and size limits.

Every request (pages, robots.txt, sitemaps) goes through `wxo.webfetch.fetch`, which checks the
URL-safety rules on the first URL and on every redirect hop. robots.txt is read with Protego
(Google's matching rules: `*` and `$` wildcards, longest match wins, Allow beats Disallow on a
tie), which the standard library's `urllib.robotparser` does not implement. Sitemaps are parsed
with defusedxml (no entity expansion, no external entities).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup
from defusedxml import ElementTree
from protego import Protego

from wxo.webfetch import Fetched, FetchError, FetchLimits, fetch

USER_AGENT = "wxo-fetch"
ROBOTS_MAX_BYTES = 512 * 1024
SITEMAP_MAX_BYTES = 10 * 1024 * 1024
MAX_SITEMAPS = 20
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_STATUS = re.compile(r"answered (\d{3})")


@dataclass(frozen=True)
class CrawlConfig:
    """What to crawl and within which bounds."""

    seed_urls: Sequence[str]
    sitemap_url: str | None
    max_depth: int
    max_pages: int
    max_page_bytes: int
    same_host_only: bool = True
    include_patterns: Sequence[str] = ()
    exclude_patterns: Sequence[str] = ()


@dataclass
class CrawlOutcome:
    """What the crawl reached: URLs fetched, URLs gone (404/410), URLs robots.txt disallows."""

    fetched: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    disallowed: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)


OnPage = Callable[[str, Fetched], Awaitable[None]]
OnError = Callable[[str | None, str, str], Awaitable[None]]


def normalise(url: str) -> str:
    """The URL without its fragment (`#...`)."""
    return urldefrag(url.strip())[0]


def http_status(error: FetchError) -> int | None:
    """The HTTP status of an `http_error`, else None."""
    match = _STATUS.search(error.message) if error.code == "http_error" else None
    return int(match.group(1)) if match else None


def links(page: Fetched) -> list[str]:
    """The http(s) links of an HTML page, absolute, without fragments, in document order."""
    if (page.content_type or "text/html") not in _HTML_TYPES:
        return []
    soup = BeautifulSoup(page.data, "lxml")
    base = page.final_url
    base_tag = soup.find("base", href=True)
    if base_tag is not None:
        base = urljoin(base, str(base_tag["href"]))
    found: list[str] = []
    for anchor in soup.find_all("a", href=True):
        if "nofollow" in anchor.get_attribute_list("rel"):
            continue
        url = normalise(urljoin(base, str(anchor["href"])))
        if urlsplit(url).scheme in ("http", "https"):
            found.append(url)
    return found


def sitemap_locations(data: bytes) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) of a sitemap or sitemap index.

    Raises:
        ValueError: not XML, or XML with entities (refused by defusedxml).
    """
    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:  # ParseError and defusedxml's refusals
        raise ValueError(f"the sitemap is not valid XML ({type(exc).__name__})") from None
    pages: list[str] = []
    nested: list[str] = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "loc" or not (element.text or "").strip():
            continue
        parent_is_index = root.tag.rsplit("}", 1)[-1] == "sitemapindex"
        (nested if parent_is_index else pages).append(normalise(element.text or ""))
    return pages, nested


class Crawler:
    """One crawl. Call `run()`; pages and errors are reported through the callbacks."""

    def __init__(
        self, config: CrawlConfig, limits: FetchLimits, on_page: OnPage, on_error: OnError
    ) -> None:
        """Prepare the crawl (nothing is fetched yet)."""
        self.config = config
        self.limits = limits
        self.on_page = on_page
        self.on_error = on_error
        self.outcome = CrawlOutcome()
        self._robots: dict[str, Protego | None] = {}
        self._include = [re.compile(p) for p in config.include_patterns]
        self._exclude = [re.compile(p) for p in config.exclude_patterns]
        self._hosts = {
            urlsplit(u).netloc.lower()
            for u in [*config.seed_urls, *([config.sitemap_url] if config.sitemap_url else [])]
        }

    async def _get(self, url: str, max_bytes: int) -> Fetched:
        return await fetch(
            url,
            max_bytes=max_bytes,
            timeout_seconds=self.limits.timeout_seconds,
            max_redirects=self.limits.max_redirects,
            allow_networks=self.limits.allow_networks,
        )

    async def _allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            try:
                robots = await self._get(f"{origin}/robots.txt", ROBOTS_MAX_BYTES)
                text = robots.data.decode("utf-8", "replace")
                self._robots[origin] = Protego.parse(text)
            except FetchError:
                self._robots[origin] = None  # no robots.txt (or unreadable): everything allowed
        rules = self._robots[origin]
        return rules is None or bool(rules.can_fetch(url, USER_AGENT))

    def _in_scope(self, url: str, *, seed: bool) -> bool:
        if self.config.same_host_only and urlsplit(url).netloc.lower() not in self._hosts:
            return False
        if any(p.search(url) for p in self._exclude):
            return False
        return seed or not self._include or any(p.search(url) for p in self._include)

    async def _sitemap_urls(self) -> list[str]:
        if not self.config.sitemap_url:
            return []
        pending = [self.config.sitemap_url]
        seen: set[str] = set()
        pages: list[str] = []
        while pending and len(seen) < MAX_SITEMAPS:
            url = pending.pop(0)
            if url in seen:
                continue
            seen.add(url)
            try:
                fetched = await self._get(url, SITEMAP_MAX_BYTES)
                found, nested = sitemap_locations(fetched.data)
            except FetchError as exc:
                await self.on_error(url, exc.code, exc.message)
                continue
            except ValueError as exc:
                await self.on_error(url, "bad_sitemap", f"{url}: {exc}")
                continue
            pages.extend(found)
            pending.extend(nested)
        return pages

    async def run(self) -> CrawlOutcome:
        """Crawl breadth-first; a failing page is recorded and the crawl goes on."""
        queue: deque[tuple[str, int, bool]] = deque()
        seen: set[str] = set()
        for url in [*map(normalise, self.config.seed_urls), *await self._sitemap_urls()]:
            if url not in seen:
                seen.add(url)
                queue.append((url, 0, True))
        attempts = 0
        while queue and attempts < self.config.max_pages:
            url, depth, seed = queue.popleft()
            if not self._in_scope(url, seed=seed):
                continue
            try:
                if not await self._allowed_by_robots(url):
                    self.outcome.disallowed.add(url)
                    continue
                attempts += 1
                page = await self._get(url, self.config.max_page_bytes)
            except FetchError as exc:
                status = http_status(exc)
                (self.outcome.gone if status in (404, 410) else self.outcome.failed).add(url)
                await self.on_error(url, exc.code, exc.message)
                continue
            if self.config.same_host_only and not self._in_scope(page.final_url, seed=True):
                self.outcome.failed.add(url)
                await self.on_error(
                    url, "off_host_redirect", f"{url} redirects to another host: {page.final_url}"
                )
                continue
            self.outcome.fetched.add(url)
            await self.on_page(url, page)
            if depth >= self.config.max_depth:
                continue
            for link in links(page):
                if link not in seen:
                    seen.add(link)
                    queue.append((link, depth + 1, False))
        return self.outcome
