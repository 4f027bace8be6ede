"""Soak test of the job queue with no browser open (bounded, 127.0.0.1 only).

A real `streamlit run app.py` on 127.0.0.1; three separate browser sessions (Playwright
driving Debian's Chromium) each open the Train page, start the three contenders on the
demo set with the Quick demo preset (3 runs each, 9 in all) and close their tab at once.
Then nobody looks: the script only reads the SQLite index until every job has ended (or
15 minutes pass). Target: all 9 done with no tab open, each started exactly once.

    python benchmarks/soak_queue.py
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import write_section  # noqa: E402
from core.data.cleaning import load_dataset  # noqa: E402
from core.data.datasets import DEMO_PATH, save_dataset  # noqa: E402
from core.runs import RunFolder  # noqa: E402
from core.store import FINAL, Store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SESSIONS, LIMIT_S = 3, 15 * 60
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"], cwd=ROOT,
                            env={**os.environ, "TUNELAB_DATA_DIR": str(data_dir)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the Streamlit server did not start")


def start_runs_and_close(url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for _ in range(SESSIONS):  # a context is a separate browser session (its own cookies and websocket)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(url + "/train")
            page.get_by_role("heading", name="Train").wait_for()
            page.get_by_role("button", name="Start training").click()
            page.get_by_text("Queued 3 run(s)").wait_for()
            context.close()  # the tab closes; nothing of this session is left
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        store = Store(data_dir)
        save_dataset(store, load_dataset(DEMO_PATH), DEMO_PATH.read_bytes(), DEMO_PATH.name)
        server, url = start_server(data_dir)
        try:
            t0 = time.time()
            start_runs_and_close(url)
            closed = time.time()
            while time.time() - t0 < LIMIT_S:
                jobs = store.jobs()
                if len(jobs) == 3 * SESSIONS and all(j.status in FINAL for j in jobs):
                    break
                time.sleep(2)
            report(store, closed - t0, time.time() - closed)
        finally:
            server.terminate()
            server.wait(timeout=30)


def report(store: Store, submit_s: float, wait_s: float) -> None:
    jobs = store.jobs()
    starts = {j.id: sum(e.get("message", "").startswith("Read ") for e in RunFolder(store.run_dir(j.id)).progress())
              for j in jobs}
    done = sum(j.status == "done" for j in jobs)
    once = sum(n == 1 for n in starts.values())
    ok = len(jobs) == 3 * SESSIONS and done == len(jobs) and once == len(jobs)
    rows = "\n".join(f"| {j.name} | {j.status} | {starts[j.id]} | "
                     f"{(j.finished or 0) - (j.started or 0):.0f} |" for j in sorted(jobs, key=lambda j: j.created))
    write_section("Queue soak: 9 runs from 3 closed tabs", f"""
{SESSIONS} browser sessions (Playwright, Debian Chromium) against a real `streamlit run app.py` on 127.0.0.1 each
started the three contenders on the demo set (Quick demo preset) and closed their tab at once; then only the SQLite
index was read. Tabs were open for {submit_s:.0f} s in all; the queue then ran {wait_s:.0f} s with no tab open.

**{done} of {len(jobs)} runs done, {once} started exactly once: {"target met" if ok else "TARGET MISSED"}.**

| run | status | times started | seconds running |
|---|---|---|---|
{rows}
""")


if __name__ == "__main__":
    main()
