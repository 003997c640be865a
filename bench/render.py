"""Rendering cost: seconds and CPU per rendered page, Chromium's memory, and the evidence step with and without it.

Memory is the proportional set size (PSS: shared pages split between the processes that map them) summed over a
process tree and sampled every 0.1 s; for the evidence step, over everything this benchmark started: the evidence
process and the Chromium it launched, which is the figure the 600 MB budget is about.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import free_port, median, write_table
from bench.crawl import DOMAIN, run_ours
from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.demo.site import build_site
from techscaniq.evidence.fetch import GuardedFetcher
from techscaniq.evidence.render.browser import MEMORY_GROWTH_MB, Renderer, find_chromium, tree_memory_mb
from tests.support.http_servers import LoopbackHTTPServer, respond

SITE_PAGES = 500
RENDERED_PAGES = 12
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _tree(root: int) -> list[int]:
    """The pid and every descendant of a process."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def _cpu_and_rss(pids: list[int]) -> tuple[float, float]:
    cpu = rss = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICKS
            rss += int(fields[21]) * PAGE_SIZE / 1024 / 1024
        except (OSError, ValueError, IndexError):
            continue
    return cpu, rss


@contextmanager
def peak_memory(**measures: Callable[[], float]) -> Iterator[dict[str, float]]:
    """Sample every measure each 0.1 s while the block runs; their peaks land in the yielded dict, by name."""
    peak = dict.fromkeys(measures, 0.0)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for name, measure in measures.items():
                peak[name] = max(peak[name], measure())
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join()


def alone_memory_mb(root: int) -> float:
    """What a process tree would hold on a machine of its own, in MiB: every process's anonymous and shared-memory
    PSS, plus, once per executable, the largest file-backed resident set among its processes.

    Plain PSS also splits the pages of the Chromium binary with other people's browsers on a shared machine, so it
    falls when they run; this estimate does not.
    """
    return sum(alone_parts_mb(root).values())


def alone_parts_mb(root: int) -> dict[str, float]:
    """alone_memory_mb split by part: the Python worker, Playwright's Node.js driver, Chromium (anything else)."""
    anon_kib: dict[str, float] = {}
    file_kib: dict[str, float] = {}
    for pid in _tree(root):
        fields = _rollup(pid)
        if not fields:
            continue
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            exe = "?"
        part = _part(exe)
        anon_kib[part] = anon_kib.get(part, 0.0) + fields.get("Pss_Anon", 0.0) + fields.get("Pss_Shmem", 0.0)
        file_kib[exe] = max(file_kib.get(exe, 0.0), _status_kib(pid, "RssFile"))
    parts = {part: kib / 1024 for part, kib in anon_kib.items()}
    for exe, kib in file_kib.items():
        parts[_part(exe)] = parts.get(_part(exe), 0.0) + kib / 1024
    return parts


def _part(exe: str) -> str:
    name = os.path.basename(exe)
    if name.startswith("python"):
        return "worker"
    return "driver" if name == "node" else "Chromium"


def _rollup(pid: int) -> dict[str, float]:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            lines = handle.read().splitlines()[1:]
    except OSError:
        return {}
    return {name: float(rest.split()[0]) for name, _, rest in (line.partition(":") for line in lines) if rest}


def _status_kib(pid: int, name: str) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(f"{name}:"):
                    return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def children_memory_mb() -> float:
    """PSS of every process this one started, with their descendants, in MiB."""
    own = os.getpid()
    return sum(tree_memory_mb(pid) for pid in _tree(own) if pid != own and _parent(pid) == own)


