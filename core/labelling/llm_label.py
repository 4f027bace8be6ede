"""An LLM labels a pile of texts: the prompted LLM contender (core.contenders.llm) with the user's class names and
descriptions, zero-shot or with a few examples, and no training rows.

Resumable: every scored chunk is appended to `<out>.scores.jsonl` (one line per text: its position, a hash of its
text and the label probabilities) and flushed before the next chunk is sent, so a cancel, a crash or a server
restart loses at most the chunk in flight, and a rerun with the same --out sends only the texts not scored yet:
nothing labelled is paid for twice. The file's first line fingerprints the settings; a rerun with other settings
is refused rather than mixing two labellers' answers. The finished CSV holds text, label, confidence and source
(`llm:<model>`); the scores file stays, as the teacher's record (core.labelling.teacher).
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.contenders.base import check_stop
from core.contenders.llm import CONTENT_FREE, MAX_EXAMPLE_CHARS
from core.errors import DataError
from core.runs import llm_name

MAX_CLASSES = 50  # every label is scored for every text: 50 labels is 50x the tokens of one
MAX_CLASS_CHARS = 60
CHUNK = 16  # texts scored between two writes of the scores file: at most this many are lost to a kill
SUMMARY = "labelling.json"  # beside the scores: model, speed, tokens, cost


def parse_classes(text: str) -> list[str]:
    """Class names from "a, b, c" or one a line; refuses fewer than two, duplicates and overlong names."""
    parts = str(text or "").splitlines() if "\n" in str(text or "") else str(text or "").split(",")
    names = [p.strip() for p in parts if p.strip()]
    if len(names) < 2:
        raise DataError("Name at least two categories (for example: billing, shipping), separated by commas.")
    seen: dict[str, str] = {}
    for name in names:
        if name.casefold() in seen:
            raise DataError("The category '{name}' is named twice; give each category once.", name=name[:60])
        if len(name) > MAX_CLASS_CHARS:
            raise DataError("A category name is at most {n} characters; describe it in the descriptions instead.",
                            n=MAX_CLASS_CHARS)
        seen[name.casefold()] = name
    if len(names) > MAX_CLASSES:
        raise DataError("At most {n} categories can be labelled by an LLM; merge some.", n=MAX_CLASSES)
    return sorted(names)


MAX_SHOTS = 8  # examples per category at most: k x categories examples must fit the model's context


def read_shots(source: str | Path | bytes, classes: list[str], filename: str | None = None) -> list[tuple[str, str]]:
    """Examples for the prompt from a file (a path, or an upload's bytes) with a text and a label column; every
    label must be a category; at most MAX_SHOTS a category are kept."""
    from core.data.cleaning import load_dataset  # put off: loads pandas' readers

    df = load_dataset(source, filename).df
    unknown = sorted(set(df["label"]) - set(classes))
    if unknown:
        raise DataError("The examples file has labels that are not among the categories: {labels}.",
                        labels=", ".join(unknown[:5]))
    df = df.groupby("label", sort=False).head(MAX_SHOTS)
    return [(t[:MAX_EXAMPLE_CHARS], y) for t, y in zip(df["text"], df["label"], strict=True)]


@dataclass(frozen=True)
class LabelSettings:
    """What decides the labels an LLM gives: saved as the scores file's first line."""

    classes: list[str]
    llm: str = "default"
    descriptions: str = ""
    task: str = ""
    shots: list = field(default_factory=list)  # [[text, label], ...]
    requests: int = 8

    def fingerprint(self) -> str:
        fixed = {k: v for k, v in asdict(self).items() if k != "requests"}  # requests change speed, not labels
        return hashlib.sha256(json.dumps(fixed, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]

    @property
    def source(self) -> str:
        return f"llm:{llm_name(self.llm)}"


def labeller(settings: LabelSettings):
    """The prompted LLM contender set up for these categories, without training rows (nothing to fit)."""
    from core.contenders.llm import LLMClassifier  # put off: loads torch when the model is local

    model = LLMClassifier.restored({
        "params": {"llm": settings.llm, "shots": len(settings.shots), "task": settings.task, "calibrate": False,
                   "descriptions": settings.descriptions, "requests": settings.requests},
        "classes": list(settings.classes), "examples": [tuple(e) for e in settings.shots],
        "content_free": [0.0] * len(settings.classes), "calibrated": False})
    model._prepare()
    return model


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def scores_path(out: str | Path) -> Path:
    return Path(f"{out}.scores.jsonl")


def summary_path(out: str | Path) -> Path:
    return Path(f"{out}.{SUMMARY}")


def read_scores(out: str | Path, settings: LabelSettings, texts: list[str]) -> dict[int, list[float]]:
    """What an earlier run with the same --out already scored: {position: raw probabilities}, and under -1 the
    content-free scores that calibrate them. A half-written last line is skipped; other settings, or texts that
    moved, are refused in one sentence."""
    path = scores_path(out)
    if not path.is_file() or not path.stat().st_size:
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    head = json.loads(lines[0]) if lines else {}
    if head.get("fingerprint") != settings.fingerprint():
        raise DataError("'{file}' holds labels made with other settings (model, categories, descriptions or "
                        "examples); choose another --out, or delete it to start again.", file=path.name)
    done = {}
    for line in lines[1:]:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # the writer was killed mid-line
            continue
        if "content_free" in row:
            done[-1] = row["content_free"]
            continue
        i = int(row["i"])
        if i >= len(texts) or text_hash(texts[i]) != row["h"]:
            raise DataError("'{file}' was made for a different file of texts; choose another --out.", file=path.name)
        done[i] = row["p"]
    return done


def label_texts(texts: list[str], out: str | Path, settings: LabelSettings, *, on_progress=None,
                should_stop=None) -> pd.DataFrame:
    """Label every text (resuming from `out`'s scores file), write `out` as CSV and return its frame."""
    emit = on_progress or (lambda e: None)
    if not texts:
        raise DataError("There are no texts to label; the file's text column is empty.")
    done = read_scores(out, settings, texts)
    todo = [i for i in range(len(texts)) if i not in done]
    emit({"event": "start", "total_steps": len(texts), "resumed": len(texts) - len(todo)})
    if todo:
        model, before, t0 = labeller(settings), len(texts) - len(todo), time.time()
        try:
            _score(model, texts, todo, done, out, settings, emit, should_stop)
        finally:  # a stopped sitting's texts were paid for too
            _write_summary(out, settings, model, len(done) - (-1 in done) - before, time.time() - t0)
    frame = labelled_frame(texts, done, settings)
    try:
        frame.to_csv(out, index=False)
    except OSError as exc:
        raise DataError("Could not write {path}: {why}.", path=str(out), why=exc.strerror or str(exc)) from exc
    emit({"event": "log", "message": f"Labelled {len(texts)} texts ({len(texts) - len(todo)} from before)."})
    return frame


def _score(model, texts, todo, done, out, settings, emit, should_stop) -> None:
    """Score the `todo` positions chunk by chunk into `done` and the scores file."""
    path, t0 = scores_path(out), time.time()
    step = max(CHUNK, settings.requests)  # a server gets `requests` texts in flight at once
    with path.open("a", encoding="utf-8") as f:
        if path.stat().st_size == 0:
            f.write(json.dumps({"fingerprint": settings.fingerprint(), "classes": settings.classes}) + "\n")
        if -1 not in done:  # what the model answers to a text that says nothing: its bias, for calibration
            done[-1] = [round(float(x), 6) for x in model._raw(CONTENT_FREE).mean(axis=0)]
            f.write(json.dumps({"content_free": done[-1]}) + "\n")
        for start in range(0, len(todo), step):
            check_stop(should_stop)  # what is scored is already on disk
            chunk = todo[start:start + step]
            proba = np.asarray(model._raw([texts[i] for i in chunk]))
            for i, p in zip(chunk, proba, strict=True):
                done[i] = [round(float(x), 6) for x in p]
                f.write(json.dumps({"i": i, "h": text_hash(texts[i]), "p": done[i]}) + "\n")
            f.flush()
            elapsed = time.time() - t0  # below, len(done) - 1: done also holds the content-free entry
            emit({"event": "step", "step": len(done) - 1, "total_steps": len(texts), "elapsed_s": round(elapsed, 1),
                  "eta_s": round(elapsed / (start + len(chunk)) * (len(todo) - start - len(chunk)))})


def _write_summary(out, settings: LabelSettings, model, scored: int, seconds: float) -> None:
    """Speed and cost of this sitting, added to earlier sittings': the teacher's row of the scorecard."""
    from core.recommend import usage_per_text  # put off: loads pandas

    path = summary_path(out)
    old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    usage = model.usage()
    summary = {"llm": settings.llm, "source": settings.source, "reference": model.reference_,
               "price": model.price_, "coarse": bool(usage["coarse"]), "texts": old.get("texts", 0) + scored,
               "seconds": round(old.get("seconds", 0) + seconds, 2),
               "usage": {k: old.get("usage", {}).get(k, 0) + v for k, v in usage.items()}}
    summary["speed"] = {"texts_per_s": round(summary["texts"] / max(summary["seconds"], 1e-6), 2),
                        **usage_per_text({k: 0 for k in summary["usage"]}, summary["usage"], model.price_)}
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")


def final_proba(scores: dict[int, list[float]], n: int) -> tuple[np.ndarray, bool]:
    """The labels' probabilities for texts 0..n-1, and whether they are calibrated. With no human label to decide
    on, contextual calibration is kept when the raw answers pile onto fewer labels than the calibrated ones (higher
    entropy of the label counts): the bias it corrects (the embedded SmolLM2 put 117 of 120 demo tickets in
    'billing'; calibrated, 99) shows exactly as that pile-up."""
    from core.contenders.llm_scoring import calibrated

    raw = np.array([scores[i] for i in range(n)])
    fixed = calibrated(raw, np.array(scores[-1]))
    keep = _spread(fixed.argmax(1), raw.shape[1]) > _spread(raw.argmax(1), raw.shape[1])
    return (fixed if keep else raw), bool(keep)


def _spread(picks: np.ndarray, k: int) -> float:
    share = np.bincount(picks, minlength=k) / max(len(picks), 1)
    return float(-(share[share > 0] * np.log(share[share > 0])).sum())


def labelled_frame(texts: list[str], scores: dict[int, list[float]], settings: LabelSettings) -> pd.DataFrame:
    proba, _ = final_proba(scores, len(texts))
    return pd.DataFrame({"text": texts, "label": [settings.classes[j] for j in proba.argmax(1)],
                         "confidence": proba.max(1).round(4), "source": settings.source})
