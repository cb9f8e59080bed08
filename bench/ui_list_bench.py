"""The web UI's applications list in Chromium with thousands of apps.

    .venv/bin/python bench/ui_list_bench.py [--apps 2000] [--rounds 5] [--no-record]

The server is built as ``bench/api_bench.py`` builds it (a throwaway local cluster, ``kapstan
install``, N Applications with a controller's status written straight into the API server,
``kapstan server`` as its own process serving the bundled UI; no controller). Debian's
Chromium (Playwright with ``executable_path``; nothing is downloaded) signs in through the
login form, then, per view (tiles, table):

- **first render**: a fresh page opens ``/applications``; the time from navigation start
  (``performance.timeOrigin``) to the first app rows in the DOM, checked every animation
  frame — what the user waits for before the list is usable. ``--rounds`` loads;
- **filter**: search terms typed into the search box one after another (``app-01``,
  ``app-019``, ``app-0199``, ``app-01999``, then cleared): the time from the input event to the
  next frame after the rows shown all match the term, 3 rounds.

Goals (issue 14): list usable in under 1.5 s, filter under 100 ms. Rows are printed with the
machine and Chromium's version and appended to bench/README.md (``--no-record`` skips that).
`make ui` must have built the UI first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import readme
from api_bench import NS, _create, initial_password, machine, wait_listed

from kapstan.api.static import BUNDLED
from kapstan.demo.children import install
from kapstan.localcluster.cluster import LocalCluster
from kapstan.testing.apiserver import ApiServerProcess

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 800}
SECTION = "## Web UI list (`bench/ui_list_bench.py`)"
HEADER = (
    "| machine | browser | view | apps | first render p50 / max | filter p50 / max |\n"
    "|---|---|---|---|---|---|"
)
TERMS = ["app-01", "app-019", "app-0199", "app-01999", ""]  # each one changes the list
FILTER_ROUNDS = 3

# Resolves with performance.now() (ms since navigation start) once app rows are in the DOM.
FIRST_ROWS = "() => document.querySelector('[data-app] a') ? performance.now() : false"
# When the list's answer (GET api/v1/applications) had fully arrived, and when the page had it
# parsed (its performance mark), ms since navigation start.
LIST_ANSWERED = """() => [
    performance.getEntriesByType('resource')
        .filter(e => e.name.includes('api/v1/applications?')).map(e => e.responseEnd)[0] || 0,
    performance.getEntriesByName('kapstan:applications-listed').map(e => e.startTime)[0] || 0,
]"""
# Types `term` into the search box as one input event; resolves with the ms until the frame
# after the rows shown all match it (the list the user sees is the filtered one), and until the
# DOM matched (React's commit, before layout and paint).
FILTER = """async term => {
    const input = document.querySelector('input[type=search]');
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const matches = () => {
        const rows = [...document.querySelectorAll('[data-app]')];
        const names = rows.map(r => r.dataset.app.split('/')[1]);
        return rows.length > 0 && (term === ''
            ? names.includes('app-00000')
            : names.every(n => n.includes(term)));
    };
    let updated = 0;
    const done = new Promise((resolve, reject) => {
        const give_up = setTimeout(() => reject(new Error('list not updated for ' + term)), 10000);
        // Checked on every DOM change (when React commits), not only once a frame.
        const observer = new MutationObserver(() => {
            if (!matches()) return;
            updated = performance.now();
            observer.disconnect();
            clearTimeout(give_up);
            resolve();
        });
        observer.observe(document.body, {subtree: true, childList: true, attributes: true});
    });
    const started = performance.now();
    setValue.call(input, term);
    input.dispatchEvent(new Event('input', {bubbles: true}));
    await done;
    await new Promise(resolve => requestAnimationFrame(() => resolve()));
    return [performance.now() - started, updated - started];
}"""


def sign_in(page: Any, base: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/applications")


def first_render(
    context: Any, base: str, rounds: int
) -> tuple[list[float], list[float], list[float]]:
    """(first rows visible, list answer received, list parsed) per load, ms since navigation
    start."""
    rendered, answered, parsed = [], [], []
    for _ in range(rounds):
        page = context.new_page()
        page.goto(f"{base}/applications", wait_until="commit")
        handle = page.wait_for_function(FIRST_ROWS, polling="raf", timeout=60_000)
        rendered.append(float(handle.json_value()))
        received, read = page.evaluate(LIST_ANSWERED)
        answered.append(float(received))
        parsed.append(float(read))
        page.close()
    return rendered, answered, parsed


def filter_times(context: Any, base: str) -> tuple[list[float], list[float]]:
    """Per search term: (ms to the frame after the list matched, ms to the DOM matching)."""
    page = context.new_page()
    page.goto(f"{base}/applications")
    page.wait_for_function(FIRST_ROWS, polling="raf", timeout=60_000)
    page.wait_for_timeout(500)  # the stream is open and the first render settled
    found = [page.evaluate(FILTER, term) for _ in range(FILTER_ROUNDS) for term in TERMS]
    page.close()
    return [float(painted) for painted, _ in found], [float(dom) for _, dom in found]


def measure(base: str, password: str, apps: int, rounds: int) -> list[str]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            sign_in(context.new_page(), base, password)
            for view in ("tiles", "table"):
                context.add_init_script(f"localStorage.setItem('kapstan.apps.view', '{view}')")
                first_render(context, base, 1)  # warm the browser's cache: a returning user
                loads, answers, parsed = first_render(context, base, rounds)
                filters, committed = filter_times(context, base)
                # The machine may be shared: the load says how much the figures are worth.
                load = os.getloadavg()[0]
                rows.append(
                    f"| {machine()}, load {load:.1f} | Chromium {browser.version} | {view} | "
                    f"{apps} | "
                    f"{statistics.median(loads):.0f} / {max(loads):.0f} ms "
                    f"(list answered at {statistics.median(answers):.0f} ms) | "
                    f"{statistics.median(filters):.0f} / {max(filters):.0f} ms |"
                )
                print(rows[-1], flush=True)
                print(f"  loads {[round(v) for v in loads]} ms", flush=True)
                print(f"  list answered {[round(v) for v in answers]} ms", flush=True)
                print(f"  list parsed {[round(v) for v in parsed]} ms", flush=True)
                print(f"  filters {[round(v, 1) for v in filters]} ms", flush=True)
                print(f"  DOM updated {[round(v, 1) for v in committed]} ms", flush=True)
            context.close()
        finally:
            browser.close()
    return rows


def run(args: argparse.Namespace) -> list[str]:
    if not (BUNDLED / "index.html").is_file():
        raise SystemExit(f"the web UI is not built in {BUNDLED}: run `make ui`")
    with tempfile.TemporaryDirectory(prefix="kapstan-ui-bench-") as tmp:
        root = Path(tmp)
        cluster = LocalCluster(root / "cluster", nodes=1)
        server: ApiServerProcess | None = None
        try:
            print("starting a local cluster", flush=True)
            cluster.start()
            install(cluster.kubeconfig, NS)
            env = {**os.environ, "KAPSTAN_CACHE": str(root / "cache"), "HOME": str(root)}
            server = ApiServerProcess(cluster.kubeconfig, NS, root / "server.log", env=env)
            server.start()
            print(f"creating {args.apps} apps", flush=True)
            asyncio.run(_create(cluster, 0, args.apps))
            password = initial_password(cluster)
            with server.client(timeout=120.0) as http:
                token = http.post(
                    "/api/v1/session", json={"username": "admin", "password": password}
                ).json()["token"]
                http.headers["Authorization"] = f"Bearer {token}"
                wait_listed(http, args.apps)
            return measure(server.base_url, password, args.apps, args.rounds)
        finally:
            if server is not None:
                server.stop()
            cluster.destroy()


def record(rows: list[str]) -> None:
    readme.record(SECTION, HEADER, rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    rows = run(args)
    if not args.no_record:
        record(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
