"""Train: pick contenders and settings, queue jobs, watch them live."""
from pathlib import Path

import streamlit as st

from core.config import TrainConfig
from core.contenders import llm_scoring, registry
from core.data import versions
from core.data.datasets import read_report
from core.glossary import help_text
from ui import resources, state
from ui.boot import ensure_app_navigation
from ui.i18n import _, lang
from ui.jobs_panel import finished_jobs, live_jobs
from ui.llm_settings import LLMSettings, llm_choice
from ui.safe import md
from ui.widgets import capitalised, checkpoint_choice, guard

# the multilingual encoder is 12 layers with a 250k vocabulary: ~4x MiniLM's time a row on 2 cores
QUICK_ROWS = {"default": 2000, "multilingual": 400}
QUICK_LORA = {"max_rows": 400, "epochs": 1, "batch_size": 8}  # 50 LoRA steps of SmolLM2: minutes on 2 cores
FEW_LABELS = 50  # labelled texts in the smallest class below which SetFit is suggested (and ticked)



def _remember(kind: str) -> None:
    state.put(state.TRAIN_KINDS, {**(state.get(state.TRAIN_KINDS) or {}), kind: st.session_state[f"contender_{kind}"]})


ensure_app_navigation()
st.title(_("Train"))
store = resources.store_or_stop()
datasets = store.datasets()
if not datasets:
    st.info(_("Add a dataset on the Data page first (the demo dataset takes one click)."))
    st.page_link("pages/data.py", label=_("Go to Data"), icon=":material/arrow_back:")
    st.stop()

ids = [d["id"] for d in datasets]
names = {d["id"]: d["name"] for d in datasets}
current = state.get(state.DATASET_ID)
# labels made here, in the script run: a format_func is also called outside it (AppTest), without the language
newest = {d["id"]: versions.latest(store, d["id"]) for d in datasets}  # counts of the version Train will use
described = {d["id"]: _("{name} ({rows:,} rows, {classes} classes)", name=d["name"], rows=newest[d["id"]].rows,
                        classes=len(newest[d["id"]].classes)) for d in datasets}
pick = st.selectbox(_("Dataset"), ids, index=ids.index(current) if current in ids else 0, format_func=described.get)
state.put(state.DATASET_ID, pick)
history = {v.n: v for v in versions.versions(store, pick)}
summaries = {n: v.summary(lang()) for n, v in history.items()}
version = st.selectbox(_("Version"), sorted(history, reverse=True), format_func=summaries.get,
                       help=_("Every version keeps the test rows chosen at v1, so runs on different versions compare "
                              "on the same texts.")) if len(history) > 1 else 1

if not history[version].checked:  # an LLM's labels, test rows not checked by a person yet
    st.warning(_("A language model labelled this dataset and its test sample is not checked yet: check it on the Data "
                 "page first. Runs can train now, but Evaluate shows no scores until the check is done."))
    st.page_link("pages/data.py", label=_("Check the test sample on Data"), icon=":material/fact_check:")
multi = bool(read_report(store, pick).get("multi_label"))  # texts with several labels
if multi:
    st.info(_("Texts in this dataset can have several labels: every model gives each label its own probability, and "
              "each label's threshold is tuned on the validation rows (you can choose it yourself on Evaluate)."))
per_class = min(history[version].classes.values(), default=0)
few = per_class < FEW_LABELS  # SetFit's range: it beats the others with about 8 to 50 labels a class

st.subheader(_("Contenders"))
specs = registry.all_specs()
ticked = state.get(state.TRAIN_KINDS) or {}  # the choice survives a visit to another page
if few:
    st.info(_("The smallest class has {n} labelled texts: with this few, SetFit usually does best, so it is ticked.",
              n=per_class))