def children_alone_mb(at_peak: dict[str, float] | None = None) -> float:
    """alone_memory_mb of everything this process started; `at_peak` keeps the split (alone_parts_mb) of the
    highest total seen."""
    own = os.getpid()
    parts: dict[str, float] = {}
    for pid in _tree(own):
        if pid != own and _parent(pid) == own:
            for part, mb in alone_parts_mb(pid).items():
                parts[part] = parts.get(part, 0.0) + mb
    total = sum(parts.values())
    if at_peak is not None and total > sum(at_peak.values()):
        at_peak.clear()
        at_peak.update(parts)
    return total


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def browser_figures(site_url: str, urls: list[str], dns_address: str) -> dict[str, float]:
    """Render the pages one by one with one browser; the browser tree's CPU and peak PSS, sampled."""
    executable = find_chromium(Settings.from_env())
    assert executable, "no Chromium on the PATH"
    settings = Settings().with_overrides(allow_networks=("127.0.0.0/24",), dns_servers=(dns_address,))
    renderer = Renderer(executable)
    renderer.start()
    pid = renderer.browser_pid()
    assert pid is not None
    seconds = []
    lcp, tbt = [], []

    def browser_alone() -> float:
        running = renderer.browser_pid()
        return alone_memory_mb(running) if running is not None else 0.0

    with (
        peak_memory(pss=renderer.memory_mb, alone=browser_alone) as peak,
        GuardedFetcher(settings) as fetcher,
    ):
        renderer.render(site_url, fetcher)  # warm: the first page pays for the profile and caches
        cpu_before = _cpu_and_rss(_tree(pid))[0]
        for index, url in enumerate(urls):
            started = time.perf_counter()
            page = renderer.render(url, fetcher, screenshot=index == 0)
            seconds.append(time.perf_counter() - started)
            if page.vitals:
                lcp.append(page.vitals["lcp_ms"] or 0.0)
                tbt.append(page.vitals["tbt_ms"] or 0.0)
        cpu = _cpu_and_rss(_tree(pid))[0] - cpu_before
    launches = renderer.launches
    renderer.close()
    return {
        "median_seconds": median(seconds),
        "max_seconds": max(seconds),
        "cpu_per_page": cpu / len(urls),
        "browser_peak_mb": peak["pss"],
        "browser_alone_mb": peak["alone"],
        "launches": launches,
        "pages_with_vitals": len(lcp),
        "median_lcp_ms": median(lcp),
        "median_tbt_ms": median(tbt),
    }


EMBEDS = 4  # cross-site iframes on the embed page, as a page with a video, a map, a chat and a form widget


