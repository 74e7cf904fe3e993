#!/usr/bin/env python3
"""Times the reference stack (transformers + PyTorch) on the benchmark's checkpoints, doing the same
work as bench/parley_bench.cpp (same clip length, token counts and synthesis steps), and prints JSON.

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src python3 tools/bench_reference.py MODELS_DIR [REPEATS] [--part english|mt|vits]

MODELS_DIR is what tools/make_bench_models.py wrote. Used by scripts/bench.sh for its ratios. The
parts run in processes of their own, as parley_bench's do (--only mt, --only vits), so that each
peak memory is its own; bench/xy_bench.cpp says what mt and vits time.
"""
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from safetensors_io import read_safetensors  # noqa: E402
from transformers import (SpeechT5ForTextToSpeech, SpeechT5HifiGan, SpeechT5Tokenizer, WhisperFeatureExtractor,
                          WhisperForConditionalGeneration)

SR = 16000
DECODE_TOKENS, CLIP_TOKENS, TTS_STEPS, CLIP_SECONDS = 64, 32, 100, 10.0
TEXT = "The quick brown fox jumps over the lazy dog, and then it runs far away into the woods."


def load(cls, folder):
    """cls from folder's config.json and model.safetensors (tools/safetensors_io.py: no safetensors package)."""
    model = cls(cls.config_class.from_json_file(str(folder / "config.json")))
    model.load_state_dict(read_safetensors(folder / "model.safetensors"), strict=False)  # tied copies are stored once
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


def english(root, repeats):
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
    return r


MT_SENTENCE_TOKENS, MT_STEPS = 25, 32
PARAGRAPH = ("The quick brown fox jumps over the lazy dog. Then it runs far away into the woods, where nobody "
             "can see it any more. The dog does not care at all, and goes back to sleep in the warm sun.")


def mt_steps(model, enc, beams, start):
    """Decoder steps of `beams` rows from the start token, reordered every step as beam search does."""
    enc = enc.expand(beams, -1, -1)
    out = model.model.decoder(input_ids=torch.full((beams, 1), start), encoder_hidden_states=enc, use_cache=True)
    past, logits = out.past_key_values, model.lm_head(out.last_hidden_state[:, -1]) + model.final_logits_bias
    rotate = torch.tensor([(b + 1) % beams for b in range(beams)])
    times = []
    for _ in range(MT_STEPS):
        tokens = torch.argmax(logits, dim=-1)[:, None]
        t0 = time.perf_counter()
        if beams > 1:
            past = tuple(tuple(p.index_select(0, rotate) for p in layer) for layer in past)
        out = model.model.decoder(input_ids=tokens, encoder_hidden_states=enc, past_key_values=past, use_cache=True)
        past, logits = out.past_key_values, model.lm_head(out.last_hidden_state[:, -1]) + model.final_logits_bias
        times.append(time.perf_counter() - t0)
    return times


def mt(root, repeats):
    from transformers import M2M100ForConditionalGeneration, MarianMTModel
    r = {}
    for name, cls in (("nllb-600m", M2M100ForConditionalGeneration), ("opus-mt", MarianMTModel)):
        folder = root / name
        t0 = time.perf_counter()
        model = load(cls, folder)
        m = {"load_s": time.perf_counter() - t0}
        if not hasattr(model, "final_logits_bias"):
            model.final_logits_bias = torch.zeros(1)
        gen = json.loads((folder / "generation_config.json").read_text()) if (folder / "generation_config.json").exists() else {}
        eos = gen.get("eos_token_id", model.config.eos_token_id)
        start = gen.get("decoder_start_token_id", model.config.decoder_start_token_id)
        vocab = model.config.vocab_size
        ids = torch.tensor([[4 + (100 + 37 * i) % (vocab - 8) for i in range(MT_SENTENCE_TOKENS - 1)] + [eos]])
        enc = {}
        m["encoder_s"] = timed(repeats, lambda: enc.update(s=model.model.encoder(input_ids=ids).last_hidden_state))
        mt_steps(model, enc["s"], 1, start)
        m["decoder_token_s"] = statistics.median(mt_steps(model, enc["s"], 1, start))
        m["decoder_beam4_step_s"] = statistics.median(mt_steps(model, enc["s"], 4, start))
        r[name] = m
        del model
    return r


def vits(root, repeats):
    from transformers.models.vits.modeling_vits import VitsModel
    from transformers.models.vits.tokenization_vits import VitsTokenizer
    folder = root / "mms-tts"
    t0 = time.perf_counter()
    model = load(VitsModel, folder)
    r = {"load_s": time.perf_counter() - t0}
    model.noise_scale = model.noise_scale_duration = 0.0
    tok = VitsTokenizer.from_pretrained(folder)
    ids = tok(PARAGRAPH, return_tensors="pt").input_ids
    out = {}
    r["paragraph_s"] = timed(repeats, lambda: out.update(w=model(input_ids=ids).waveform))
    r["audio_s"] = out["w"].shape[-1] / model.config.sampling_rate
    r["rtf"] = r["paragraph_s"] / r["audio_s"]
    r["ttfa_s"] = r["paragraph_s"]  # no streaming: the first audio is the whole paragraph's
    return r


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--part")]
    part = "english"
    for i, a in enumerate(sys.argv):
        if a == "--part":
            part = sys.argv[i + 1]
            args.remove(part)
    root = Path(args[0])
    repeats = int(args[1]) if len(args) > 1 else 3
    torch.set_grad_enabled(False)
    r = {"english": english, "mt": mt, "vits": vits}[part](root, repeats)
    r["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    r["threads"] = torch.get_num_threads()
    print(json.dumps({"reference": r}, indent=2))


if __name__ == "__main__":
    main()
