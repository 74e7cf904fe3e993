#!/usr/bin/env python3
"""Writes tests/data/cases/tokenizer/: goldens for Parley's Whisper tokenizer, computed by the
reference (transformers 4.27.1's slow WhisperTokenizer).

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 tools/make_tokenizer_goldens.py

Inputs: the fixture model folder tests/data/models/whisper-tiny-random (its vocab.json, merges.txt,
added_tokens.json, special_tokens_map.json, tokenizer_config.json) and its golden.json.

The reference runs on the *published* file layout, where vocab.json holds <|endoftext|> (id 50257)
and added_tokens.json starts at <|startoftranscript|>. The fixture folder has <|endoftext|> only in
added_tokens.json; 4.27.1 then refuses to add it (it is also the unk token) and numbers every later
special token one lower than the file says. Parley follows the declared ids in both layouts, which is
what the published layout gives the reference, so the goldens come from that layout (checked below:
the reference's ids equal the declared ones there).

Outputs (the folders hold only the small JSON files; tests add vocab.json and merges.txt from the
fixture folder):
  golden.json          encode/decode cases for the v2 vocabulary, the v3 one, and files that list
                       the timestamp tokens; the fixture runs' texts re-decoded by the published layout
  v3/                  a large-v3 style tokenizer: <|yue|> added after <|su|>, later ids shifted by one
  timestamps_named/    the v2 tokenizer with the 1501 timestamp tokens listed (newer Hub revisions)
  fast/                tokenizer.json (the `tokenizers` file format) with the same vocabulary, merges
                       and added tokens, and no vocab.json/merges.txt
"""
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

from transformers import WhisperTokenizer

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "tests/data/models/whisper-tiny-random"
FIXTURE_GOLDEN = ROOT / "tests/data/cases/whisper-tiny-random/golden.json"
OUT = ROOT / "tests/data/cases/tokenizer"
SEED = 20240611


def load_json(p):
    return json.loads(Path(p).read_text(encoding="utf-8"))


