#!/usr/bin/env python3
"""A torch.save copy of a Whisper test model, for the tests that load whole models from .bin files.

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 tools/make_whisper_torch_bin.py \
        tests/data/models/whisper-v3-random

Reads the folder's model.safetensors (no safetensors package needed) and writes pytorch_model.bin
beside it with torch.save (1.13, the reference env), as transformers' save_pretrained(
safe_serialization=False) would: the same tensors in their stored dtype, plus proj_out.weight
spelled out as the same tensor as the token embedding when the model ties them (torch stores the
shared storage once). The golden tests then run from both files and must agree.
"""
import json
import struct
import sys
from pathlib import Path

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    raw = path.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    body = bytearray(raw[8 + size:])
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        t = torch.frombuffer(body[begin:end], dtype=DTYPES[info["dtype"]]) if end > begin else torch.empty(0)
        state[name] = t.reshape(info["shape"]).clone()
    return state


def main():
    folder = Path(sys.argv[1])
    config = json.loads((folder / "config.json").read_text())
    state = read_safetensors(folder / "model.safetensors")
    if config.get("tie_word_embeddings", True) and "proj_out.weight" not in state:
        state["proj_out.weight"] = state["model.decoder.embed_tokens.weight"]
    torch.save(state, folder / "pytorch_model.bin")


if __name__ == "__main__":
    main()
