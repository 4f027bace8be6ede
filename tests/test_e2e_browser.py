"""The golden path in a real browser: Playwright drives Debian's Chromium (headless)
against a real `streamlit run app.py` on 127.0.0.1. Upload a CSV, train the baseline,
see the confusion matrix on Evaluate, reload and still see the run. A <script> in a
cell must stay text. Screenshots land in test-artifacts/ on failure."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import pytest

pytestmark = pytest.mark.slow  # a real server and a real browser

from tests.conftest import ROOT, local_server  # noqa: E402 - after pytestmark, as pytest's own examples do

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


def _browser_or_skip():
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        if os.environ.get("TUNELAB_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required here (TUNELAB_REQUIRE_BROWSER=1) but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return pytest.importorskip("playwright.sync_api")


@pytest.fixture
def server(tmp_path):
    with local_server(["-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.headless", "true"],
                      env={"TUNELAB_DATA_DIR": str(tmp_path / "data")}, health="/_stcore/health",
                      port_flag="--server.port") as url:
        yield url


@contextmanager
def browser_page(shot: str, **page_args):
    """A headless Debian Chromium page; on failure a full-page screenshot goes to test-artifacts/."""
    sync_api = _browser_or_skip()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(**page_args)
        page.set_default_timeout(60_000)
        try:
            yield page
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
            raise
        finally:
            browser.close()


def nav(page, name: str) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()


def go(page, name: str, heading: str | None = None) -> None:
    """Navigate and wait for the page's title; a page that reruns itself as a job finishes (the Train page's
    live panel) can swallow a click that lands in the same instant, so click again."""
    for _ in range(4):
        nav(page, name)
        try:
            page.get_by_role("heading", name=heading or name, exact=True).wait_for(timeout=10_000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError; try the click again
            continue
    raise AssertionError(f"could not open the {name} page")


# The words of the steps every golden path shares, in each interface language.
UPLOAD = {"en": ("Data", "Cleaning report", "Save and use this dataset", "Saved {n} rows"),
          "zh": ("数据", "清洗报告", "保存并使用这个数据集", "已保存 {n} 行")}
TRAIN = {"en": ("Train", "Sentence embeddings + logistic regression", "Fine-tuned Transformer", "Start training",
                "Finished in"),
         "zh": ("训练", "句向量 + 逻辑回归", "微调 Transformer", "开始训练", "用时")}
SETFIT = {"en": "SetFit (few labels)", "zh": "SetFit（少量标签）"}  # ticked by the page when classes are small


FINISHED = {"en": "{n} finished job(s), newest first.", "zh": "{n} 个已结束的任务，最新的在前。"}


def upload_and_save(page, csv, rows: int, lang: str) -> None:
    """On the Data page (already open): upload `csv`, wait for the cleaning report, save it, see `rows` saved."""
    title, report, save, saved = UPLOAD[lang]
    page.get_by_role("heading", name=title).wait_for()
    page.locator("input[type=file]").first.set_input_files(str(csv))
    page.get_by_text(report).wait_for()
    page.get_by_role("button", name=save).click()
    page.get_by_text(saved.format(n=rows)).wait_for()


def train_the_baseline(page, lang: str, with_embeddings: bool = False, finished_before: int = 0) -> None:
    """Open Train, leave the always-trained baseline (and the embeddings model, if asked) ticked, start and wait
    until all have finished (the list counts `finished_before` + these). The boxes remember their state between
    visits, so each is set, not toggled."""
    title, embeddings, finetune, start, finished = TRAIN[lang]
    go(page, title)
    for box, keep in ((embeddings, with_embeddings), (finetune, False), (SETFIT[lang], False)):
        page.get_by_role("checkbox", name=box, exact=True).set_checked(keep, force=True)
    page.get_by_role("button", name=start).click()
    page.get_by_text(FINISHED[lang].format(n=finished_before + 1 + with_embeddings)).wait_for(timeout=180_000)


def test_upload_train_evaluate_reload(server, tmp_path, tiny_df):
    rows = tiny_df.copy()
    rows.loc[len(rows)] = ["<script>window.__xss = 1</script> wonderful and great", "positive"]
    csv = tmp_path / "reviews.csv"
    rows.to_csv(csv, index=False)
    with browser_page("e2e-failure", viewport={"width": 1400, "height": 1000}) as page:
        page.goto(server)
        upload_and_save(page, csv, 73, "en")
        train_the_baseline(page, "en", with_embeddings=True)
        nav(page, "Evaluate")
        page.get_by_text("Confusion matrix: TF-IDF baseline").wait_for()
        assert page.get_by_text("Device:").is_visible()  # the shared sidebar, on another page than the first
        page.reload()
        page.get_by_text("Confusion matrix: TF-IDF baseline").wait_for()
        # a tie (both get every test text right): the cheaper model, and why, not "the best model"
        page.get_by_text("The TF-IDF baseline is the sensible choice: as accurate as the MiniLM embeddings").wait_for()
        assert page.evaluate("window.__xss") is None  # the <script> cell never ran
        nav(page, "Predict")
        page.get_by_role("heading", name="Predict").wait_for()
        page.get_by_role("textbox", name="Text").fill("<b>wonderful</b> and great, I love it")
        page.get_by_role("button", name="Classify").click()
        page.locator("span[title]", has_text="wonderful").first.wait_for()  # the highlighted word, weight on hover
        assert float(page.locator("span[title]", has_text="love").first.get_attribute("title")) > 0
        page.get_by_text("Weighed most for 'positive'").first.wait_for()
        assert page.locator("b", has_text="wonderful").count() == 0  # the typed <b> is text, not markup
        go(page, "Chat")
        page.get_by_role("button", name="Explain my results").click()
        page.get_by_text("Written by Tunelab from your results").wait_for(timeout=60_000)  # not the 135M model's words
        assert page.get_by_test_id("stChatMessage").get_by_text("is the sensible choice").count() >= 1
        # a second dataset: saved, it is the current one on Data and Train, and Evaluate shows its runs only
        go(page, "Data")
        page.get_by_text("Demo dataset", exact=True).click()
        page.get_by_role("button", name="Use the demo dataset").click()
        page.get_by_role("button", name="Save and use this dataset").click()
        page.get_by_text("Saved 760 rows").wait_for()
        train_the_baseline(page, "en", finished_before=2)
        page.get_by_text("TF-IDF baseline · demo_tickets").first.wait_for()  # Train started on the new dataset
        go(page, "Evaluate")
        page.get_by_text("The TF-IDF baseline gets").wait_for()  # its one run: no comparison with the other data's
        assert page.get_by_text("MiniLM embeddings").count() == 0


def test_a_prompted_llm_beside_the_baseline(server, tmp_path, tiny_df):
    """The question every demo is asked first, answered on the user's rows: the embedded LLM, 4 examples per label,
    trained next to the baseline, then Evaluate's scorecard and the accuracy-against-cost chart."""
    csv = tmp_path / "reviews_llm.csv"
    tiny_df.to_csv(csv, index=False)
    with browser_page("e2e-llm-failure", viewport={"width": 1400, "height": 1000}) as page:
        page.goto(server)
        upload_and_save(page, csv, 72, "en")
        go(page, "Train")
        for box, keep in (("Sentence embeddings + logistic regression", False), ("Fine-tuned Transformer", False),
                          (SETFIT["en"], False), ("Prompted LLM (few-shot)", True)):  # SetFit: ticked for 24 a class
            page.get_by_role("checkbox", name=box, exact=True).set_checked(keep, force=True)
        page.get_by_text("The embedded model has 135 million parameters").wait_for()  # said before anyone waits
        page.get_by_role("button", name="Start training").click()
        page.get_by_text(FINISHED["en"].format(n=2)).wait_for(timeout=240_000)
        go(page, "Evaluate")
        page.get_by_text("Accuracy against the cost of labelling 1,000 texts").wait_for()
        assert page.get_by_text("Prompted SmolLM2-135M").count() >= 1


