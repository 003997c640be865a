"""One headless system Chromium per worker process, driven by Playwright, every request through the guarded fetch.

Playwright's asyncio API runs on a private event-loop thread; the evidence step calls `Renderer.render()` from its
own thread and waits for the result. The browser is reused across pages and scans, relaunched after a crash, and
never downloads anything: the binary is the system's (TECHSCANIQ_CHROMIUM_PATH or the PATH).

Containment: each page gets a fresh context whose `route` fulfils every request with the GuardedFetcher's answer
(or aborts what it refuses); WebSockets are closed, service workers blocked, downloads refused, popups closed. A
dead proxy and an empty host resolver catch what routing cannot see (preconnects, DNS prefetch).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from techscaniq.config import Settings
from techscaniq.errors import TechScanError
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher, ResourceKind
from techscaniq.evidence.render.js_probe import chains_for, read_chains
from techscaniq.evidence.render.vitals import READ_SCRIPT, observer_script, page_vitals

# The headless shell first: Chromium's rendering engine without the desktop browser around it, about half the
# memory (bench/results/render.md); Debian packages it as chromium-headless-shell.
CHROMIUM_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
VIEWPORT = {"width": 1280, "height": 800}
LAUNCH_TIMEOUT_SECONDS = 30.0
PAGE_SECONDS = 30.0  # one page: navigation, settling and capture
SETTLE_SECONDS = 3.0  # after "load", how long the page may keep fetching before it is captured
COOKIE_REQUEST_TYPES = frozenset(
    {"document", "xhr", "fetch"}
)  # requests that look the page's cookies up afresh
MAX_RELOADS = 3  # documents the page may load after the first (a passed challenge reloads) before capture
MAX_REQUESTS_PER_PAGE = 300
MAX_BYTES_PER_PAGE = 25 * 1024 * 1024
FETCH_THREADS = 6
# The browser (all its processes, by PSS) is relaunched before the next page once it holds this much more than
# after its first page: long-lived browsers grow. Relative, because the headless shell settles near 150 MiB and the
# full browser near 280 (bench/results/render.md), and neither should be relaunched on every page.
MEMORY_GROWTH_MB = 120
# Playwright's Node.js driver (a child of the worker; every routed body passes through it): a smaller young
# generation and a heap cap that makes it collect before it grows.
DRIVER_NODE_OPTIONS = "--max-semi-space-size=1 --max-old-space-size=160"
# Chromium keeps one value of a repeated switch, so the features Playwright disables are repeated here with ours.
DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "PreconnectToSearch",
    "Translate",
    "BackForwardCache",
    # Memory: one renderer process for every site, and no spare renderer kept warm.
    "site-per-process",
    "IsolateOrigins",
    "SpareRendererForSitePerProcess",
)
# Headers the browser must not see from a decoded, re-framed body.
DROPPED_RESPONSE_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"}
)
# Anything that escapes routing meets a proxy nobody runs and a resolver that knows no name.
LAUNCH_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--dns-prefetch-disable",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    f"--disable-features={','.join(DISABLED_FEATURES)}",
    # Memory (bench/results/render.md). Sharing one renderer between sites gives up site isolation, which guards a
    # user's data in one site from another site's code; this browser has no user data, renders one page at a
    # time in a fresh context, and every request it makes still goes through the guarded fetch.
    "--renderer-process-limit=1",
    "--disable-site-isolation-trials",
    "--in-process-gpu",  # software compositing in the browser process instead of a GPU process of its own
    "--js-flags=--max-old-space-size=256",  # a page whose JavaScript heap outgrows this crashes alone
)

T = TypeVar("T")


class BrowserUnavailable(TechScanError):
    """Rendering was required but Chromium could not be found or started."""

    code = "browser_unavailable"
    http_status = 503
    retryable = False


def find_chromium(settings: Settings) -> str | None:
    """The Chromium binary: TECHSCANIQ_CHROMIUM_PATH, else the first of CHROMIUM_NAMES on the PATH."""
    if settings.chromium_path:
        path = settings.chromium_path
        found = shutil.which(path) if os.sep not in path else path
        return found if found and os.access(found, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class RequestRecord:
    """One request the page made: where, what kind, how it ended and how many bytes it brought."""

    url: str
    host: str
    resource_type: str
    method: str
    status: int | None
    bytes: int
    outcome: str  # "fulfilled", "refused" (the guard), "blocked" (rendering rules), "failed"
    code: str | None = None
    transferred: int = 0  # bytes on the wire (bytes is the decoded body)


@dataclass
class RenderedPage:
    """What one rendered page showed."""

    url: str
    final_url: str
    status: int | None
    dom: str
    title: str
    links: list[str]
    globals: dict[str, Any]
    requests: list[RequestRecord]
    console_errors: list[str]
    cookies: dict[str, str]
    seconds: float
    headers: list[tuple[str, str]] = field(default_factory=list)  # the document response's (the last one)
    cookie_jar: list[dict[str, Any]] = field(default_factory=list)  # the context's cookies, to carry on
    screenshot: bytes | None = None
    taken_at: float = field(default_factory=time.time)
    vitals: dict[str, Any] | None = None  # lab Core Web Vitals (vitals.page_vitals), None when not recorded
    js: dict[str, str] = field(default_factory=dict)  # the `js` fingerprint chains it defines (js_probe.py)


class RenderFailed(Exception):
    """One page could not be rendered: a stable code and a message (a data gap, never the scan's failure)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# A bounded, side-effect-free walk of the page's own globals: only own data properties are read (never a getter,
# so no page code runs), at most 300 names, two levels deep, 40 keys per object, strings cut to 120 characters.
GLOBALS_WALK = """() => {
  const frame = document.createElement('iframe');
  frame.style.display = 'none';
  document.documentElement.appendChild(frame);
  const standard = new Set(Object.getOwnPropertyNames(frame.contentWindow));
  frame.remove();
  const out = {};
  const describe = (value, depth) => {
    const kind = typeof value;
    if (value === null || kind === 'undefined') return null;
    if (kind === 'string') return value.slice(0, 120);
    if (kind === 'number' || kind === 'boolean') return value;
    if (kind === 'function') return '[function]';
    if (kind !== 'object' || depth >= 2) return '[' + kind + ']';
    const inner = {};
    let names = [];
    try { names = Object.getOwnPropertyNames(value).slice(0, 40); } catch (e) { return '[object]'; }
    for (const name of names) {
      let d;
      try { d = Object.getOwnPropertyDescriptor(value, name); } catch (e) { continue; }
      if (d && 'value' in d) inner[name] = describe(d.value, depth + 1);
      else inner[name] = '[accessor]';
    }
    return inner;
  };
  let count = 0;
  for (const name of Object.getOwnPropertyNames(window)) {
    if (standard.has(name) || count >= 300) continue;
    let d;
    try { d = Object.getOwnPropertyDescriptor(window, name); } catch (e) { continue; }
    if (!d || !('value' in d)) continue;
    out[name] = describe(d.value, 0);
    count += 1;
  }
  return out;
}"""


class Renderer:
    """One Chromium for this process; `render()` is called from any thread, one page at a time."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.tag = ""
        self.launches = 0
        self.version = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="renderer", daemon=True)
        self._thread.start()
        self._pool = ThreadPoolExecutor(max_workers=FETCH_THREADS, thread_name_prefix="render-fetch")
        self._lock = threading.Lock()
        self._playwright: Any = None
        self._browser: Any = None
        self._settled_mb: float | None = None  # the browser's PSS after its first page
        self._context_lock = asyncio.Lock()
        self.js_chains: tuple[str, ...] = ()  # read on every page by js_probe.py; renderer_for() sets them

    def _run(self, factory: Callable[[], Coroutine[Any, Any, T]], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(factory(), self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    # -- the browser ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Launch Chromium now (raises BrowserUnavailable)."""
        with self._lock:
            self._run(self._ensure_browser, LAUNCH_TIMEOUT_SECONDS + 5)

    async def _ensure_browser(self) -> Any:
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        await self._discard_browser()
        try:
            from playwright.async_api import async_playwright
        except ImportError as exc:  # the render extra is not installed
            raise BrowserUnavailable(
                "Playwright is not installed (pip install 'techscaniq[render]')"
            ) from exc
        if self._playwright is None:
            with _node_options(DRIVER_NODE_OPTIONS):
                self._playwright = await async_playwright().start()
        # Playwright gives every launch a fresh, temporary profile (user-data dir) and removes it on close.
        self.tag = uuid.uuid4().hex
        args = [*LAUNCH_ARGS, f"--techscaniq-renderer={self.tag}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.executable,
                headless=True,
                args=args,
                timeout=LAUNCH_TIMEOUT_SECONDS * 1000,
                handle_sigint=False,
                handle_sigterm=False,
                handle_sighup=False,
            )
        except Exception as exc:
            raise BrowserUnavailable(f"Chromium at {self.executable} did not start: {exc}") from exc
        self.launches += 1
        self._settled_mb = None
        self.version = self._browser.version
        return self._browser

    async def _discard_browser(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            with contextlib.suppress(Exception):
                await browser.close()

    def close(self) -> None:
        """Close the browser and Playwright, and stop the loop."""
        with self._lock:

            async def shutdown() -> None:
                await self._discard_browser()
                if self._playwright is not None:
                    with contextlib.suppress(Exception):
                        await self._playwright.stop()
                    self._playwright = None

            with contextlib.suppress(Exception):
                self._run(shutdown, 15)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._pool.shutdown(wait=False, cancel_futures=True)

    def browser_pid(self) -> int | None:
        """The Chromium browser process's pid, found by the tag on its command line (for tests and benchmarks)."""
        if not self.tag:
            return None
        marker = f"--techscaniq-renderer={self.tag}".encode()
        found: dict[int, int] = {}  # pid: parent pid
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    parts = handle.read().split(b"\0")
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if marker in parts and not any(p.startswith(b"--type=") for p in parts):
                found[int(entry)] = parent
        # A wrapper script that runs the binary without exec (Debian's /usr/bin/chromium-headless-shell) carries the
        # same command line: the browser is the innermost, the candidate that is no other candidate's parent.
        parents = set(found.values())
        browsers = [pid for pid in found if pid not in parents]
        return browsers[0] if browsers else None

    # -- one page -------------------------------------------------------------------------------------------

    def render(
        self,
        url: str,
        fetcher: GuardedFetcher,
        *,
        screenshot: bool = False,
        seconds: float = PAGE_SECONDS,
        cookies: Sequence[Mapping[str, Any]] = (),
    ) -> RenderedPage:
        """Render one page, starting with `cookies` (an earlier page's `cookie_jar`); raises RenderFailed or
        BrowserUnavailable."""
        with self._lock:
            try:
                return self._run(
                    lambda: self._render(url, fetcher, screenshot, seconds, cookies), seconds + 10
                )
            except TimeoutError as exc:
                raise RenderFailed("render_timeout", f"{url} did not render within {seconds:.0f} s") from exc
            finally:
                self._relaunch_if_too_big()

    def memory_mb(self) -> float:
        """Resident memory of the browser and every process it started, in MiB (0 when not running)."""
        pid = self.browser_pid()
        return tree_memory_mb(pid) if pid is not None else 0.0

    def _relaunch_if_too_big(self) -> None:
        held = self.memory_mb()
        if not held:
            return
        if self._settled_mb is None:
            self._settled_mb = held
        elif held > self._settled_mb + MEMORY_GROWTH_MB:
            with contextlib.suppress(Exception):
                self._run(self._discard_browser, 15)  # the next page launches a fresh one

    async def _render(
        self,
        url: str,
        fetcher: GuardedFetcher,
        screenshot: bool,
        seconds: float,
        cookies: Sequence[Mapping[str, Any]] = (),
    ) -> RenderedPage:
        browser = await self._ensure_browser()
        started = time.monotonic()
        try:
            context = await browser.new_context(
                viewport=VIEWPORT,
                service_workers="block",
                accept_downloads=False,
                java_script_enabled=True,
                bypass_csp=False,
                permissions=[],
            )
        except Exception as exc:
            await self._discard_browser()
            raise RenderFailed("browser_crashed", f"the browser could not open a page: {exc}") from exc
        records: list[RequestRecord] = []
        errors: list[str] = []
        budget = {"requests": 0, "bytes": 0}
        documents: list[Any] = []  # main-frame document responses: a passed challenge reloads the page
        try:
            await context.add_init_script(observer_script(self.tag))
            if cookies:
                await context.add_cookies([dict(cookie) for cookie in cookies])
            jars: dict[str, dict[str, str]] = {}  # the page's cookies by host, for its requests
            await context.route(
                "**/*", lambda route: self._fulfil(route, fetcher, records, budget, context, jars)
            )
            await context.route_web_socket("**/*", lambda ws: ws.close())
            page = await context.new_page()
            page.on(
                "response",
                lambda r: (
                    documents.append(r)
                    if r.frame == page.main_frame and r.request.is_navigation_request()
                    else None
                ),
            )
            context.on(
                "page", lambda other: asyncio.ensure_future(other.close()) if other is not page else None
            )
            page.on("download", lambda download: asyncio.ensure_future(download.cancel()))
            page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
            page.on("console", lambda message: _console(errors, message))
            page.on(
                "pageerror",
                lambda error: errors.append(f"uncaught: {error}"[:300]) if len(errors) < 50 else None,
            )
            try:
                response = await asyncio.wait_for(self._load(page, url, seconds, documents), timeout=seconds)
            except TimeoutError as exc:
                raise RenderFailed("render_timeout", f"{url} did not load within {seconds:.0f} s") from exc
            # Before the capture, whose own work on the page's main thread would count as blocking time.
            vitals = await self._read_vitals(page)
            capture_started = time.monotonic()
            remaining = max(5.0, seconds - (capture_started - started))
            captured = await asyncio.wait_for(self._capture(page, context, screenshot), timeout=remaining)
            dom, title, links, found_globals, found_cookies, picture = captured
            jar = await context.cookies()
            response = documents[-1] if documents else response
            js = await read_chains(context, page, self.js_chains)
            headers: list[tuple[str, str]] = []
            if response is not None:
                with contextlib.suppress(Exception):
                    headers = [(h["name"], h["value"]) for h in await response.headers_array()]
            return RenderedPage(
                url=url,
                final_url=page.url,
                status=response.status if response is not None else None,
                dom=dom,
                title=title,
                links=links,
                globals=found_globals,
                requests=records,
                console_errors=errors,
                cookies=found_cookies,
                seconds=round(time.monotonic() - started, 3),
                headers=headers,
                cookie_jar=jar,
                screenshot=picture,
                vitals=vitals,
                js=js,
            )
        except RenderFailed:
            raise
        except TimeoutError as exc:
            raise RenderFailed("render_timeout", f"{url} could not be captured in time") from exc
        except Exception as exc:
            if not browser.is_connected():
                await self._discard_browser()
                raise RenderFailed("browser_crashed", f"the browser died while rendering {url}") from exc
            raise RenderFailed("render_failed", f"{type(exc).__name__}: {str(exc)[:300]}") from exc
        finally:
            with contextlib.suppress(Exception):
                # Requests still waiting on the guard are let go before the context closes under them.
                await asyncio.wait_for(context.unroute_all(behavior="ignoreErrors"), timeout=5)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(context.close(), timeout=5)

    async def _load(self, page: Any, url: str, seconds: float, documents: list[Any]) -> Any:
        response = await page.goto(url, wait_until="load", timeout=seconds * 1000)
        # A challenge the browser passes reloads the page: settle again on each new document, a few at most.
        for _ in range(MAX_RELOADS + 1):
            documents_seen = len(documents)
            with contextlib.suppress(Exception):
                await page.wait_for_load_state("load", timeout=SETTLE_SECONDS * 1000)
            with contextlib.suppress(Exception):
                await page.wait_for_load_state("networkidle", timeout=SETTLE_SECONDS * 1000)
            if len(documents) == documents_seen:
                break
        return response

    async def _read_vitals(self, page: Any) -> dict[str, Any] | None:
        # A page that navigated away or hung: its vitals are a gap, not a failed render.
        with contextlib.suppress(Exception):
            return page_vitals(await asyncio.wait_for(page.evaluate(READ_SCRIPT, self.tag), timeout=5))
        return None

    async def _capture(
        self, page: Any, context: Any, screenshot: bool
    ) -> tuple[str, str, list[str], dict[str, Any], dict[str, str], bytes | None]:
        dom = await page.content()
        title = await page.title()
        links = await page.eval_on_selector_all(
            "a[href]", "nodes => nodes.slice(0, 500).map(node => node.href).filter(Boolean)"
        )
        found_globals = await page.evaluate(GLOBALS_WALK)
        cookies = {c["name"]: c["value"][:200] for c in await context.cookies()}
        picture = await page.screenshot(type="png", full_page=False) if screenshot else None
        return dom, title, list(links), dict(found_globals), cookies, picture

    async def _fulfil(
        self,
        route: Any,
        fetcher: GuardedFetcher,
        records: list[RequestRecord],
        budget: dict[str, int],
        context: Any,
        jars: dict[str, dict[str, str]],
    ) -> None:
        request = route.request
        url, method, rtype = request.url, request.method, request.resource_type
        host = (urlsplit(url).hostname or "").lower()
        record = RequestRecord(url[:500], host, rtype, method, None, 0, "blocked")
        if len(records) < MAX_REQUESTS_PER_PAGE * 2:
            records.append(record)
        if method not in ("GET", "HEAD") or not url.startswith(("http://", "https://")):
            record.code = "method_not_rendered" if method not in ("GET", "HEAD") else "scheme_not_rendered"
            await route.abort("blockedbyclient")
            return
        budget["requests"] += 1
        if budget["requests"] > MAX_REQUESTS_PER_PAGE or budget["bytes"] > MAX_BYTES_PER_PAGE:
            record.code = "page_budget_spent"
            await route.abort("blockedbyclient")
            return
        kind = ResourceKind.HTML if rtype == "document" else ResourceKind.OTHER
        # The page's cookies go with its requests, as a browser's would (a JavaScript challenge sets one): looked
        # up afresh for documents and API calls, once per host for the rest, so a flood of images costs one lookup.
        if rtype in COOKIE_REQUEST_TYPES or host not in jars:
            jars[host] = {c["name"]: c["value"] for c in await context.cookies(url)}
        jar = jars[host]
        loop = asyncio.get_running_loop()
        result: FetchResult = await loop.run_in_executor(
            self._pool, lambda: fetcher.fetch(url, kind, method=method, cookies=jar)
        )
        record.status, record.bytes = result.status, result.decoded_bytes
        record.transferred = result.encoded_bytes
        budget["bytes"] += result.decoded_bytes
        if result.status is None:
            refused = (result.error_code or "").startswith(("ssrf_", "invalid_url"))
            record.outcome, record.code = ("refused" if refused else "failed"), result.error_code
            await route.abort("blockedbyclient" if refused else "failed")
            return
        record.outcome = "fulfilled"
        if rtype == "document" and result.redirects and result.final_url != url:
            # The page's own URL must be where the guard ended up, or its relative links would resolve wrongly.
            await route.fulfill(status=302, headers={"Location": result.final_url}, body=b"")
            return
        headers: dict[str, str] = {}
        for name, value in result.headers:
            lower = name.lower()
            if lower in DROPPED_RESPONSE_HEADERS:
                continue
            headers[lower] = (
                f"{headers[lower]}\n{value}" if lower in headers and lower == "set-cookie" else value
            )
        await route.fulfill(status=result.status, headers=headers, body=result.body)


def tree_memory_mb(root: int) -> float:
    """Memory of a process and all its descendants in MiB: the proportional set size (shared pages split between
    the processes that map them, so Chromium's many processes are not counted many times); a process whose PSS
    cannot be read at that instant (starting or exiting) counts with its private resident pages only."""
    children: dict[int, list[int]] = {}
    try:
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return 0.0
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total_kib, queue = 0.0, [root]
    while queue:
        pid = queue.pop()
        total_kib += _pss_kib(pid)
        queue.extend(children.get(pid, []))
    return total_kib / 1024


def _pss_kib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    # Not its RSS: that counts every shared library and shared-memory page again, in full, for this process.
    try:
        with open(f"/proc/{pid}/statm") as handle:
            resident, shared = (int(value) for value in handle.read().split()[1:3])
    except (OSError, ValueError):
        return 0.0
    return max(0, resident - shared) * os.sysconf("SC_PAGE_SIZE") / 1024


@contextlib.contextmanager
def _node_options(options: str) -> Iterator[None]:
    # The driver copies this process's environment when it starts; nothing else here starts Node.js.
    before = os.environ.get("NODE_OPTIONS")
    os.environ["NODE_OPTIONS"] = f"{before} {options}" if before else options
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("NODE_OPTIONS", None)
        else:
            os.environ["NODE_OPTIONS"] = before


def _console(errors: list[str], message: Any) -> None:
    if message.type == "error" and len(errors) < 50:
        errors.append(str(message.text)[:300])


_process_renderer: Renderer | None = None
_process_lock = threading.Lock()


def renderer_for(settings: Settings) -> Renderer | None:
    """This process's renderer (started on first use); None when rendering is off or Chromium is missing.

    Raises BrowserUnavailable when the settings require a browser that cannot start.
    """
    global _process_renderer
    if settings.browser == "off" or settings.render_pages <= 0:
        return None
    with _process_lock:
        if _process_renderer is None:
            executable = find_chromium(settings)
            if executable is None:
                if settings.browser == "required":
                    raise BrowserUnavailable(
                        "no Chromium found (TECHSCANIQ_CHROMIUM_PATH, or chromium on the PATH); rendering is required"
                    )
                return None
            _process_renderer = Renderer(executable)
        renderer = _process_renderer
    try:
        renderer.start()
    except BrowserUnavailable:
        if settings.browser == "required":
            raise
        return None
    renderer.js_chains = chains_for(settings)
    return renderer


def _forget_renderer_after_fork() -> None:
    global _process_renderer, _process_lock
    _process_renderer = None  # the parent's browser and loop thread do not exist in a forked child
    _process_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_renderer_after_fork)
