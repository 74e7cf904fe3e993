#!/usr/bin/env python3
"""Builds the fuzz targets' seed corpora from the repository's test data (tests/data) plus a few
hand-made inputs, into OUT/<target>/ (scripts/fuzz.sh uses .fuzz/seeds; the folder is git-ignored).

Only the Python standard library is used. Seeds are kept small (the fuzzers run with -max_len), so
large fixtures contribute their first bytes or a small sibling instead.
    python3 scripts/fuzz_seeds.py OUT
"""
import hashlib
import json
import struct
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
MAX_SEED = 64 << 10


def put(out, target, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def npy(descr, shape, payload, version=1):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    prefix = 10 if version == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode() + payload


def wav(samples_bytes, rate=16000, channels=1, fmt=1, bits=16, declared=None):
    data_len = len(samples_bytes) if declared is None else declared
    block = channels * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk + b"data" + struct.pack("<I", data_len) + samples_bytes
    return b"RIFF" + struct.pack("<I", len(body)) + body


def safetensors(tensors, pad=b""):
    header, body = {}, b""
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(data)]}
        body += data
    h = json.dumps(header).encode() + pad
    return struct.pack("<Q", len(h)) + h + body


def multipart(boundary, parts):
    out = b""
    for name, filename, ctype, data in parts:
        out += b"--" + boundary + b"\r\n"
        disp = b'Content-Disposition: form-data; name="' + name + b'"'
        if filename is not None:
            disp += b'; filename="' + filename + b'"'
        out += disp + b"\r\n"
        if ctype:
            out += b"Content-Type: " + ctype + b"\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def small_files(folder, pattern):
    return [p for p in sorted(folder.glob(pattern)) if p.stat().st_size <= MAX_SEED]


def seeds_weights(out):
    for p in small_files(DATA / "cases", "*/*.npy")[:40]:
        put(out, "fuzz_npy", p.read_bytes())
    floats = struct.pack("<4f", 0.5, -1.0, float("nan"), float("inf"))
    for descr, payload, shape in [("<f4", floats, "(2, 2)"), ("<f8", struct.pack("<2d", 1.5, -2.0), "(2,)"),
                                  ("<f2", b"\x00\x3c\x00\xbc", "(2,)"), ("<i8", struct.pack("<2q", -5, 7), "(1, 2)"),
                                  ("|b1", b"\x01\x00\x01", "(3,)"), ("<u2", b"\xff\xff", "(1,)"),
                                  ("<i1", b"\x80", "()"), ("<f4", b"", "(0, 5)")]:
        put(out, "fuzz_npy", npy(descr, shape, payload))
    put(out, "fuzz_npy", npy("<f4", "(1,)", floats[:4], version=2))
    put(out, "fuzz_npy", npy("<f4", "(1,)", floats[:4], version=3))

    put(out, "fuzz_safetensors", (DATA / "models/hifigan-small-b/model.safetensors").read_bytes())
    put(out, "fuzz_safetensors", safetensors({
        "a": ("F32", [2, 2], floats), "b": ("F16", [2], b"\x00\x3c\x00\xbc"), "c": ("BF16", [1], b"\x80\x3f"),
        "d": ("F64", [1], struct.pack("<d", 3.0)), "e": ("I64", [1], struct.pack("<q", 1)), "f": ("BOOL", [0, 3], b"")}))
    put(out, "fuzz_safetensors", safetensors({"__metadata__": ("F32", [], b""), "x": ("U8", [3], b"abc")}, pad=b"  "))

    for p in small_files(DATA / "weights/torch_bin", "*.bin"):
        put(out, "fuzz_torch_bin", p.read_bytes())
    pickles = [p for p in sorted((DATA / "weights/torch_bin").glob("*.bin"))]
    pickles += sorted((DATA / "models").glob("*/pytorch_model.bin"))
    for p in pickles:
        try:
            with zipfile.ZipFile(p) as z:
                for name in z.namelist():
                    if name.endswith("/data.pkl"):
                        data = z.read(name)
                        if len(data) <= MAX_SEED:
                            put(out, "fuzz_pickle", data)
        except zipfile.BadZipFile:
            put(out, "fuzz_pickle", p.read_bytes()[:MAX_SEED])  # the legacy (bare pickle) format