def test_a_deep_link_on_a_fresh_server_gets_the_app_navigation(server):
    """A reloaded tab on /evaluate right after a server restart must still run through app.py
    (Streamlit would otherwise treat pages/ as a legacy multipage app: see ui/boot.py)."""
    with browser_page("e2e-deeplink-failure") as page:
        page.goto(server + "/evaluate")
        page.get_by_role("heading", name="Evaluate").wait_for()
        page.get_by_text("Device:").wait_for()  # app.py's sidebar ran
        assert page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Data").count() == 1
        assert page.url.endswith("/evaluate")


def test_the_loop_flag_accept_new_version_retrain_compare(server, tmp_path):
    """Flag -> accept a correction -> v2 appears -> retrain the baseline -> Evaluate shows v1 against v2."""
    with browser_page("e2e-loop-failure", viewport={"width": 1400, "height": 1000}) as page:
        page.goto(server)
        page.get_by_role("heading", name="Data").wait_for()
        page.get_by_role("radio", name="Demo dataset").click() if page.get_by_role("radio", name="Demo dataset").count() \
            else page.get_by_text("Demo dataset", exact=True).click()
        page.get_by_role("button", name="Use the demo dataset").click()
        page.get_by_role("button", name="Save and use this dataset").click()
        page.get_by_text("Saved 760 rows").wait_for()
        train_the_baseline(page, "en")
        go(page, "Data")
        page.get_by_role("button", name="Check the labels of v1").click()
        page.get_by_role("heading", name="Review suspicious labels").wait_for(timeout=180_000)
        page.get_by_role("button", name="Accept").first.click()
        page.get_by_role("button", name="Save all 1 as v2").click()
        page.get_by_text("v1 · 1 run(s) → v2").wait_for()
        page.get_by_role("button", name="Retrain on v2").click()
        page.get_by_text("Queued 1 run(s) on v2").wait_for()  # before navigating, which would cut this run short
        go(page, "Train")
        from playwright.sync_api import expect

        page.get_by_text("demo_tickets v2").first.wait_for()
        expect(page.get_by_text("Jobs: 0 running, 0 queued")).to_be_visible(timeout=120_000)
        go(page, "Evaluate")
        page.get_by_role("heading", name="Across dataset versions").wait_for()
        page.get_by_text("v1 -> v2").first.wait_for()
        page.get_by_text("The TF-IDF baseline (v2) gets").wait_for()  # it opens on the newest version's runs
        # the Label page offers no text twice: not one already in the dataset, not a repeat within the file
        import pandas as pd

        known = pd.read_csv(ROOT / "assets" / "demo_tickets.csv")["ticket"].iloc[0]
        more = tmp_path / "more.csv"
        pd.DataFrame({"text": [known, "the app crashes when I open the invoice page", "please close my account today",
                               "please close my account today"]}).to_csv(more, index=False)
        go(page, "Label", "Label what matters next")
        page.locator("input[type=file]").first.set_input_files(str(more))
        page.get_by_role("button", name="Find the texts to label").click()
        page.get_by_role("button", name="Add 0 labelled text(s)").first.wait_for()
        assert page.locator("[role=grid]").first.get_attribute("aria-rowcount") == "3"  # a header and 2 new texts


