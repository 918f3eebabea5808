"""Writes tests/fixtures/encoder-tiny/: a tiny random BERT for the tests of src/text/encoder.rs.

hidden 8, 2 layers, 2 heads, intermediate 16, 300 positions, BERT's full 30,522-piece uncased
vocabulary (so that the encoder's vocabulary check holds). Weights are drawn with a fixed seed,
rounded to float16 and saved as F32 safetensors (written by hand, no dependency but numpy).
expected.json holds the reference pieces and vectors (reference.py, float64) of a few texts.

Usage, from the repository root:
    python3 contrib/encoder/make_tiny.py [VOCAB_TXT]
VOCAB_TXT (default: the fixture's own vocab.txt) is BERT's uncased vocab.txt (Apache-2.0), as in
sentence-transformers/all-MiniLM-L6-v2.
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

OUT = "tests/fixtures/encoder-tiny"
CONFIG = {
    "_name_or_path": "rhetor/encoder-tiny",
    "architectures": ["BertModel"],
    "hidden_act": "gelu",
    "hidden_size": 8,
    "intermediate_size": 16,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 300,
    "model_type": "bert",
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "position_embedding_type": "absolute",
    "type_vocab_size": 2,
    "vocab_size": 30522,
}
LONG = " ".join(
    ["The council voted on Tuesday to approve the unaffordable housing plan despite protests"]
    * 40
)
TEXTS = [
    "",
    "!!!",
    "Critics slammed the unaffordable housing plan!",
    'Naïve café owners don\'t "like" it?',
    "The council, in a 5-4 vote, said: (no) tax rises... until 2027; £12m for buses.",
    LONG,
]

# (text, target): a mention, a name's last word alone, two people in one sentence, no mention,
# no target, and a mention in the last chunk of a long text.
TARGET_TEXTS = [
    ("Critics slammed Mayor Jones for the housing plan.", "Mayor Jones"),
    ("Hillary Clinton spoke first; Clinton then left.", "Hillary Clinton"),
    ("Smith praised the plan, but Jones attacked Smith.", "Jones"),
    ("Smith praised the plan, but Jones attacked Smith.", "Smith"),
    ("The council approved the plan.", "Jones"),
    ("The council approved the plan.", None),
    (LONG + " Jones objected.", "Jones"),
]


def weights(rng):
    h, i, p = CONFIG["hidden_size"], CONFIG["intermediate_size"], CONFIG["max_position_embeddings"]
    w = {}

    def normal(shape, scale):
        return rng.normal(0.0, scale, shape)

    def layer_norm(name):
        w[name + ".weight"] = 1.0 + normal(h, 0.1)
        w[name + ".bias"] = normal(h, 0.1)

    def linear(name, n_out, n_in):
        w[name + ".weight"] = normal((n_out, n_in), 1.0 / np.sqrt(n_in))
        w[name + ".bias"] = normal(n_out, 0.1)

    w["embeddings.word_embeddings.weight"] = normal((CONFIG["vocab_size"], h), 1.0)
    w["embeddings.position_embeddings.weight"] = normal((p, h), 0.3)
    w["embeddings.token_type_embeddings.weight"] = normal((CONFIG["type_vocab_size"], h), 0.3)
    layer_norm("embeddings.LayerNorm")
    for layer in range(CONFIG["num_hidden_layers"]):
        prefix = f"encoder.layer.{layer}."
        for part in ("query", "key", "value"):
            linear(prefix + "attention.self." + part, h, h)
        linear(prefix + "attention.output.dense", h, h)
        layer_norm(prefix + "attention.output.LayerNorm")
        linear(prefix + "intermediate.dense", i, h)
        linear(prefix + "output.dense", h, i)
        layer_norm(prefix + "output.LayerNorm")
    return {k: v.astype(np.float16).astype(np.float32) for k, v in w.items()}


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(tensors[name].shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.writelines(blobs)


def main():
    vocab_src = sys.argv[1] if len(sys.argv) > 1 else f"{OUT}/vocab.txt"
    os.makedirs(OUT, exist_ok=True)
    if os.path.abspath(vocab_src) != os.path.abspath(f"{OUT}/vocab.txt"):
        shutil.copyfile(vocab_src, f"{OUT}/vocab.txt")
    with open(f"{OUT}/config.json", "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")
    write_safetensors(f"{OUT}/model.safetensors", weights(np.random.default_rng(20240601)))
    w, cfg, vocab = reference.load(OUT)
    expected = []
    for text in TEXTS:
        ids, v = reference.encode(w, cfg, vocab, text)
        expected.append({"text": text, "ids": ids, "vector": [round(float(x), 7) for x in v]})
        print(f"{len(ids):4} pieces, {len(reference.windows(len(ids)))} chunks: {text[:40]!r}")
    with open(f"{OUT}/expected.json", "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    write_expected_targets(w, cfg, vocab)


def write_expected_targets(w, cfg, vocab):
    """expected_targets.json: text and target-mention vectors of texts with a target."""
    out = []
    for text, target in TARGET_TEXTS:
        ids, v = reference.encode_with_target(w, cfg, vocab, text, target)
        out.append({"text": text, "target": target, "ids": ids,
                    "vector": [round(float(x), 7) for x in v]})
    with open(f"{OUT}/expected_targets.json", "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
