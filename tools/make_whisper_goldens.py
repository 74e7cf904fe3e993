#!/usr/bin/env python3
"""Goldens for Whisper configurations beyond the fixture model (tests/data/FIXTURES.md).

Runs the reference implementation (transformers 4.27.1 on PyTorch 1.13, CPU, float32) on small
random-weight Whisper models whose shapes differ from the fixture's, and records what it computes:

  whisper-v3-random      d_model 40, 5 heads (head_dim 8), 3 encoder + 1 decoder layers, ffn 72,
                         128 mel bins, the 51866-token vocabulary of large-v3 (<|yue|> shifts every
                         special id after the languages by one), BF16 safetensors, output projection
                         tied to the token embedding (no proj_out.weight, as published).
  whisper-narrow-random  d_model 24, 1 head, 1 encoder + 3 decoder layers, ffn 40, 80 mel bins,
                         51865 tokens, F16 safetensors with an untied proj_out.weight
                         (tie_word_embeddings false), max_initial_timestamp_index 10, and a
                         generation_config.json WITHOUT lang_to_id / task_to_id /
                         no_timestamps_token_id (as some published files): an engine must take
                         them from the tokenizer's added tokens. The reference ran with them
                         (it cannot run without); the ids are the same.

Every weight, bias and norm is random (rounded to the stored precision, so the file holds exactly
the values the reference used). Inputs are the repo's own tests/data/audio files, decoded through
ffmpeg as the reference's pipeline does, and the repo's tokenizer files.

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 tools/make_whisper_goldens.py [DATA_DIR] [--processors-only]

DATA_DIR defaults to tests/data. It also records the reference's logits processors and beam
hypotheses on synthetic scores (DATA_DIR/cases/whisper-processors/processors.json) for the unit
tests of each rule. It writes DATA_DIR/models/<name>/ (Hugging Face layout) and
DATA_DIR/cases/<name>/: golden.json (shaped like the fixture's: cases[] with detected_language,
language_margin, runs[] with generate_kwargs, sequence, text, text_with_timestamps,
sequence_score, min_top2_margin) and .npy files: <audio>.features.npy [mels, 3000],
<audio>.language_logprobs.npy, and for some audios <audio>.encoder.npy and
<audio>.decoder_logits.npy (for the case's decoder_prefix).
"""
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
TOKENIZER_SRC = ROOT / "tests" / "data" / "models" / "whisper-tiny-random"

# openai/whisper's language codes in token order; large-v3 appends "yue".
LANGS = ["en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it",
         "id", "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur",
         "hr", "bg", "lt", "la", "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn",
         "et", "mk", "br", "eu", "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si",
         "km", "sn", "yo", "so", "af", "oc", "ka", "be", "tg", "sd", "gu", "am", "yi", "lo", "uz", "fo",
         "ht", "ps", "tk", "nn", "mt", "sa", "lb", "my", "bo", "tl", "mg", "as", "tt", "haw", "ln", "ha",
         "ba", "jw", "su"]


def suppress_ids(added):
    """The published suppress_tokens: a fixed list of text tokens plus the task/control specials."""
    base = json.loads((TOKENIZER_SRC / "generation_config.json").read_text())["suppress_tokens"]
    text = [t for t in base if t < 50257]
    return text + [added[t] for t in ("<|startoftranscript|>", "<|translate|>", "<|transcribe|>",
                                      "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>")]


def save_npy(path: Path, a):
    path.parent.mkdir(parents=True, exist_ok=True)
    if torch.is_tensor(a):
        a = a.detach().cpu().numpy()
    np.save(path, np.ascontiguousarray(np.asarray(a), dtype=np.float32))


def write_safetensors(path: Path, state: dict, dtype):
    """Plain safetensors writer: 8-byte little-endian header size, JSON header, raw data."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for k, v in state.items():
        t = v.detach().to(dtype).contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if dtype == torch.bfloat16 else t.numpy().tobytes()
        header[k] = {"dtype": names[dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def randomize(model, seed, dtype, scale=0.08):
    """Every parameter random (HF leaves biases at 0 and norms at 1, which would hide loading bugs),
    rounded to the storage dtype so the stored file holds exactly what the reference ran."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm.weight" in name:
                v = 1.0 + 0.1 * torch.randn(p.shape, generator=g)
            else:
                v = scale * torch.randn(p.shape, generator=g)
            p.copy_(v.to(dtype).float())