def write_json(p, obj, indent=1):
    Path(p).parent.mkdir(parents=True, exist_ok=True)
    Path(p).write_text(json.dumps(obj, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------- tokenizer folders
def v2_added():
    return load_json(MODEL / "added_tokens.json")


def v3_added():
    """large-v3's special tokens: <|yue|> follows the 99 v2 languages, the task tokens move up by one."""
    v2 = sorted(v2_added().items(), key=lambda kv: kv[1])
    names = [k for k, _ in v2]
    names.insert(names.index("<|translate|>"), "<|yue|>")
    return {name: 50257 + i for i, name in enumerate(names)}


def timestamp_names(notimestamps_id, vocab_size):
    return {f"<|{i * 0.02:.2f}|>": notimestamps_id + 1 + i for i in range(vocab_size - notimestamps_id - 1)}


def specials_map(added):
    specials = [k for k, _ in sorted(added.items(), key=lambda kv: kv[1]) if k != "<|endoftext|>"]
    specials = [s for s in specials if not s[2:-2].replace(".", "").isdigit()]  # timestamps are not special
    return {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
            "pad_token": "<|endoftext|>", "additional_special_tokens": specials}


def write_small_folder(d, added, vocab_size):
    """The JSON files of a tokenizer folder in the fixture layout (<|endoftext|> in added_tokens.json)."""
    d.mkdir(parents=True, exist_ok=True)
    write_json(d / "added_tokens.json", added)
    write_json(d / "special_tokens_map.json", specials_map(added))
    shutil.copy(MODEL / "tokenizer_config.json", d / "tokenizer_config.json")
    write_json(d / "config.json", {"vocab_size": vocab_size})


def published_layout(small, tmp):
    """A folder as the Hub publishes it: <|endoftext|> in vocab.json, not in added_tokens.json."""
    tmp.mkdir(parents=True, exist_ok=True)
    vocab = load_json(MODEL / "vocab.json")
    added = load_json(small / "added_tokens.json")
    vocab["<|endoftext|>"] = added.pop("<|endoftext|>")
    write_json(tmp / "vocab.json", vocab, indent=None)
    shutil.copy(MODEL / "merges.txt", tmp / "merges.txt")
    write_json(tmp / "added_tokens.json", added)
    for f in ("special_tokens_map.json", "tokenizer_config.json"):
        shutil.copy(small / f, tmp / f)
    return tmp


def load_reference(folder, declared):
    tok = WhisperTokenizer.from_pretrained(str(folder))
    bad = {k: (v, tok.convert_tokens_to_ids(k)) for k, v in declared.items() if tok.convert_tokens_to_ids(k) != v}
    assert not bad, f"reference ids differ from the declared ones: {list(bad.items())[:5]}"
    return tok


def write_fast_folder(d, published):
    """tokenizer.json in the documented `tokenizers` format (the `tokenizers` package, which would
    convert the slow tokenizer, is not installed here): the same vocabulary, merges and added tokens."""
    vocab = load_json(published / "vocab.json")
    lines = (published / "merges.txt").read_text(encoding="utf-8").split("\n")
    assert lines[0].startswith("#version") and lines[-1] == ""
    merges = lines[1:-1]
    added = load_json(published / "added_tokens.json")
    added["<|endoftext|>"] = vocab["<|endoftext|>"]
    special = set(specials_map(added)["additional_special_tokens"]) | {"<|endoftext|>"}
    added_tokens = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                     "normalized": False, "special": t in special}
                    for t, i in sorted(added.items(), key=lambda kv: kv[1])]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    doc = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens,
           "normalizer": None, "pre_tokenizer": byte_level, "post_processor": byte_level, "decoder": byte_level,
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                     "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                     "vocab": vocab, "merges": merges}}
    d.mkdir(parents=True, exist_ok=True)
    (d / "tokenizer.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    for f in ("special_tokens_map.json", "tokenizer_config.json"):
        shutil.copy(MODEL / f, d / f)
    write_json(d / "config.json", {"vocab_size": 51865})


# ----------------------------------------------------------------------------- inputs
HANDWRITTEN = [
    "", " ", "  ", "\n", "\t", "a", "Hello world!", "Hello  world", "Hello\tworld\n", "   leading", "trailing   ",
    " a  b   c    d     e", "line one\nline two\r\nline three\n\n\n", "\u3000full\u3000width\u3000space",
    "no\u00a0break\u00a0space", "sep\u2028line\u2029para", "nel\u0085char", "mongolian\u180evowel",
    "zero\u200bwidth\u200cjoin\u200dmarks", "\ufeffbom", "bell\x07escape\x1b[0m del\x7f", "nul\x00inside",
    "unit\x1fsep\x1crecord\x1d\x1e", "vertical\x0btab\x0cfeed",
    "don't", "I'LL", "I'll", "we've", "they're", "she's", "it'd", "I'm", "'s 't 're 've 'm 'll 'd",
    "''", "'", "o'clock", "rock'n'roll", "DON'T WON'T CAN'T", "l'homme d'affaires",
    "1234567890", "3.14159", "1,000,000", "-42", "+7", "1e10", "½ ¾ ² ³ ¹", "Ⅻ ⅷ", "٠١٢٣٤٥٦٧٨٩", "१२३", "１２３",
    "$%&'()*+,-./:;<=>?@[]^_`{|}~", "!!!", "...", "—–-", "«guillemets» „Anführung“ “quotes” ‘single’",
    "Ça va? Très bien 🙂", "Grüße aus Köln", "naïve café résumé", "Ελληνικά κείμενα", "Русский текст, ёлки!",
    "Українська мова", "العربية لغة جميلة", "עברית כאן", "हिन्दी भाषा", "বাংলা", "தமிழ்", "ภาษาไทย ง่ายๆ",
    "한국어 텍스트입니다", "日本語のテキストです。", "東京は日本の首都です。", "中文文本，标点符号！", "ཀ་ཁ་ག", "ქართული",
    "Հայերեն", "አማርኛ", "ᠮᠣᠩᠭᠣᠯ", "ꦗꦮ", "𐌰𐌱𐌲", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚",
    "e\u0301 vs é", "a\u0300\u0301\u0302\u0303", "\u0301leading combining", "ñ vs n\u0303", "Å vs A\u030a",
    "👍", "👍🏽", "👨‍👩‍👧‍👦 family", "🏳️‍🌈", "🇫🇷🇩🇪", "❤️", "☺︎", "🫠🫡", "😀😃😄😁😆😅🤣😂", "emoji🙂inside",
    "<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|notimestamps|>", "<|0.00|>", "<|30.00|>",
    "a <|en|> b", "a<|en|>b", "a <|endoftext|> b", "x <|en|>  <|fr|> y", "<|en|<|en|>", "<|<|en|>|>",
    "<|endoftext|>|>", "<|enx|>", "<|EN|>", "< |en| >", "  <|notimestamps|>\n z", "<|translate|><|transcribe|>",
    "text\n<|startofprev|>\tprompt ", "\u3000<|en|>\u3000", "\x1c<|en|>\x85", "<|yue|>", "<|nocaptions|> <|nospeech|>",
    "https://example.com/path?q=1&x=2#frag", "user@example.org", "C:\\Windows\\System32", "snake_case_name",
    "camelCaseName", "CONSTANT_VALUE", "f(x) = x^2 + 2x + 1", "<html><body>hi</body></html>", "{\"json\": [1, 2]}",
    "a" * 500, "ab" * 300, " " * 100, "\n" * 50, "! " * 100, "🙂" * 50, "東" * 200,
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.",
    "And so, my fellow Americans: ask not what your country can do for you, ask what you can do for your country.",
    "\U00031350\U00031351 CJK-H, \U00011F04\U00011F05 Kawi, \U0001E4D0\U0001E4D1 Nag Mundari (Unicode 15)",
    "\U0001D7CE\U0001FBF0 digits, \U000E0001 tag, \ue000 private use, \u0378 unassigned, \U0010FFFF last",
]

ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "'", " ", "  \t\n\r", ".,;:!?-()[]{}\"'/",
    "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿßœ", "αβγδεζηθικλμνξοπρστυφχψω", "абвгдежзийклмнопрстуфхцчшщъыьэюя",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "אבגדהוזחטיכלמנסעפצקרשת", "कखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसह\u093e\u093f\u0940\u094d",
    "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ\u0e31\u0e34\u0e35", "가나다라마바사아자차카타파하한국어",
    "あいうえおかきくけこアイウエオ", "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年", "\u0300\u0301\u0302\u0308\u0327",
    "😀🙂👍🏽❤️🇫🇷👨‍👩‍👧", "\u200b\u200c\u200d\ufeff\u00ad", "\x00\x01\x07\x1b\x1c\x1f\x7f\x85", "\u00a0\u2000\u2028\u3000\u180e",
    "½²Ⅻ٣१", "\U00031350\U00011F04\U0001E4D0", "<|>", "$€£¥₹",
]


