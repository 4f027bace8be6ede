"""A new user's walk through the LLM arena in a real browser, with screenshots: not a test (tests/test_e2e_browser.py
holds the golden paths), the check a person makes before calling the feature done, made repeatable.

Starts a llama.cpp server with the embedded SmolLM2 (an "LLM server" the operator configured, priced at $0.10 per
million tokens) and `streamlit run app.py` on a fresh data directory, then in Chromium: the demo dataset; Train with
the baseline, the prompted LLM on that server and the LoRA-tuned embedded LLM; Evaluate's scorecard and the
accuracy-against-cost chart; Chat with the tuned run; and the same Train and Evaluate pages in Chinese.

    python scripts/screenshot_walk.py OUT_DIR
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.llm_endpoint import llama_server  # noqa: E402
from tests.conftest import local_server  # noqa: E402
from tests.test_e2e_browser import CHROMIUM, go  # noqa: E402


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    proc, llm_url = llama_server()
    env = {"TUNELAB_DATA_DIR": tempfile.mkdtemp(prefix="walk-"),
           "TUNELAB_CHAT_ENDPOINTS": f"Local llama.cpp={llm_url}|smollm2|0.10"}
    try:
        with local_server(["-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.headless",
                           "true"], env=env, health="/_stcore/health", port_flag="--server.port") as url, \
                sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            try:
                english(page, url, out)
                chinese(page, url, out)
            finally:
                page.screenshot(path=str(out / "last.png"), full_page=True)
                browser.close()
    finally:
        proc.terminate()


def shot(page, out: Path, name: str) -> None:
    page.wait_for_timeout(1500)  # charts draw after the text appears
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    print("saved", name, flush=True)


def english(page, url: str, out: Path) -> None:
    page.goto(url)
    page.get_by_role("heading", name="Data").wait_for()
    page.get_by_role("button", name="Try it with the demo support tickets").click()
    page.get_by_role("button", name="Save and use this dataset").click()
    page.get_by_text("Saved 760 rows").wait_for()
    go(page, "Train")
    for box, keep in (("Sentence embeddings + logistic regression", False), ("Fine-tuned Transformer", False),
                      ("Prompted LLM (few-shot)", True), ("LoRA-tuned LLM", True)):
        page.get_by_role("checkbox", name=box, exact=True).set_checked(keep, force=True)
    page.get_by_text("Language model for the prompted LLM").wait_for()
    page.get_by_role("combobox", name="Language model for the prompted LLM").click()
    page.get_by_role("option", name="Server: Local llama.cpp").click()  # the prompted LLM asks the server
    page.get_by_text("Language model to tune").wait_for()  # LoRA gets its own local model
    page.get_by_label("The task, in one sentence (optional)").fill("Route each support ticket to the team that answers it")
    shot(page, out, "1-train-llm-choices-en")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Queued 3 run(s)").wait_for()
    shot(page, out, "2-train-running-en")
    page.get_by_text("3 finished job(s), newest first.").wait_for(timeout=1_500_000)
    shot(page, out, "3-train-finished-en")
    go(page, "Evaluate")
    page.get_by_text("Accuracy against the cost of labelling 1,000 texts").wait_for()
    shot(page, out, "4-evaluate-en")
    go(page, "Chat")
    page.get_by_text("Model and settings").click()
    page.get_by_text("A LoRA-tuned LLM from your runs").click()
    page.wait_for_timeout(2000)
    page.get_by_test_id("stChatInputTextArea").fill("Where is my parcel? It was due on Monday.")
    page.keyboard.press("Enter")
    page.get_by_test_id("stChatMessage").nth(1).wait_for(timeout=400_000)
    page.wait_for_timeout(20_000)  # the answer streams in
    shot(page, out, "5-chat-tuned-en")


def chinese(page, url: str, out: Path) -> None:
    page.goto(url + "/train?lang=zh")
    page.get_by_role("heading", name="训练").wait_for()
    page.get_by_role("checkbox", name="提示式大语言模型（少样本）", exact=True).set_checked(True, force=True)
    page.get_by_role("checkbox", name="LoRA 微调的大语言模型", exact=True).set_checked(True, force=True)
    page.wait_for_timeout(3000)
    shot(page, out, "6-train-llm-choices-zh")
    page.goto(url + "/evaluate?lang=zh")
    page.get_by_role("heading", name="评估").wait_for()
    page.wait_for_timeout(8000)
    shot(page, out, "7-evaluate-zh")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "walk"))
