"""Numpy reference of rhetor's sentence encoder (src/text/encoder.rs).

A BERT-uncased encoder (post-LayerNorm, exact-erf GELU) read from a Hugging Face directory
(config.json, model.safetensors, vocab.txt), with the encoder's chunking and pooling:

* pieces: BERT's uncased basic tokenizer then WordPiece (a small pure-Python copy of what
  rhetor does: whitespace split, lowercase, accents stripped, punctuation split off);
* the n pieces cut into c = ceil(n / 254) consecutive windows of near-equal length (the first
  n % c windows one piece longer); each chunk is [CLS] window [SEP];
* chunk vector: mean of the last hidden states over all its positions, L2-normalised;
* text vector: mean of the chunk vectors, L2-normalised; no piece gives all zeros;
* with a target (`encode_with_target`): also the mean of the last hidden states at the pieces
  that mention the target, L2-normalised (the text vector again when nothing mentions it).

Weights are rounded to float16 on load, as the Rust encoder does. The forward pass runs in
float64.

Usage: python3 reference.py MODEL_DIR TEXTS.json OUT.json
(TEXTS.json: a list of strings; OUT.json: [{"text", "ids", "vector"}]). numpy only.
"""
import json
import math
import struct
import sys
import unicodedata

import numpy as np

WINDOW = 254


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in ("F32", "F16"):
            continue
        start, end = info["data_offsets"]
        dtype = {"F32": "<f4", "F16": "<f2"}[info["dtype"]]
        a = np.frombuffer(raw[8 + n + start : 8 + n + end], dtype=dtype).reshape(info["shape"])
        out[name.removeprefix("bert.")] = a.astype(np.float16).astype(np.float64)
    return out


def read_vocab(path):
    with open(path, encoding="utf-8") as f:
        return {line.rstrip("\n"): i for i, line in enumerate(f)}


def _is_punct(c):
    o = ord(c)
    if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def pieces(text, vocab):
    """BERT uncased: lowercase, strip accents, split on whitespace and punctuation, WordPiece."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    words = []
    for token in text.split():
        word = ""
        for c in token:
            if _is_punct(c):
                if word:
                    words.append(word)
                words.append(c)
                word = ""
            else:
                word += c
        if word:
            words.append(word)
    ids = []
    for word in words:
        found, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                key = ("##" if start else "") + word[start:end]
                if key in vocab:
                    found.append(vocab[key])
                    break
                end -= 1
            if end == start:
                found = []  # [UNK]: left out
                break
            start = end
        ids.extend(found)
    return ids


def windows(n):
    """The chunk windows (start, end) of n pieces."""
    if n == 0:
        return []
    c = math.ceil(n / WINDOW)
    base, extra = divmod(n, c)
    out, start = [], 0
    for i in range(c):
        end = start + base + (1 if i < extra else 0)
        out.append((start, end))
        start = end
    return out


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def forward(w, cfg, ids):
    """Last hidden states (T, H) of one sequence of ids."""
    eps, heads = cfg["layer_norm_eps"], cfg["num_attention_heads"]
    t = len(ids)
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:t]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    h = x.shape[1]
    dh = h // heads

    def lin(x, name):
        return x @ w[name + ".weight"].T + w[name + ".bias"]

    for layer in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        q = lin(x, p + "attention.self.query").reshape(t, heads, dh).transpose(1, 0, 2)
        k = lin(x, p + "attention.self.key").reshape(t, heads, dh).transpose(1, 2, 0)
        v = lin(x, p + "attention.self.value").reshape(t, heads, dh).transpose(1, 0, 2)
        s = (q @ k) / math.sqrt(dh)
        s = s - s.max(-1, keepdims=True)
        a = np.exp(s)
        a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(t, h)
        x = layer_norm(
            lin(ctx, p + "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        inner = gelu(lin(x, p + "intermediate.dense"))
        x = layer_norm(
            lin(inner, p + "output.dense") + x,
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
            eps,
        )
    return x


def encode(w, cfg, vocab, text):
    """(piece ids, unit vector) of a text."""
    ids = pieces(text, vocab)
    h = cfg["hidden_size"]
    if not ids:
        return ids, np.zeros(h)
    total = np.zeros(h)
    for start, end in windows(len(ids)):
        chunk = [vocab["[CLS]"]] + ids[start:end] + [vocab["[SEP]"]]
        v = forward(w, cfg, chunk).mean(0)
        total += v / np.linalg.norm(v)
    return ids, total / np.linalg.norm(total)


def mention_mask(ids, target, vocab):
    """Per piece of `ids`: whether it mentions `target` (every occurrence of the target's whole
    piece sequence and, for a target of several words whose last word is capitalised, of that
    last word's pieces)."""
    words = target.split()
    mask = [False] * len(ids)
    patterns = [[i for word in words for i in pieces(word, vocab)]]
    if len(words) > 1 and words[-1][:1].isupper():
        patterns.append(pieces(words[-1], vocab))
    for pattern in patterns:
        m = len(pattern)
        for start in range(len(ids) - m + 1 if m else 0):
            if ids[start : start + m] == pattern:
                mask[start : start + m] = [True] * m
    return mask


def encode_with_target(w, cfg, vocab, text, target):
    """(piece ids, text vector followed by the target mentions' vector): the mean of the last
    hidden states at the mention pieces over all chunks, L2-normalised; the text vector again
    without a target or a mention."""
    ids, v = encode(w, cfg, vocab, text)
    mask = mention_mask(ids, target, vocab) if target is not None else [False] * len(ids)
    if not any(mask):
        return ids, np.concatenate([v, v])
    total = np.zeros(cfg["hidden_size"])
    for start, end in windows(len(ids)):
        chunk = [vocab["[CLS]"]] + ids[start:end] + [vocab["[SEP]"]]
        states = forward(w, cfg, chunk)
        for i in range(start, end):
            if mask[i]:
                total += states[1 + i - start]
    return ids, np.concatenate([v, total / np.linalg.norm(total)])


def load(model_dir):
    cfg = json.load(open(f"{model_dir}/config.json"))
    return read_safetensors(f"{model_dir}/model.safetensors"), cfg, read_vocab(f"{model_dir}/vocab.txt")


def main():
    model_dir, texts_path, out_path = sys.argv[1:4]
    w, cfg, vocab = load(model_dir)
    out = []
    for text in json.load(open(texts_path)):
        ids, v = encode(w, cfg, vocab, text)
        out.append({"text": text, "ids": ids, "vector": [float(x) for x in v]})
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
