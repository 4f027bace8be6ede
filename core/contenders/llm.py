"""Contender 4: a prompted generative LLM, zero-shot or with k examples per label.

"Why not just ask a large language model?" is answered on the user's own held-out rows: the LLM is a contender
like the others, so evaluation, CIs, calibration charts, explanations (occlusion), Predict, the report and the API
work on it unchanged. It labels by scoring every label's tokens (core.contenders.llm_scoring), not by generating
and matching text, and `fit` trains nothing: it picks the examples, measures contextual calibration on the
validation rows and keeps it only where it raises macro-F1. The run folder holds the prompt, the examples, the
calibration and the model's reference (never its weights).

Models: "default" is the embedded SmolLM2-135M-Instruct (its GGUF read by transformers; 135M parameters is too
few to classify well, and the Train page says so), a name in the chat-models folder (core.chat.local), a .gguf
file, a model folder, or a Hub id when online.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from core.chat.endpoints import is_endpoint
from core.checkpoints import pick_device
from core.contenders import llm_endpoint, llm_sets
from core.contenders import llm_scoring as scoring
from core.contenders.base import (
    ClassifierMixin,
    ProgressFn,
    StopFn,
    check_fit_inputs,
    check_stop,
    is_sets,
    read_meta,
)
from core.contenders.llm_endpoint import EndpointScorer
from core.contenders.llm_models import load_llm, require_model, resolve_llm
from core.errors import DataError

CONTENT_FREE = ["N/A", "", "[MASK]"]  # Zhao et al. 2021: texts that say nothing, to read the prompt's bias
MAX_EXAMPLE_CHARS = 300  # an example longer than this is cut: k x labels examples must fit the context
MAX_LOSSES = 0.1  # calibration is kept when it lowers validation macro-F1 in at most 10% of bootstrap resamples
CHUNK = 16  # validation texts between progress events (and in flight at once to a server, up to `requests`)
VAL_ROWS = 200  # validation rows scored to decide on calibration (~1 min for SmolLM2 with 5 labels on 2 cores)


class LLMClassifier(ClassifierMixin):
    """A prompted LLM scored label by label; `shots` examples per label from the training rows."""

    kind = "llm"

    def __init__(self, llm: str = "default", shots: int = 4, task: str = "", calibrate: bool = True,
                 seed: int = 42, descriptions: str = "", requests: int = 8):
        self.llm = llm
        self.shots = shots  # examples per label in the prompt; 0 = zero-shot
        self.task = task  # what the model is told the job is; a plain default when empty
        self.calibrate = calibrate  # try contextual calibration (kept only if validation macro-F1 rises)
        self.seed = seed
        self.descriptions = descriptions  # "label: what it means", a line per label (optional)
        self.requests = requests  # requests in flight at once to an LLM server (a local model takes one at a time)

    def fit(self, texts, labels, *, on_progress: ProgressFn = None, should_stop: StopFn = None,
            eval_set: tuple[list[str], list[str]] | None = None) -> "LLMClassifier":
        """Pick the examples, build the prompt, and decide on calibration from `eval_set`; trains no weight."""
        texts, labels, self.classes_ = check_fit_inputs(texts, labels)
        self.multi_label_ = is_sets(labels)
        if self.multi_label_ and is_endpoint(self.llm):
            raise DataError("A language model on a server gives each text one label here; for texts with several "
                            "labels pick the embedded model or one in the chat-models folder.")
        emit = on_progress or (lambda e: None)
        self.examples_ = llm_sets.pick_examples(texts, labels, self.classes_, self.shots, self.seed, _diverse,
                                                MAX_EXAMPLE_CHARS) if self.multi_label_ else \
            pick_examples(texts, labels, self.classes_, self.shots, self.seed)
        self.history_ = []
        rows = list(zip(*eval_set, strict=True))[:VAL_ROWS] if eval_set else []
        emit({"event": "start", "total_steps": len(rows), "device": pick_device(), "train_rows": len(texts)})
        self._prepare()
        if self.multi_label_:  # one yes/no a label: its threshold, tuned on validation rows, does calibration's job
            self.content_free_, self.calibrated_, self.coarse_ = np.zeros(len(self.classes_)), False, False
            return self
        self._decide_calibration(rows, emit, should_stop, done=0)
        return self

    def _decide_calibration(self, rows: list[tuple[str, str]], emit, should_stop: StopFn, done: int) -> None:
        """Score the validation rows with and without contextual calibration; keep it only if macro-F1 rises, and
        not by luck (scoring.calibration_losses).
        Progress steps count on from `done` (the steps of training before it, if any)."""
        t0 = time.time()
        self.content_free_ = self._raw(CONTENT_FREE).mean(axis=0)
        self.calibrated_, raw = False, []
        for start in range(0, len(rows), CHUNK):
            check_stop(should_stop)  # nothing learned to keep: FitStopped propagates
            raw += list(self._raw([text for text, _ in rows[start:start + CHUNK]]))
            emit({"event": "step", "step": done + len(raw), "total_steps": done + len(rows),
                  "elapsed_s": round(time.time() - t0, 1)})
        self.coarse_ = bool(self.usage_["coarse"])  # a server without log-probabilities: said on the run's card
        if not rows:
            return
        truth, raw = [label for _, label in rows], np.array(raw)
        adjusted = scoring.calibrated(raw, self.content_free_)
        plain, fixed = scoring.macro_f1(truth, raw, self.classes_), scoring.macro_f1(truth, adjusted, self.classes_)
        losses = scoring.calibration_losses(truth, raw, self.content_free_, self.classes_, self.seed)
        # never kept where it does not help, nor where its gain is as likely luck (lower in >10% of resamples)
        self.calibrated_ = bool(self.calibrate and fixed > plain and losses <= MAX_LOSSES)
        kept = adjusted if self.calibrated_ else raw
        accuracy = float(np.mean([self.classes_[i] == t for i, t in zip(kept.argmax(1), truth, strict=True)]))
        event = {"event": "eval", "step": done + len(rows), "val_accuracy": round(accuracy, 4),
                 "val_macro_f1": round(fixed if self.calibrated_ else plain, 4),
                 "val_macro_f1_uncalibrated": round(plain, 4), "val_macro_f1_calibrated": round(fixed, 4),
                 "calibration_losses": round(losses, 3), "calibrated": self.calibrated_}
        self.history_.append(event)
        emit(event)

    def predict_proba(self, texts) -> np.ndarray:
        proba = self._raw([str(t) for t in texts])
        return scoring.calibrated(proba, self.content_free_) if self.calibrated_ else proba

    def _raw(self, texts: list[str]) -> np.ndarray:
        """Uncalibrated label probabilities; counts texts, tokens and CPU seconds in `usage_`."""
        cpu = time.process_time()
        if isinstance(self._scorer, EndpointScorer):  # it adds the server's token counts to usage_ itself
            proba = self._scorer.probas(texts)
        else:
            proba = np.array([self._proba_one(t) for t in texts]).reshape(-1, len(self.classes_))
        self.usage_["texts"] += len(texts)
        self.usage_["cpu_s"] += time.process_time() - cpu
        return proba

    def _proba_one(self, text: str) -> np.ndarray:
        ids = scoring.encode(self.tokenizer_, self._rest(text))
        self.usage_["tokens_in"] += len(ids) + self._scorer.prefix_len + sum(map(len, self._scorer.labels))
        scores = self._scorer.log_scores(ids)
        return llm_sets.yes_probability(scores) if self.multi_label_ else scoring.normalise(scores)

    def usage(self) -> dict:
        """Texts labelled, tokens read and written, CPU seconds of this process, coarse answers, since loading."""
        return dict(self.usage_)

    def _prepare(self) -> None:
        """Load the model (or reach the server) and build the prompt's parts and the prefix's cache."""
        self.usage_ = fresh_usage()
        turn = llm_sets.system_turn if self.multi_label_ else scoring.system_turn
        system = turn(self.classes_, self.task, scoring.described(self.descriptions, self.classes_))
        if is_endpoint(self.llm):
            target = llm_endpoint.resolve(self.llm)
            self.reference_, self.price_ = target.reference(), target.price
            self._scorer = EndpointScorer(target, system, self.examples_, self.classes_, self.requests, self.usage_)
            return
        self.price_ = None
        self.tokenizer_, self.model_, self.reference_ = self._scoring_model()
        self._build_prompt(system)

    def _build_prompt(self, system: str) -> None:
        prefix, self._rest, close = scoring.chat_parts(self.tokenizer_, system, self.examples_)
        labels = scoring.label_ids(self.tokenizer_, llm_sets.candidates(self.classes_) if self.multi_label_ else
                                   self.classes_, close)
        prefix_ids = scoring.encode(self.tokenizer_, prefix)
        limit = int(getattr(self.model_.config, "max_position_embeddings", 2048))
        if len(prefix_ids) + max(map(len, labels)) + 64 > limit:
            raise DataError("The prompt with its examples is {n} tokens, longer than this model reads ({limit}); "
                            "use fewer examples per label.", n=len(prefix_ids), limit=limit)
        pad = self.tokenizer_.pad_token_id if self.tokenizer_.pad_token_id is not None else self.tokenizer_.eos_token_id
        self._scorer = scoring.PrefixScorer(self.model_, prefix_ids, labels, pad or 0, context=limit)

    def _scoring_model(self):
        """(tokenizer, model, reference) to score with: the LLM as it is (a subclass adapts it first)."""
        return load_llm(self.llm)

    def external_mb(self) -> float:
        """The LLM's weights on disk (a GGUF file or a model folder), which the run references but does not copy."""
        if is_endpoint(self.llm):
            return 0.0
        source, gguf, _ = resolve_llm(self.llm)
        path = Path(source) / gguf if gguf else Path(source)
        if path.is_file():
            return round(path.stat().st_size / 1e6, 2)
        return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 2) if path.is_dir() else 0.0

    def save(self, path: str | Path) -> None:
        """The prompt's makings, the calibration and the model's reference, as JSON: never the weights or a key."""
        self._write_meta(Path(path), examples=[list(e) for e in self.examples_], reference=self.reference_,
                         content_free=[float(x) for x in self.content_free_], calibrated=self.calibrated_,
                         history=self.history_, coarse=bool(getattr(self, "coarse_", False)))

    @classmethod
    def restored(cls, meta: dict) -> "LLMClassifier":
        """An instance with what a saved run's tunelab.json holds (no model loaded yet)."""
        model = cls(**meta["params"])
        model.classes_, model.examples_ = meta["classes"], [tuple(e) for e in meta["examples"]]
        model.content_free_, model.calibrated_ = np.array(meta["content_free"]), meta["calibrated"]
        model.history_, model.coarse_ = meta.get("history", []), meta.get("coarse", False)
        model.restore_decisions(meta)  # before the prompt is built: label sets ask yes/no a label
        return model

    @classmethod
    def load(cls, path: str | Path) -> "LLMClassifier":
        meta = read_meta(path)
        model = cls.restored(meta)
        require_model(model.llm, meta["reference"])
        model._prepare()
        if model.reference_.get("sha256") and model.reference_ != meta["reference"]:
            raise DataError("The model this run was made with ({name}) has changed since; train the run again.",
                            name=meta["reference"].get("name", model.llm))
        return model