def seeds_audio(out):
    names = ["upload", "a.wav", "a.mp3", "a.aac", "a.flac", "a.ogg", "a.m4a", "a.webm"]
    ext_to_selector = {".wav": 1, ".mp3": 2, ".aac": 3, ".flac": 4, ".ogg": 5, ".m4a": 6, ".webm": 7, ".opus": 5,
                       ".mka": 0}
    assert len(names) == 8
    for p in sorted((DATA / "audio/formats").iterdir()):
        if p.name.endswith(".ref.wav") or p.stat().st_size == 0:
            continue
        data = p.read_bytes()
        if len(data) > MAX_SEED:
            data = data[:16 << 10]  # a prefix still exercises the container parser
        put(out, "fuzz_decode_audio", bytes([ext_to_selector.get(p.suffix, 0)]) + data)
    pcm = struct.pack("<200h", *[(i * 997) % 20000 - 10000 for i in range(200)])
    f32 = struct.pack("<6f", 0.1, float("nan"), float("inf"), -float("inf"), 1e30, -0.5)
    hand_made = [
        wav(pcm), wav(pcm, rate=8000, channels=2), wav(f32, fmt=3, bits=32),
        wav(pcm, declared=0xFFFFFFF0),  # a header promising hours of audio
        wav(pcm[:2], rate=1000), wav(b"", rate=16000),
    ]
    for w in hand_made:
        put(out, "fuzz_decode_audio", b"\x01" + w)
        put(out, "fuzz_wav", w)
    put(out, "fuzz_wav", (DATA / "audio/formats/pcm_8k_mono.wav").read_bytes())
    put(out, "fuzz_wav", (DATA / "audio/es.wav").read_bytes()[:8192])
    put(out, "fuzz_wav", struct.pack("<i", 16000) + f32)


def seeds_configs(out):
    for model in sorted((DATA / "models").glob("whisper-*")):
        pieces = [(model / f).read_bytes() if (model / f).exists() else b""
                  for f in ("config.json", "generation_config.json", "preprocessor_config.json", "added_tokens.json")]
        put(out, "fuzz_whisper_config", b"\0".join(pieces))
        put(out, "fuzz_whisper_config", pieces[0])  # config.json alone: the generation keys come from it
    for model in sorted((DATA / "models").glob("*")):
        if model.name.startswith(("speecht5", "hifigan")):
            put(out, "fuzz_speecht5_config", (model / "config.json").read_bytes())


def seeds_text(out):
    golden = json.loads((DATA / "cases/tokenizer/golden.json").read_text())
    for version in ("v2", "v3"):
        for case in golden[version]["encode"][:60]:
            put(out, "fuzz_whisper_tokenizer", case["text"])
        for case in golden[version]["decode"][:20]:
            ids = case["ids"]
            put(out, "fuzz_whisper_tokenizer", b"".join(struct.pack("<I", i + 2)[:3] for i in ids))
    speech = json.loads((DATA / "cases/speecht5-tokenizer/golden.json").read_text())["models"]
    texts = {case["text"] for cases in speech.values() for case in cases}
    texts |= {"Hello there. How are you? Mr. Smith went to Washington, D.C. on Monday!",
              "A very long sentence, with clauses; and more clauses: and words and words and words " * 4,
              "第一句。第二句！", "\u2026 \u201cQuoted.\u201d (Bracketed.)  \n\nNew paragraph"}
    for i, t in enumerate(sorted(texts)):
        put(out, "fuzz_tts_text", bytes([(i * 37) % 256]) + t.encode("utf-8", "surrogatepass"))
        put(out, "fuzz_whisper_tokenizer", t)


# fuzz/fuzz_tokenizer_files.cpp: the first byte picks (fixture, file) from its table, in this order.
TOKENIZER_FILES = [("nllb-tiny-random", "sentencepiece.bpe.model"), ("nllb-tiny-random", "tokenizer_config.json"),
                   ("m2m100-tiny-random", "vocab.json"), ("m2m100-tiny-random", "sentencepiece.bpe.model"),
                   ("marian-tiny-random", "source.spm"), ("marian-tiny-random", "vocab.json"),
                   ("marian-tiny-random", "target.spm"), ("vits-tiny-random", "vocab.json"),
                   ("vits-tiny-random", "tokenizer_config.json")]


def seeds_tokenizer_files(out):
    for i, (model, name) in enumerate(TOKENIZER_FILES):
        put(out, "fuzz_tokenizer_files", bytes([i]) + (DATA / "models" / model / name).read_bytes()[:MAX_SEED])
        put(out, "fuzz_tokenizer_files", bytes([i]) + b"{}")


