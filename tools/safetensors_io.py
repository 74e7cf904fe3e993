"""float32 safetensors files, read and written with numpy and torch alone: the reference environment
(../shared/tools/reference-env.md) has no safetensors package. Used by the golden and benchmark tools."""
import json
import struct
from pathlib import Path

import numpy as np
import torch


def read_safetensors(path: Path) -> dict:
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]  # read in place: a 2.5 GB file is not sliced into copies
        data = np.frombuffer(raw, np.float32, (end - begin) // 4, 8 + n + begin).reshape(info["shape"])
        state[name] = torch.from_numpy(data.copy())
    return state


def write_safetensors(path: Path, state: dict):
    entries, offset, payload = {}, 0, []
    for name, t in state.items():
        raw = t.detach().float().contiguous().numpy().tobytes()
        entries[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        payload.append(raw)
        offset += len(raw)
    head = json.dumps(entries, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head)
        for raw in payload:
            f.write(raw)