def random_strings(rng, n):
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 8)):
            alphabet = rng.choice(ALPHABETS)
            parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
        out.append("".join(parts))
    return out


def partial_byte_ids(tok):
    """Vocabulary ids whose bytes are not a complete UTF-8 text on their own (pieces of characters)."""
    out = []
    for text, i in tok.encoder.items():
        b = bytes(tok.byte_decoder[c] for c in text)
        try:
            b.decode("utf-8")
        except UnicodeDecodeError:
            out.append(i)
    return sorted(out)


def random_id_sequences(rng, tok, n, texts, vocab_size, notimestamps):
    partial = partial_byte_ids(tok)
    encoded = [tok.encode(t, add_special_tokens=False) for t in texts]
    specials = list(range(min(tok.all_special_ids), notimestamps + 1))
    timestamps = list(range(notimestamps + 1, vocab_size))
    pools = [lambda: rng.randrange(0, 50257), lambda: rng.choice(partial), lambda: rng.choice(specials),
             lambda: rng.choice(timestamps), lambda: 50256, lambda: vocab_size - 1]
    seqs = []
    for k in range(n):
        if k % 3 == 0:  # real text with specials, timestamps and partial bytes spliced in
            seq = list(rng.choice(encoded))
            for _ in range(rng.randint(0, 4)):
                seq.insert(rng.randint(0, len(seq)), rng.choice(pools[1:])())
        else:
            seq = [rng.choice(pools)() for _ in range(rng.randint(0, 30))]
        seqs.append(seq)
    return seqs


def decode_cases(tok, seqs):
    return [{"ids": s, "text": tok.decode(s, skip_special_tokens=False),
             "text_skip_special": tok.decode(s, skip_special_tokens=True),
             "text_with_timestamps": tok.decode(s, decode_with_timestamps=True)} for s in seqs]


def encode_cases(tok, texts):
    return [{"text": t, "ids": tok.encode(t, add_special_tokens=False)} for t in texts]


def key_ids(tok, names):
    return {n: tok.convert_tokens_to_ids(n) for n in names}


KEY_TOKENS = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|su|>", "<|translate|>", "<|transcribe|>",
              "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]


UTF8_EDGES = ["", "41", "c3a9", "c3", "c328", "a0a1", "e282ac", "e282", "e228a1", "f09f9982", "f09f99", "f09f", "f0",
              "c080", "c1bf", "e08080", "e09f80", "eda080", "edbfbf", "ed9fbf", "f08f8080", "f4908080", "f48fbfbf",
              "f5808080", "f8888080", "fe", "ff", "80", "bf", "e0a0", "f0908080", "f09080", "c2c2", "e1e1e1",
              "f1f1f1f1", "e080c2a9", "f0808080", "41e2829f41", "c0af", "e080af", "f8", "fc8080808080"]


