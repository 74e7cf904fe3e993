#!/usr/bin/env python3
"""Times the reference stack (transformers + PyTorch) on the benchmark's checkpoints, doing the same
work as bench/parley_bench.cpp (same clip length, token counts and synthesis steps), and prints JSON.

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src python3 tools/bench_reference.py MODELS_DIR [REPEATS]

MODELS_DIR is what tools/make_bench_models.py wrote. Used by scripts/bench.sh for its ratios.
"""
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from transformers import (SpeechT5ForTextToSpeech, SpeechT5HifiGan, SpeechT5Tokenizer, WhisperFeatureExtractor,
                          WhisperForConditionalGeneration)

SR = 16000
DECODE_TOKENS, CLIP_TOKENS, TTS_STEPS, CLIP_SECONDS = 64, 32, 100, 10.0
TEXT = "The quick brown fox jumps over the lazy dog, and then it runs far away into the woods."


def load(cls, folder):
    """cls from folder's config.json and model.safetensors, read here (no safetensors package)."""
    import struct
    model = cls(cls.config_class.from_json_file(str(folder / "config.json")))
    raw = (folder / "model.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        state[name] = torch.from_numpy(np.frombuffer(raw, np.float32, (b - a) // 4, 8 + n + a).reshape(info["shape"]).copy())
    model.load_state_dict(state, strict=False)  # proj_out is tied to the token embedding
    model.tie_weights()
    return model.eval()


def timed(repeats, fn):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def noise(n, seed):
    return (np.random.default_rng(seed).random(n, dtype=np.float32) - 0.5) * 0.2


def decode(model, enc, prompt, tokens, eos):
    out = model.model.decoder(input_ids=torch.tensor([prompt]), encoder_hidden_states=enc, use_cache=True)
    past = out.past_key_values
    logits = model.proj_out(out.last_hidden_state[:, -1])
    times = []
    for _ in range(tokens):
        tok = int(torch.argmax(logits[0, :eos]))
        t0 = time.perf_counter()
        out = model.model.decoder(input_ids=torch.tensor([[tok]]), encoder_hidden_states=enc,
                                  past_key_values=past, use_cache=True)
        past = out.past_key_values
        logits = model.proj_out(out.last_hidden_state[:, -1])
        times.append(time.perf_counter() - t0)
    return times


def main():
    root = Path(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_grad_enabled(False)
    r = {}
    t0 = time.perf_counter()
    fe = WhisperFeatureExtractor.from_pretrained(root / "whisper-base")
    whisper = load(WhisperForConditionalGeneration, root / "whisper-base")
    t1 = time.perf_counter()
    tts = load(SpeechT5ForTextToSpeech, root / "speecht5_tts")
    tok = SpeechT5Tokenizer.from_pretrained(root / "speecht5_tts")
    t2 = time.perf_counter()
    vocoder = load(SpeechT5HifiGan, root / "speecht5_hifigan")
    t3 = time.perf_counter()
    r.update(load_whisper_s=t1 - t0, load_tts_s=t2 - t1, load_vocoder_s=t3 - t2, load_s=t3 - t0)

    clip = noise(int(CLIP_SECONDS * SR), 1)
    feats = {}
    r["features_s"] = timed(repeats, lambda: feats.update(
        f=fe(clip, sampling_rate=SR, return_tensors="pt").input_features))
    enc = {}
    r["encoder_s"] = timed(repeats, lambda: enc.update(s=whisper.model.encoder(feats["f"]).last_hidden_state))
    cfg = whisper.config
    prompt = [cfg.decoder_start_token_id, 50259, 50358, 50363]  # <|en|> <|translate|> <|notimestamps|>
    decode(whisper, enc["s"], prompt, 8, cfg.eos_token_id)
    r["decoder_token_s"] = statistics.median(decode(whisper, enc["s"], prompt, DECODE_TOKENS, cfg.eos_token_id))

    ids = tok(TEXT, return_tensors="pt").input_ids
    speaker = torch.tensor(noise(512, 7))[None]
    red = tts.config.reduction_factor

    def speech(steps):
        torch.manual_seed(0)  # the prenet's dropout
        return tts.generate_speech(ids, speaker, threshold=2.0, maxlenratio=(steps + 0.5) * red / ids.shape[1])

    mel = {}
    r["tts_step_s"] = timed(repeats, lambda: mel.update(m=speech(TTS_STEPS))) / (mel["m"].shape[0] // red)
    r["tts_steps"] = mel["m"].shape[0] // red
    frames = int(CLIP_SECONDS * SR / 256)
    vmel = torch.tensor(noise(frames * 80, 3).reshape(frames, 80))
    r["vocoder_rtf"] = timed(repeats, lambda: vocoder(vmel)) / CLIP_SECONDS

    def e2e():
        f = fe(clip, sampling_rate=SR, return_tensors="pt").input_features
        s = whisper.model.encoder(f).last_hidden_state
        decode(whisper, s, prompt, CLIP_TOKENS, cfg.eos_token_id)
        vocoder(speech(int(CLIP_SECONDS * SR / 256 / red)))

    r["e2e_10s_s"] = timed(max(1, repeats - 1), e2e)
    r["ttfa_60s_s"] = None
    r["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    r["threads"] = torch.get_num_threads()
    print(json.dumps({"reference": r}, indent=2))


if __name__ == "__main__":
    main()