kinds = []
for spec, col in zip(specs, st.columns(len(specs)), strict=False):
    title, about = capitalised(_(spec.choice or spec.title)), _(spec.description)
    if spec.always:  # shown as chosen, not as a greyed-out box that reads as "unavailable"
        col.markdown("✔ " + md(title), help=about + " " + _("Always trained: the bar the "
                                                                                   "others must beat."))
        kinds.append(spec.kind)
    elif multi and spec.tunes_llm:  # one label a text: not offered for label sets
        col.checkbox(title, value=False, disabled=True, key=f"contender_{spec.kind}_multi",
                     help=_("Gives each text one label, so it is not offered for texts with several labels."))
    elif col.checkbox(title, value=ticked.get(spec.kind, spec.default_on or few and spec.kind == "setfit"),
                      key=f"contender_{spec.kind}", on_change=_remember,
                      args=(spec.kind,), help=about):
        kinds.append(spec.kind)
# the Transformer checkpoint only where a ticked contender is built on one (the baseline and the LLMs are not)
checkpoint = checkpoint_choice(read_report(store, pick).get("language")) \
    if any(registry.get(k).uses_checkpoint for k in kinds) else "default"
llms = [registry.get(k) for k in kinds if registry.get(k).uses_llm]
llm = llm_choice(any(not s.tunes_llm for s in llms), any(s.tunes_llm for s in llms)) if llms else LLMSettings()
quick = st.toggle(_("Quick demo: small, fast settings"), value=True)
quick_rows = QUICK_ROWS.get(checkpoint, QUICK_ROWS["default"])
if quick and checkpoint == "multilingual":
    st.caption(_("Quick demo with the multilingual model: at most {rows} training rows, to stay under two minutes on a "
                 "2-core CPU; turn Quick demo off to use them all.", rows=quick_rows))

with st.expander(_("Settings"), expanded=not quick):
    s1, s2, s3, s4, s5 = st.columns(5)
    # quick: 3 epochs at lr 1e-4 on the demo's 606 training rows gives ~0.91 accuracy; 1 epoch left it at 0.88
    # with confidence near 40% (calibration error 0.51)
    epochs = s1.number_input(_("Epochs"), 1, 50, 3, help=help_text("epochs", lang()))
    batch = s2.number_input(_("Batch size"), 1, 512, 16, help=help_text("batch_size", lang()))
    max_len = s3.number_input(_("Max tokens"), 16, 512, 64 if quick else 128, help=help_text("max_tokens", lang()))
    lr = s4.number_input(_("Learning rate"), 1e-6, 1e-2, 1e-4 if quick else 5e-5, format="%.0e",
                         help=help_text("learning_rate", lang()))
    max_rows = s5.number_input(_("Max rows (0 = all)"), 0, 10_000_000, quick_rows if quick else 0,
                               key=f"rows_{quick_rows}", help=help_text("max_rows", lang()))

if st.button(_("Start training"), type="primary"):
    with guard("Starting training"):
        llm_scoring.described(llm.descriptions, sorted(newest[pick].classes))  # a wrong line, said now
        base = TrainConfig(checkpoint=checkpoint, epochs=int(epochs), batch_size=int(batch), max_length=int(max_len),
                           lr=float(lr), max_rows=int(max_rows) or None, text_col="text", label_col="label",
                           multi_label="yes" if multi else "no", **llm.config())
        runner = resources.runner()
        spec_of = registry.get
        for kind in kinds:
            # the multilingual cap is for its slow Transformer: a baseline beside it keeps the usual quick cap
            config = base if not quick or registry.get(kind).uses_checkpoint else \
                base.with_(max_rows=QUICK_ROWS["default"])
            if quick and spec_of(kind).tunes_llm:  # the demo's 3 epochs of 608 rows: 114 LoRA steps, ~20 min on 2 cores
                config = config.with_(**QUICK_LORA)
            runner.submit(config.with_(model=kind, dataset_id=pick, dataset_version=version,
                                       **llm.config(registry.get(kind).tunes_llm)),
                          dataset_name=names[pick] if version == 1 else f"{Path(names[pick]).stem} v{version}",
                          lang=lang(), api_key=llm.api_key if spec_of(kind).uses_llm and not spec_of(kind).tunes_llm
                          else None)
        st.success(_("Queued {n} run(s). Progress appears below; results on the Evaluate page.", n=len(kinds)))

st.subheader(_("Runs"))
live_jobs()
finished_jobs()