def utf8_cases(rng, n):
    pieces = [c.encode("utf-8") for c in "aé€🙂\x00\x7f\u0800\uffff\U00010000\U0010ffff"]
    cases = [bytes.fromhex(h) for h in UTF8_EDGES]
    for _ in range(n):
        b = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        b = bytearray(b)
        for _ in range(rng.randint(0, 3)):  # damage: drop, replace or insert bytes
            if not b:
                break
            i = rng.randrange(len(b))
            op = rng.randrange(3)
            if op == 0:
                del b[i]
            elif op == 1:
                b[i] = rng.randrange(256)
            else:
                b.insert(i, rng.randrange(256))
        cases.append(bytes(b))
    out = []
    for b in cases:
        try:
            b.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        out.append({"hex": b.hex(), "valid": valid, "replace": b.decode("utf-8", errors="replace"),
                    "ignore": b.decode("utf-8", errors="ignore")})
    return out


# ----------------------------------------------------------------------------- main
def main():
    rng = random.Random(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="tokgold-"))
    golden = {"generator": "tools/make_tokenizer_goldens.py", "reference": "transformers 4.27.1 WhisperTokenizer (slow)"}

    # v2 (the fixture's vocabulary)
    v2_folder = published_layout(MODEL, tmp / "v2")
    tok = load_reference(v2_folder, v2_added())
    texts = HANDWRITTEN + random_strings(rng, 200)
    v2 = {"folder": "models/whisper-tiny-random", "vocab_size": 51865, "ids": key_ids(tok, KEY_TOKENS)}
    v2["encode"] = encode_cases(tok, texts)
    v2["decode"] = decode_cases(tok, random_id_sequences(rng, tok, 300, texts, 51865, 50363))
    runs = []
    for case in load_json(FIXTURE_GOLDEN)["cases"]:
        for r in case["runs"]:
            entry = {"audio": case["audio"], "name": r["name"], "text": tok.decode(r["sequence"], skip_special_tokens=True)}
            assert entry["text"] == r["text"], "the published layout must give the fixture's texts"
            if "text_with_timestamps" in r:
                entry["text_with_timestamps"] = tok.decode(r["sequence"], decode_with_timestamps=True)
            runs.append(entry)
    v2["fixture_runs"] = runs
    golden["v2"] = v2

    # v3: 51866 ids, <|yue|>
    added3 = v3_added()
    write_small_folder(OUT / "v3", added3, 51866)
    tok3 = load_reference(published_layout(OUT / "v3", tmp / "v3"), added3)
    texts3 = ["<|yue|> 廣東話", "a <|translate|> b <|transcribe|> c", "<|notimestamps|><|0.00|>", "Hello world!",
              "<|su|><|yue|><|translate|>"]
    v3 = {"folder": "cases/tokenizer/v3", "vocab_size": 51866, "ids": key_ids(tok3, KEY_TOKENS + ["<|yue|>"]),
          "languages": [k[2:-2] for k, v in sorted(added3.items(), key=lambda kv: kv[1])
                        if added3["<|startoftranscript|>"] < v < added3["<|translate|>"]],
          "encode": encode_cases(tok3, texts3),
          "decode": decode_cases(tok3, random_id_sequences(rng, tok3, 60, texts3 + HANDWRITTEN[:40], 51866, 50364))}
    golden["v3"] = v3

    # v2 with the timestamp tokens listed in added_tokens.json (newer Hub revisions)
    named = dict(v2_added())
    named.update(timestamp_names(named["<|notimestamps|>"], 51865))
    write_small_folder(OUT / "timestamps_named", named, 51865)
    tokn = load_reference(published_layout(OUT / "timestamps_named", tmp / "named"), named)
    textsn = ["<|0.00|> hi <|1.08|>", "a<|30.00|>b", "<|30.02|> beyond", "<|en|><|0.00|>", "plain text"]
    seqsn = random_id_sequences(rng, tokn, 40, texts, 51865, 50363)
    golden["timestamps_named"] = {
        "folder": "cases/tokenizer/timestamps_named", "vocab_size": 51865, "encode": encode_cases(tokn, textsn),
        # decode() differs on purpose here (see whisper_tokenizer.cpp); decode_with_timestamps does not
        "decode_with_timestamps": [{"ids": s, "text_with_timestamps": tokn.decode(s, decode_with_timestamps=True)}
                                   for s in seqsn]}

    golden["utf8"] = utf8_cases(rng, 300)  # Python's bytes.decode("utf-8", errors=...)
    write_fast_folder(OUT / "fast", v2_folder)
    write_json(OUT / "golden.json", golden)
    shutil.rmtree(tmp)
    print(f"wrote {OUT}: {len(v2['encode'])} encode, {len(v2['decode'])} decode cases (v2)", file=sys.stderr)


if __name__ == "__main__":
    main()