def embed_figures(rounds: int = 3) -> dict[str, float]:
    """Render a page with EMBEDS cross-site iframes a few times; peak renderer processes and Chromium memory."""
    executable = find_chromium(Settings.from_env())
    assert executable, "no Chromium on the PATH"
    names = [f"embed{index}.vendor{index}-example.test" for index in range(EMBEDS)]
    with LoopbackDNSServer({}) as dns_server, LoopbackHTTPServer() as server:
        for name in [*names, "www.embedding-example.test"]:
            dns_server.set_records(name, "A", ["127.0.0.1"])
        frames = "".join(f'<iframe src="{server.url("/widget", name)}"></iframe>' for name in names)
        server.route("/", respond(200, f"<html><body><h1>Embeds</h1>{frames}</body></html>".encode()))
        widget = b"<html><body>widget<script>window.state = Array.from({length: 100000}, (_, i) => ({i}));</script>"
        server.route("/widget", respond(200, widget + b"</body></html>"))
        settings = Settings().with_overrides(
            allow_networks=("127.0.0.0/24",), dns_servers=(dns_server.address,)
        )
        renderer = Renderer(executable)
        renderer.start()

        def renderers() -> float:
            running = renderer.browser_pid()
            if running is None:
                return 0.0
            return float(sum(1 for pid in _tree(running) if b"--type=renderer" in _cmdline(pid)))

        def browser_alone() -> float:
            running = renderer.browser_pid()
            return alone_memory_mb(running) if running is not None else 0.0

        with (
            peak_memory(alone=browser_alone, renderers=renderers) as peak,
            GuardedFetcher(settings) as fetcher,
        ):
            for _ in range(rounds):
                renderer.render(server.url("/", "www.embedding-example.test"), fetcher)
        renderer.close()
    return {"alone_mb": peak["alone"], "renderers": peak["renderers"]}


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def main() -> None:
    """Measure the renderer alone on 12 pages, then the evidence step on a 500-page site with and without it."""
    directory = Path(tempfile.mkdtemp(prefix="techscaniq-render-bench-"))
    site = build_site(domain=DOMAIN, port=free_port(), pages=SITE_PAGES)
    urls = [
        u
        for cls in ("pricing", "integrations", "docs", "careers", "security", "customers", "about")
        for u in site.manifest["pages"][cls][:2]
    ][:RENDERED_PAGES]
    with SiteServer(site, port=site.port) as server, LoopbackDNSServer(site.dns_zone()) as dns_server:
        server.start()
        alone = browser_figures(site.url("www", "/"), urls, dns_server.address)
        embeds = embed_figures()
        with peak_memory(pss=children_memory_mb, alone=children_alone_mb) as off_peak:
            without = run_ours(site.url("www", "/"), dns_server.address, 1, directory / "off")
        split: dict[str, float] = {}
        with peak_memory(pss=children_memory_mb, alone=lambda: children_alone_mb(split)) as on_peak:
            with_render = run_ours(
                site.url("www", "/"),
                dns_server.address,
                1,
                directory / "on",
                extra_env={"TECHSCANIQ_BROWSER": "auto"},
            )
    others = other_chromium_processes()
    rows = [
        ["renderer alone, per page (median / max)", f"{alone['median_seconds']:.2f} / {alone['max_seconds']:.2f} s",
         f"{alone['cpu_per_page']:.2f} s (Chromium tree)", "",
         f"{alone['browser_alone_mb']:.0f} / {alone['browser_peak_mb']:.0f} (Chromium tree)"],
        [f"a page with {EMBEDS} cross-site iframes, 3 renders", "", "", "",
         f"{embeds['alone_mb']:.0f} alone (Chromium tree, {embeds['renderers']:.0f} renderer processes at most)"],
        [f"evidence step, {SITE_PAGES}-page site, rendering off", f"{without['seconds']:.1f} s",
         f"{without['cpu_seconds']:.1f} s", f"{without['peak_rss_mb']:.0f}",
         f"{off_peak['alone']:.0f} / {off_peak['pss']:.0f} (worker)"],
        [f"evidence step, {SITE_PAGES}-page site, {RENDERED_PAGES} pages rendered", f"{with_render['seconds']:.1f} s",
         f"{with_render['cpu_seconds']:.1f} s (worker only)", f"{with_render['peak_rss_mb']:.0f}",
         f"**{on_peak['alone']:.0f}** / {on_peak['pss']:.0f} (worker + driver + Chromium: "
         f"{split.get('worker', 0):.0f} + {split.get('driver', 0):.0f} + {split.get('Chromium', 0):.0f} alone)"],
    ]  # fmt: skip
    write_table(
        "render",
        "Rendering cost with the system Chromium",
        ["what", "wall time", "CPU", "peak RSS MB (worker)", "peak MB alone / PSS"],
        rows,
        notes=f"Browser: {find_chromium(Settings.from_env())}. Pages crawled: {int(without['pages'])} / {int(with_render['pages'])}; evidence items: "
        f"{int(without['items'])} / {int(with_render['items'])}. The renderer row renders {len(urls)} demo pages one "
        "by one after a warm-up page (every request through the guarded fetch; the demo's third-party tags do not "
        f"resolve, as offline; {int(alone['launches'])} browser launch(es), the browser is relaunched once it "
        f"holds {MEMORY_GROWTH_MB} MiB more than after its first page; lab vitals recorded on {int(alone['pages_with_vitals'])} pages, median LCP "
        f"{alone['median_lcp_ms']:.0f} ms, TBT {alone['median_tbt_ms']:.0f} ms). Memory is sampled every 0.1 s over "
        "a process tree: for the evidence step, the evidence process and every process it started (Playwright's Node.js driver and Chromium), "
        "the figure the 600 MB budget is about. **Alone** is what the tree would hold on a machine of its own: "
        "every process's anonymous and shared-memory proportional set size, plus once per executable the largest "
        "file-backed resident set among its processes (the Chromium binary and libraries, counted once). **PSS** "
        "is the plain proportional set size (a process caught starting or exiting counts its private pages); it "
        "also splits the Chromium binary's pages with other browsers on the machine, so it reads lower while they "
        f"run: {others} other Chromium processes were running when the table was written. The worker's RSS is its "
        "own peak (getrusage). Wall and CPU times are noisy: the machine was shared with other engineers' test "
        "runs; memory was not short.",
    )


def other_chromium_processes() -> int:
    """Chromium processes on the machine that this benchmark did not start."""
    own = set(_tree(os.getpid()))
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in own:
            try:
                if "chromium" in os.path.basename(os.readlink(f"/proc/{entry}/exe")):
                    count += 1
            except OSError:
                continue
    return count


if __name__ == "__main__":
    main()
