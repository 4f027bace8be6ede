"""The multi-label golden path in a real browser: the demo tickets with several labels each -> the Data page says
so -> the baseline trains -> Evaluate shows micro-F1, which labels come together, and a label's threshold moved,
read as a sentence and saved into the model with a name -> Predict gives a text its labels."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # a real server and a real browser

from tests.test_e2e_browser import FINISHED, browser_page, go, server  # noqa: E402,F401 - the fixture, reused


def test_multi_label_demo_to_thresholds_to_predict(server):  # noqa: F811 - the imported fixture
    with browser_page("e2e-multilabel-failure", viewport={"width": 1400, "height": 1100}) as page:
        page.goto(server)
        page.get_by_role("heading", name="Data").wait_for()
        page.get_by_text("Demo dataset", exact=True).click()
        page.get_by_text("Several labels a text", exact=True).click()
        page.get_by_role("button", name="Use the demo dataset").click()
        page.get_by_text("Several labels per text: 7 labels, 1.8 per text on average").wait_for()
        assert page.get_by_role("switch", name="Each text can have several labels").is_checked()
        page.get_by_role("button", name="Save and use this dataset").click()
        page.get_by_text("Saved 400 rows").wait_for()
        go(page, "Train")
        page.get_by_text("Texts in this dataset can have several labels").wait_for()
        for box in ("Sentence embeddings + logistic regression", "Fine-tuned Transformer", "SetFit (few labels)"):
            page.get_by_role("checkbox", name=box, exact=True).set_checked(False, force=True)
        assert page.get_by_role("checkbox", name="LoRA-tuned LLM", exact=True).is_disabled()
        page.get_by_role("button", name="Start training").click()
        page.get_by_text(FINISHED["en"].format(n=1)).wait_for(timeout=180_000)
        go(page, "Evaluate")
        page.get_by_text("Labels given together (test rows)").wait_for()
        page.get_by_text("It gives").first.wait_for()  # the label-set sentence of the summary
        page.get_by_role("heading", name="Thresholds").wait_for()
        page.get_by_role("slider").first.focus()
        page.keyboard.press("End")  # 0.99: almost nothing flagged
        page.get_by_text("At 0.99").wait_for()
        page.get_by_role("textbox", name="Your name (saved with the threshold)").fill("Ada")
        page.get_by_role("button", name="Save 0.99 into the model").click()
        page.get_by_text("Last set by Ada on").wait_for()
        go(page, "Predict")
        page.get_by_role("textbox", name="Text").fill("I was charged twice and this is completely unacceptable")
        page.get_by_role("button", name="Classify").click()
        page.get_by_text("Probabilities").first.wait_for()
        page.screenshot(path="test-artifacts/multilabel-predict.png", full_page=True)