def seeds_server(out):
    b = b"----parley7MA4YWxkTrZu0gW"
    ctype = b"multipart/form-data; boundary=" + b
    small_wav = wav(struct.pack("<8h", 0, 100, -100, 2000, -2000, 30000, -30000, 0))
    forms = [
        [(b"file", b"es.wav", b"audio/wav", small_wav), (b"model", None, None, b"whisper-1"),
         (b"language", None, None, b"es"), (b"response_format", None, None, b"verbose_json"),
         (b"temperature", None, None, b"0.2"), (b"seed", None, None, b"42")],
        [(b"file", b"a\"b.mp3", None, b"ID3junk"), (b"prompt", None, None, b"--" + b + b"not a delimiter")],
        [(b"file", b"", b"application/octet-stream", b"")],
    ]
    for parts in forms:
        body = multipart(b, parts)
        put(out, "fuzz_multipart", ctype + b"\0" + body)
        put(out, "fuzz_multipart", b'multipart/form-data; boundary="' + b + b'"; charset=utf-8\0preamble\r\n' + body)
        put(out, "fuzz_request", ctype + b"\0\x05" + body)
        put(out, "fuzz_request", ctype + b"\0\x00" + body)
    for body in [b'{"model":"tts-1","input":"Hello there.","voice":"alloy","response_format":"wav","speed":1.0}',
                 b'{"input":"x","voice":{"id":"awb"},"seed":7,"response_format":"pcm"}',
                 b'{"input":"  ","voice":null}', b'[1,2]', b'{"input":"a","speed":"fast"}']:
        put(out, "fuzz_request", b"application/json\0\x10" + body)

    listing = {"sha": "0123456789abcdef0123456789abcdef01234567",
               "siblings": [{"rfilename": f} for f in ("config.json", "model.safetensors", "vocab.json",
                                                       "pytorch_model.bin", "tokenizer.json", "sub/dir/file.txt")]}
    put(out, "fuzz_hub", b"\x00" + json.dumps(listing).encode())
    index = {"metadata": {"total_size": 10}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                                                            "b": "model-00002-of-00002.safetensors"}}
    put(out, "fuzz_hub", b"\x01" + json.dumps(index).encode())
    put(out, "fuzz_hub", b"\x02\x00x-repo-commit: 0123456789abcdef0123456789abcdef01234567\n"
                         b"x-linked-etag: \"a1b2c3\"\nx-linked-size: 1234\nlocation: https://cdn.example/x\n")
    put(out, "fuzz_hub", b"\x02\x94x-error-code: RepoNotFound\nx-error-message: Repository not found\n")
    for name in ("openai/whisper-base", "microsoft/speecht5_tts", "refs/pr/1", "../etc", "a/../../b",
                 "W/\"abcdef\"", "0123456789abcdef0123456789abcdef01234567"):
        put(out, "fuzz_hub", b"\x03" + name.encode())


def seeds_http_head(out):
    """Whole connections for fuzz_http_head: requests, pipelined requests, bodies, broken heads."""
    host = "Host: localhost\r\n"
    put(out, "fuzz_http_head", "GET /health HTTP/1.1\r\n" + host + "\r\n")
    put(out, "fuzz_http_head", "GET /health HTTP/1.1\r\n" + host + "\r\nGET /health HTTP/1.1\r\n" + host + "\r\n")
    put(out, "fuzz_http_head", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello")
    put(out, "fuzz_http_head", "POST /echo HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n0\r\n\r\n")
    put(out, "fuzz_http_head", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 10000000000\r\n\r\n")
    put(out, "fuzz_http_head", "GET /" + "a" * 1100 + " HTTP/1.1\r\n" + host + "\r\n")
    put(out, "fuzz_http_head", "GET /health HTTP/1.1\r\nX-Long: " + "b" * 1000 + "\r\n\r\n")
    put(out, "fuzz_http_head", "GET /health HTTP/1.0\r\n\r\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    seeds_weights(out)
    seeds_audio(out)
    seeds_configs(out)
    seeds_text(out)
    seeds_server(out)
    seeds_tokenizer_files(out)
    seeds_http_head(out)
    for folder in sorted(out.iterdir()):
        print(f"{folder.name}: {len(list(folder.iterdir()))} seeds")


if __name__ == "__main__":
    main()