def test_the_golden_path_in_chinese(server, tmp_path):
    """?lang=zh: upload a Chinese CSV, train the baseline, see Chinese labels and the Chinese summary on Evaluate;
    a reload keeps the language, the sidebar switch brings English back."""
    from tests.test_pages_zh import chinese_reviews

    csv = tmp_path / "餐厅评论.csv"
    chinese_reviews().to_csv(csv, index=False)
    with browser_page("e2e-zh-failure", viewport={"width": 1400, "height": 1000}) as page:
        page.goto(server + "/?lang=zh")
        upload_and_save(page, csv, 60, "zh")
        train_the_baseline(page, "zh")
        go(page, "评估")
        page.get_by_text("TF-IDF 基线在 ").first.wait_for()  # one run: its score, no comparison
        page.get_by_text("它在“").first.wait_for()  # the third sentence names the Chinese classes
        assert page.get_by_text("好评").count() + page.get_by_text("差评").count() > 0
        page.get_by_text("混淆矩阵：TF-IDF 基线").wait_for()
        go(page, "对话")  # the explanation in Chinese, written by Tunelab from the results, not by the 135M model
        page.get_by_role("button", name="解释我的结果").click()
        page.get_by_text("由 Tunelab 根据你的结果写出").wait_for(timeout=60_000)
        assert page.get_by_test_id("stChatMessage").get_by_text("条测试文本中答对").count() >= 1
        go(page, "评估")
        page.reload()
        page.get_by_role("heading", name="评估").wait_for()  # the URL kept ?lang=zh
        page.get_by_test_id("stSidebar").get_by_text("English").click()
        page.get_by_role("heading", name="Evaluate").wait_for()
        page.get_by_text("The TF-IDF baseline gets").wait_for()


def test_the_apis_docs_render_with_the_network_off(tmp_path, tiny_csv):
    """/docs and /redoc were blank offline: their scripts came from a CDN. Every request that leaves 127.0.0.1 is
    refused here, and both pages must still draw the API's endpoints."""
    from core.config import TrainConfig
    from core.train import run_training

    run_training(TrainConfig(), tiny_csv, tmp_path / "run")
    with local_server(["-m", "core", "serve", str(tmp_path / "run"), "--data-dir", str(tmp_path / "data")]) as url, \
            browser_page("e2e-docs-failure") as page:
        outside = []

        def local_only(route):
            if route.request.url.startswith("http://127.0.0.1"):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()
        page.route("**/*", local_only)
        page.goto(url + "/docs")
        page.get_by_text("/v1/classify").first.wait_for(timeout=30_000)  # Swagger UI drew the operations
        page.goto(url + "/redoc")
        page.get_by_text("/v1/classify").first.wait_for(timeout=30_000)  # so did ReDoc
        assert not [u for u in outside if u.endswith(".js") or u.endswith(".css")], outside
