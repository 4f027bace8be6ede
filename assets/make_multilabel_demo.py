"""Writes assets/demo_tickets_multilabel.csv (and _zh.csv): support tickets with several labels, written for Tunelab.

The five topics of the single-label demo (billing, shipping, technical, account, feedback: their phrases, from
assets/make_demo_dataset.py and assets/demo_zh.py) plus two labels about how the customer writes: `urgent` (a
deadline, "today", "ASAP") and `angry` (complaint words). A ticket asks about one topic, or two (about one in
three); anger is likelier beside billing and shipping, urgency beside account and technical, as in real queues. Softer
cues ("Not happy about this.") carry the label only half the time, as agents disagree on them.
Labels are separated by "; " (English) and "；" (Chinese), so the demo also shows both separators being read.
Seeded: `python assets/make_multilabel_demo.py` rewrites the same files.
"""
from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_demo_dataset import EN, chinese  # noqa: E402

TONE = {  # phrases that make a ticket urgent or angry, per language
    "en": {"urgent": ["Urgent: I need this fixed today.", "Please answer ASAP, it's time-critical.",
                      "I need this sorted before tomorrow morning.", "This is blocking my work right now."],
           "angry": ["This is completely unacceptable.", "I'm furious, this is the third time I'm writing.",
                     "Terrible service, honestly.", "I'm really fed up with you people."]},
    "zh": {"urgent": ["急！今天必须解决。", "请尽快回复，非常着急。", "明天早上之前一定要处理好。", "这已经影响我工作了，马上处理。"],
           "angry": ["这完全不能接受。", "太气人了，这已经是我第三次来问了。", "服务太差了。", "我真的受够你们了。"]},
}
MILD = {  # softer cues: agents disagree on these, so each is labelled only half the time (the demo's ambiguity)
    "en": {"urgent": ["Could you look at this soon?", "I'd appreciate a quick answer."],
           "angry": ["Not happy about this.", "This is a bit annoying."]},
    "zh": {"urgent": ["能尽快看一下吗？", "希望能早点回复。"], "angry": ["有点不满意。", "这有点烦人。"]},
}
LIKELY = {"angry": {0: 0.35, 1: 0.35, 2: 0.15, 3: 0.1, 4: 0.05}, "urgent": {0: 0.1, 1: 0.15, 2: 0.3, 3: 0.35, 4: 0.0}}
NAMES = {"en": {"urgent": "urgent", "angry": "angry"}, "zh": {"urgent": "紧急", "angry": "生气"}}
CALM_CLOSE = {"en": ["Thanks.", "Thank you!", "Regards.", "", "", "Cheers."], "zh": ["谢谢。", "谢谢！", "", "", "辛苦了。"]}


def ticket(rng: random.Random, kit: dict, lang: str) -> tuple[str, list[str]]:
    topics = list(kit["topics"])
    picked = rng.sample(range(len(topics)), 2 if rng.random() < 0.33 else 1)
    parts, labels = [rng.choice([o for o in kit["open"] if o != "Urgent:" and o != "急！"])], []
    for t in picked:
        parts.append(rng.choice(kit["topics"][topics[t]]).format(item=rng.choice(kit["items"]), n=rng.randint(2, 99)))
        labels.append(topics[t])
    for tone in ("urgent", "angry"):
        if rng.random() < max(LIKELY[tone][t] for t in picked):
            parts.insert(rng.randint(1, len(parts)), rng.choice(TONE[lang][tone]))
            labels.append(NAMES[lang][tone])
        elif rng.random() < 0.15:
            parts.insert(rng.randint(1, len(parts)), rng.choice(MILD[lang][tone]))
            if rng.random() < 0.5:
                labels.append(NAMES[lang][tone])
    parts.append(rng.choice(CALM_CLOSE[lang]))
    return kit["join"].join(p for p in parts if p), labels


def rows(kit: dict, lang: str, n: int = 400, seed: int = 11) -> list[tuple[str, str]]:
    rng, out, seen = random.Random(seed), [], set()
    sep = "; " if lang == "en" else "；"
    while len(out) < n:
        text, labels = ticket(rng, kit, lang)
        if text not in seen:
            seen.add(text)
            out.append((text, sep.join(labels)))
    return out


if __name__ == "__main__":
    for name, kit, lang in (("demo_tickets_multilabel.csv", EN, "en"),
                            ("demo_tickets_multilabel_zh.csv", chinese(), "zh")):
        path = Path(__file__).with_name(name)
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([kit["header"][0], "labels" if lang == "en" else "标签"])
            w.writerows(rows(kit, lang))
        print(f"wrote {path}")