def fresh_usage() -> dict:
    """What a loaded LLM contender counts: texts, tokens read and written, CPU seconds, answers without log-probs."""
    return {"texts": 0, "tokens_in": 0, "tokens_out": 0, "cpu_s": 0.0, "coarse": 0}


def pick_examples(texts: list[str], labels: list[str], classes: list[str], k: int, seed: int) -> list[tuple[str, str]]:
    """k examples per label, reproducibly and covering each label's variety: the texts nearest the centres of k
    clusters of the label's texts (TF-IDF vectors), shortest first among ties; interleaved label by label so no
    label sits last in the prompt (models favour the last label they saw)."""
    if k <= 0:
        return []
    per_label = {c: _diverse([t for t, y in zip(texts, labels, strict=True) if y == c], k, seed) for c in classes}
    out = []
    for i in range(k):
        out += [(per_label[c][i][:MAX_EXAMPLE_CHARS], c) for c in classes if i < len(per_label[c])]
    return out


def _diverse(texts: list[str], k: int, seed: int) -> list[str]:
    from sklearn.cluster import KMeans  # put off: loads sklearn (~1.8 s)
    from sklearn.feature_extraction.text import TfidfVectorizer

    unique = sorted(set(texts), key=lambda t: (len(t), t))
    if len(unique) <= k:
        return unique
    x = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=1).fit_transform(unique)
    km = KMeans(n_clusters=k, random_state=seed, n_init=3).fit(x)
    distances = km.transform(x)  # each text's distance to each centre
    picked = []
    for c in range(k):
        order = np.argsort(distances[:, c], kind="stable")
        picked.append(next(unique[i] for i in order if unique[i] not in picked))
    return picked
