#!/usr/bin/env python3
"""Small torch.save files for the .bin reader's tests (tests/weights/torch_bin_test.cpp).

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 tools/make_torch_bin_cases.py

Writes tests/data/weights/torch_bin/: files written by the reference env's torch.save (1.13), and
expected.json with every tensor's dtype, shape and values (row-major, as torch reads them back),
for the files the reader must accept. The hostile ones carry globals that torch.load would import
and call (os.system, builtins.eval, numpy); Parley must refuse them without executing anything.
"""
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "weights" / "torch_bin"

DTYPE_NAMES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL",
}


def describe(state):
    out = {}
    for name, t in state.items():
        t = t.detach()
        flat = t.reshape(-1)
        # float16/bfloat16 values are exact in float32, which is what Parley converts them to
        values = flat.float().tolist() if t.is_floating_point() else [int(v) for v in flat.tolist()]
        out[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "values": values}
    return out


def dtypes_state():
    g = torch.Generator().manual_seed(0)
    return {
        "f32": torch.randn(3, 4, generator=g),
        "f16": torch.randn(2, 3, generator=g).half(),
        "bf16": torch.randn(5, generator=g).bfloat16(),
        "f64": torch.randn(2, 2, generator=g).double(),
        "i64": torch.arange(-3, 3),
        "i32": torch.tensor([-5, 7, 2**31 - 1], dtype=torch.int32),
        "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 7], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 4),
    }


def views_state():
    # Views share one storage; torch.save keeps their offsets and strides as they are.
    base = torch.randn(6, 5, generator=torch.Generator().manual_seed(1))
    return {
        "base": base,
        "transposed": base.t(),
        "row": base[2],
        "tail": base[3:],
        "column": base[:, 1],
        "strided": base[::2, ::2],
        "expanded": torch.tensor([1.5]).expand(4),
        "position_ids": torch.arange(7).expand((1, -1)),
    }


def save(obj, name, **kw):
    path = OUT / name
    torch.save(obj, path, **kw)
    return path


class SystemCall:
    def __reduce__(self):
        return (os.system, ("touch /tmp/parley-pwned-by-pickle",))


class EvalCall:
    def __reduce__(self):
        return (eval, ("__import__('os').system('touch /tmp/parley-pwned-by-pickle')",))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    expected = {}

    dtypes = dtypes_state()
    save(dtypes, "dtypes.bin")
    expected["dtypes.bin"] = describe(dtypes)

    views = views_state()
    save(views, "views.bin")
    expected["views.bin"] = describe({k: v.contiguous() for k, v in views.items()})

    torch.manual_seed(2)
    linear = torch.nn.Linear(3, 2)
    params = linear.state_dict(keep_vars=True)  # nn.Parameter values: torch._utils._rebuild_parameter
    save(params, "parameters.bin")
    expected["parameters.bin"] = describe(params)

    small = {"a": torch.randn(4, 4, generator=torch.Generator().manual_seed(3)), "b": torch.arange(5)}
    save(small, "protocol4.bin", pickle_protocol=4)  # FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL
    expected["protocol4.bin"] = describe(small)

    # The same archive with its entries deflated (torch.save never compresses; zip tools may).
    buf = io.BytesIO()
    torch.save(small, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(OUT / "deflated.bin", "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename.replace("archive/", "deflated/", 1), src.read(info.filename))
    assert all(torch.equal(torch.load(OUT / "deflated.bin")[k], small[k]) for k in small)
    expected["deflated.bin"] = describe(small)

    save(small, "legacy.bin", _use_new_zipfile_serialization=False)
    save({"weight": torch.ones(2), "payload": SystemCall()}, "os_system.bin")
    save({"weight": torch.ones(2), "payload": EvalCall()}, "builtins_eval.bin")
    save({"weight": torch.ones(2), "step": np.array([1, 2])}, "numpy_array.bin")

    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    for p in sorted(OUT.iterdir()):
        print(f"{p.name}: {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