def read_wav16k(path: Path) -> np.ndarray:
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-ar", "16000", "-"],
                       check=True, capture_output=True)
    return np.frombuffer(r.stdout, dtype=np.float32).copy()


def margins(scores):
    m = float("inf")
    for s in scores:
        top = torch.topk(s[0].float(), 2).values
        if torch.isfinite(top[1]):
            m = min(m, float(top[0] - top[1]))
    return m


def tokenizer_files(d: Path, v3: bool):
    """The tokenizer files in the layout the Hub publishes: <|endoftext|> (50257) in vocab.json and the
    other specials in added_tokens.json. (With <|endoftext|> only in added_tokens.json, as the fixture
    folder has it, 4.27.1 numbers every later special one lower when decoding with timestamps.)"""
    vocab = json.loads((TOKENIZER_SRC / "vocab.json").read_text(encoding="utf-8"))
    vocab["<|endoftext|>"] = 50257
    (d / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    shutil.copy(TOKENIZER_SRC / "merges.txt", d / "merges.txt")
    langs = LANGS + (["yue"] if v3 else [])
    specials = ["<|endoftext|>", "<|startoftranscript|>"] + [f"<|{c}|>" for c in langs] + [
        "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]
    added = {tok: 50257 + i for i, tok in enumerate(specials)}
    in_file = {k: v for k, v in added.items() if k != "<|endoftext|>"}
    (d / "added_tokens.json").write_text(json.dumps(in_file, indent=1, ensure_ascii=False))
    (d / "special_tokens_map.json").write_text(json.dumps({
        "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>", "additional_special_tokens": specials[1:]}, indent=1))
    (d / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "WhisperTokenizer", "model_max_length": 1024, "errors": "replace",
        "add_prefix_space": False, "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}, indent=1))
    return added, langs


def make_model(data: Path, spec: dict):
    from transformers import (GenerationConfig, WhisperConfig, WhisperFeatureExtractor,
                              WhisperForConditionalGeneration, WhisperTokenizer)
    name = spec["name"]
    d = data / "models" / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    added, langs = tokenizer_files(d, spec["v3"])
    vocab = 51866 if spec["v3"] else 51865
    eot, sot = added["<|endoftext|>"], added["<|startoftranscript|>"]
    translate, transcribe, notimestamps = added["<|translate|>"], added["<|transcribe|>"], added["<|notimestamps|>"]
    lang_to_id = {f"<|{c}|>": added[f"<|{c}|>"] for c in langs}
    suppress = suppress_ids(added)
    cfg = WhisperConfig(vocab_size=vocab, num_mel_bins=spec["mels"], d_model=spec["d_model"],
                        encoder_layers=spec["enc_layers"], decoder_layers=spec["dec_layers"],
                        encoder_attention_heads=spec["heads"], decoder_attention_heads=spec["heads"],
                        encoder_ffn_dim=spec["ffn"], decoder_ffn_dim=spec["ffn"], max_source_positions=1500,
                        max_target_positions=448, pad_token_id=eot, bos_token_id=eot, eos_token_id=eot,
                        decoder_start_token_id=sot, suppress_tokens=suppress, begin_suppress_tokens=[220, eot],
                        forced_decoder_ids=[[1, None], [2, transcribe]],
                        tie_word_embeddings=spec["tied"])
    model = WhisperForConditionalGeneration(cfg).eval()
    randomize(model, spec["seed"], spec["dtype"])
    if not spec["tied"]:
        assert model.proj_out.weight.data_ptr() != model.model.decoder.embed_tokens.weight.data_ptr()
    model.config.save_pretrained(d)
    gen = GenerationConfig(decoder_start_token_id=sot, eos_token_id=eot, pad_token_id=eot, bos_token_id=eot,
                           max_length=448, suppress_tokens=suppress, begin_suppress_tokens=[220, eot],
                           forced_decoder_ids=[[1, None], [2, transcribe]], is_multilingual=True,
                           lang_to_id=lang_to_id, task_to_id={"translate": translate, "transcribe": transcribe},
                           no_timestamps_token_id=notimestamps,
                           max_initial_timestamp_index=spec["max_initial_timestamp_index"], return_timestamps=False)
    model.generation_config = gen
    on_disk = gen.to_diff_dict()  # as save_pretrained writes it
    for key in spec.get("strip_from_generation_config", []):
        on_disk.pop(key, None)
    (d / "generation_config.json").write_text(json.dumps(on_disk, indent=2, sort_keys=True) + "\n")
    fe = WhisperFeatureExtractor(feature_size=spec["mels"])
    fe.save_pretrained(d)
    sd = model.state_dict()
    if spec["tied"]:  # stored once, as the published checkpoints do
        sd = {k: v for k, v in sd.items() if k != "proj_out.weight"}
    write_safetensors(d / "model.safetensors", sd, spec["dtype"])
    tok = WhisperTokenizer.from_pretrained(d)
    for name, i in added.items():  # the layout gives the reference the declared ids
        assert tok.convert_tokens_to_ids(name) == i, name
    return model, fe, tok, lang_to_id, {"sot": sot, "transcribe": transcribe, "notimestamps": notimestamps}


def run_cases(data: Path, spec: dict, model, fe, tok, lang_to_id, ids):
    name = spec["name"]
    cdir = data / "cases" / name
    if cdir.exists():
        shutil.rmtree(cdir)
    cdir.mkdir(parents=True)
    summary = {"model": name, "made_by": "tools/make_whisper_goldens.py", "cases": []}
    lang_ids = sorted(lang_to_id.values())
    for audio in spec["audios"]:
        apath = data / "audio" / f"{audio}.wav"
        wav = read_wav16k(apath)
        feats = fe(wav, sampling_rate=16000, return_tensors="pt").input_features
        with torch.no_grad():
            enc = model.model.encoder(feats).last_hidden_state
            logits = model(encoder_outputs=(enc,), decoder_input_ids=torch.tensor([[ids["sot"]]])).logits[0, -1]
        lp = torch.log_softmax(logits[lang_ids], -1)
        detected = [k for k, v in lang_to_id.items() if v == lang_ids[int(lp.argmax())]][0][2:-2]
        top2 = torch.sort(lp, descending=True).values
        rec = {"audio": f"audio/{apath.name}", "samples": int(wav.shape[0]), "detected_language": detected,
               "language_margin": float(top2[0] - top2[1]), "runs": []}
        save_npy(cdir / f"{audio}.language_logprobs.npy", lp)
        save_npy(cdir / f"{audio}.features.npy", feats[0])
        if audio in spec["tensors"]:
            save_npy(cdir / f"{audio}.encoder.npy", enc[0])
            prefix = [ids["sot"], lang_to_id["<|en|>"], ids["transcribe"], ids["notimestamps"]]
            with torch.no_grad():
                lg = model(encoder_outputs=(enc,), decoder_input_ids=torch.tensor([prefix])).logits[0]
            save_npy(cdir / f"{audio}.decoder_logits.npy", lg)
            rec["decoder_prefix"] = prefix
        for run in spec["runs"](detected):
            kw = dict(run["kwargs"])
            hf_kw = dict(kw, language=f"<|{kw['language']}|>") if "language" in kw else kw
            with torch.no_grad():
                o = model.generate(feats, output_scores=True, return_dict_in_generate=True, **hf_kw)
            seq = o.sequences[0].tolist()
            beams = kw.get("num_beams", 1)
            r = {"name": run["name"], "generate_kwargs": kw, "sequence": seq,
                 "text": tok.decode(seq, skip_special_tokens=True),
                 "min_top2_margin": margins(o.scores) if beams == 1 else None}
            if kw.get("return_timestamps"):
                r["text_with_timestamps"] = tok.decode(seq, skip_special_tokens=False, decode_with_timestamps=True)
            if beams > 1:
                r["sequence_score"] = float(o.sequences_scores[0])
            rec["runs"].append(r)
        summary["cases"].append(rec)
    (cdir / "golden.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    return summary


def v3_runs(detected):
    return [
        {"name": "transcribe_detected", "kwargs": {"task": "transcribe", "language": detected, "max_new_tokens": 32}},
        {"name": "translate_yue", "kwargs": {"task": "translate", "language": "yue", "max_new_tokens": 24}},
        {"name": "timestamps_detected", "kwargs": {"task": "transcribe", "language": detected, "max_new_tokens": 40,
                                                   "return_timestamps": True}},
        {"name": "beam3_translate_en", "kwargs": {"task": "translate", "language": "en", "max_new_tokens": 16,
                                                  "num_beams": 3}},
        {"name": "beam2_timestamps", "kwargs": {"task": "transcribe", "language": detected, "max_new_tokens": 20,
                                                "num_beams": 2, "return_timestamps": True}},
        {"name": "max_length_it", "kwargs": {"task": "transcribe", "language": "it", "max_length": 14}},
    ]


def narrow_runs(detected):
    return [
        {"name": "transcribe_detected", "kwargs": {"task": "transcribe", "language": detected, "max_new_tokens": 32}},
        {"name": "translate_es", "kwargs": {"task": "translate", "language": "es", "max_new_tokens": 48}},
        {"name": "timestamps_en", "kwargs": {"task": "transcribe", "language": "en", "max_new_tokens": 48,
                                             "return_timestamps": True}},
        {"name": "beam4_transcribe_detected", "kwargs": {"task": "transcribe", "language": detected,
                                                         "max_new_tokens": 20, "num_beams": 4}},
    ]


SPECS = [
    {"name": "whisper-v3-random", "v3": True, "mels": 128, "d_model": 40, "heads": 5, "enc_layers": 3,
     "dec_layers": 1, "ffn": 72, "seed": 51, "dtype": torch.bfloat16, "tied": True, "max_initial_timestamp_index": 50,
     "audios": ["jfk", "es"], "tensors": ["jfk", "es"], "runs": v3_runs},
    {"name": "whisper-narrow-random", "v3": False, "mels": 80, "d_model": 24, "heads": 1, "enc_layers": 1,
     "dec_layers": 3, "ffn": 40, "seed": 61, "dtype": torch.float16, "tied": False, "max_initial_timestamp_index": 10,
     "strip_from_generation_config": ["lang_to_id", "task_to_id", "no_timestamps_token_id"],
     "audios": ["jfk", "it_seed"], "tensors": ["it_seed"], "runs": narrow_runs},
]


def processor_goldens(data: Path):
    """The reference's logits processors and BeamHypotheses on synthetic inputs (a 40-token vocabulary:
    eos 20, <|notimestamps|> 25, timestamps from 26), for the unit tests of each rule."""
    from types import SimpleNamespace

    from transformers.generation.beam_search import BeamHypotheses
    from transformers.generation.logits_process import (ForceTokensLogitsProcessor, SuppressTokensAtBeginLogitsProcessor,
                                                        SuppressTokensLogitsProcessor, WhisperTimeStampLogitsProcessor)
    g = torch.Generator().manual_seed(7)
    vocab, eos, nots = 40, 20, 25

    def scores(kind):
        s = torch.randn(1, vocab, generator=g) * 2
        if kind == "timestamps_heavy":  # many likely timestamps: their summed mass beats every text token
            s[0, nots + 1:] += 2.5
        if kind == "logprobs":
            s = torch.log_softmax(s, -1)
        return s

    def enc(t):
        return [None if not torch.isfinite(v) else float(v) for v in t[0]]

    prompt = [30, 31, 32]  # stand-ins for sot, language, task
    cases = []

    def record(name, proc, params, tokens, kind="logits"):
        s = scores(kind)
        out = proc(torch.tensor([tokens]), s.clone())
        cases.append({"processor": name, "params": params, "tokens": tokens, "scores": enc(s), "expected": enc(out)})

    for tokens in ([30], [30, 31, 32, 5, 6]):
        record("suppress_tokens", SuppressTokensLogitsProcessor([1, 2, 20, 39]), {"ids": [1, 2, 20, 39]}, tokens)
    for tokens in ([30, 31, 32], [30, 31, 32, 33], [30, 31, 32, 33, 4]):
        record("suppress_at_begin", SuppressTokensAtBeginLogitsProcessor([3, 20], 4), {"ids": [3, 20], "begin_index": 4},
               tokens)
    force = [[1, 31], [2, 32], [3, None]]
    for tokens in ([30], [30, 31], [30, 31, 32], [30, 31, 32, 7]):
        record("force_tokens", ForceTokensLogitsProcessor(force), {"map": force}, tokens)
    for max_initial in (None, 3):
        for forced in ([[1, 31], [2, 32]], [[1, 31], [2, 32], [3, nots]]):
            cfg = SimpleNamespace(eos_token_id=eos, no_timestamps_token_id=nots, forced_decoder_ids=forced,
                                  max_initial_timestamp_index=max_initial)
            proc = WhisperTimeStampLogitsProcessor(cfg)
            params = {"eos": eos, "no_timestamps": nots, "timestamp_begin": nots + 1, "begin_index": proc.begin_index,
                      "max_initial_timestamp_index": max_initial}
            b = proc.begin_index
            seqs = [prompt[:b - 1], prompt[:b - 1] + [26], prompt[:b - 1] + [26, 30], prompt[:b - 1] + [26, 5],
                    prompt[:b - 1] + [26, 5, 28], prompt[:b - 1] + [26, 5, 28, 29], prompt[:b - 1] + [26, 28, 29, 6],
                    prompt[:b - 1] + [26, 7, 8], prompt[:b - 1] + [7, 28]]
            for tokens in seqs:
                for kind in ("logits", "timestamps_heavy", "logprobs"):
                    record("timestamp_rules", proc, params, tokens, kind)
    beams = []
    for early in (False, True):
        for penalty in (1.0, 0.5):
            h = BeamHypotheses(num_beams=2, length_penalty=penalty, early_stopping=early)
            ops = []
            for length, logp in ((5, -3.0), (7, -3.5), (6, -2.0), (9, -4.4), (4, -2.0)):
                h.add(torch.arange(length), logp)
                ops.append({"add": [length, logp]})
                for best, cur in ((-2.0, 8), (-0.5, 8), (-6.0, 10)):
                    ops.append({"is_done": [best, cur], "expected": bool(h.is_done(best, cur))})
            best = sorted(h.beams, key=lambda x: x[0])[-1]
            beams.append({"num_beams": 2, "length_penalty": penalty, "early_stopping": early, "ops": ops,
                          "best_length": int(best[1].shape[-1]), "best_score": float(best[0])})
    out = data / "cases" / "whisper-processors"
    out.mkdir(parents=True, exist_ok=True)
    (out / "processors.json").write_text(json.dumps({"made_by": "tools/make_whisper_goldens.py", "vocab": vocab,
                                                     "note": "null scores are -inf", "processors": cases,
                                                     "beam_hypotheses": beams}, indent=None) + "\n")


def main():
    paths = [a for a in sys.argv[1:] if not a.startswith("--")]
    data = Path(paths[0]) if paths else ROOT / "tests" / "data"
    torch.manual_seed(0)
    processor_goldens(data)
    if "--processors-only" in sys.argv:
        return
    report = {}
    for spec in SPECS:
        model, fe, tok, lang_to_id, ids = make_model(data, spec)
        s = run_cases(data, spec, model, fe, tok, lang_to_id, ids)
        report[spec["name"]] = [(c["audio"], c["detected_language"], round(c["language_margin"], 4),
                                 [(r["name"], len(r["sequence"]), r["min_top2_margin"]) for r in c["runs"]])
                                for c in s["cases"]]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
