#!/usr/bin/env python3
"""Log-mel goldens beyond the fixtures' 80-mel / 30 s ones: other feature sizes, FFT sizes and window
lengths through the reference WhisperFeatureExtractor (transformers 4.27.1), and openai/whisper's
log_mel_spectrogram (the long-form reference: whole-signal normalisation, caller-side padding).

    PYTHONPATH=/tmp/owstub:/tmp/owhisper:/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 tools/make_mel_goldens.py

Writes tests/data/cases/mel/<case>.npy (float32) and cases.json describing each case: the audio it
reads (16 kHz WAVs of tests/data/audio, read with the ffmpeg command line as the fixtures were), the
variant ("hf" or "openai"), the preprocessor_config.json fields ("hf") or n_mels and padding ("openai").
"""
import json
import subprocess
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = DATA / "cases" / "mel"


def read16k(rel):
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", str(DATA / rel), "-f", "f32le", "-ac", "1", "-ar", "16000", "-"],
                       check=True, capture_output=True)
    return np.frombuffer(r.stdout, dtype=np.float32).copy()


HF_CASES = [
    # 128 mels (large-v3) over an 8 s window: jfk (11 s) is cut, es (5.5 s) is padded.
    ("hf128_jfk_8s", "audio/jfk.wav", {"feature_size": 128, "chunk_length": 8}),
    ("hf128_es_8s", "audio/es.wav", {"feature_size": 128, "chunk_length": 8}),
    # Another FFT size and hop: nothing may assume 400/160.
    ("hf64_fft512_hop256_it", "audio/it_seed.wav",
     {"feature_size": 64, "n_fft": 512, "hop_length": 256, "chunk_length": 8}),
]
OPENAI_CASES = [
    ("openai80_es_pad1s", "audio/es.wav", 80, 16000),
    ("openai128_es", "audio/es.wav", 128, 0),
]


def main():
    from transformers import WhisperFeatureExtractor
    import torch
    import whisper.audio as oa

    OUT.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name, audio, cfg in HF_CASES:
        fe = WhisperFeatureExtractor(**cfg)
        feats = fe(read16k(audio), sampling_rate=16000, return_tensors="np").input_features[0].astype(np.float32)
        np.save(OUT / f"{name}.npy", feats)
        manifest.append({"name": name, "audio": audio, "variant": "hf", "config": cfg, "shape": list(feats.shape)})
    for name, audio, n_mels, padding in OPENAI_CASES:
        x = torch.from_numpy(read16k(audio))
        feats = oa.log_mel_spectrogram(x, n_mels=n_mels, padding=padding).numpy().astype(np.float32)
        np.save(OUT / f"{name}.npy", feats)
        manifest.append({"name": name, "audio": audio, "variant": "openai", "n_mels": n_mels, "padding": padding,
                         "shape": list(feats.shape)})
    (OUT / "cases.json").write_text(json.dumps({"made_by": "tools/make_mel_goldens.py", "cases": manifest}, indent=1) + "\n")
    for m in manifest:
        print(m["name"], m["shape"])


if __name__ == "__main__":
    main()
