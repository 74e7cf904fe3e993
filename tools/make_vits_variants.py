#!/usr/bin/env python3
"""VITS (MMS-TTS) goldens for what the shared fixtures lack, from the reference itself: transformers'
models/vits as released in v4.33, grafted onto 4.27.1 (../shared/tools/reference-env.md).

  vits-plain-random     use_stochastic_duration_prediction false: the plain duration predictor
  vits-speakers-random  num_speakers 4 with speaker embeddings, stored as pytorch_model.bin
  vits-cased-random     tokenizer normalize false: a vocabulary with capitals, kept as written

Random weights, tiny sizes. Each case: the waveform, the log durations and, where noise is drawn,
the raw draws (replayed by --duration-noise / --prior-noise).

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 tools/make_vits_variants.py tests/data

--bench DIR instead writes one random checkpoint of the published MMS-TTS shape (hidden 192,
6 layers, 2 heads, FFN 768, flow 192, upsampling 8*8*2*2 from 512 channels, resblocks 3/7/11) for
parley_bench; it is not test data (about 145 MB).
"""
import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

LOWER = list("abcdefghijklmnopqrstuvwxyzàéèçäöüß'-,.?!")


def fill_random(model, seed):
    """Every float parameter and buffer drawn anew at scale 0.1 (norm gains and weight_g around 1)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict(keep_vars=True).items():
            if not t.is_floating_point():
                continue
            draw = torch.randn(t.shape, generator=gen) * 0.1
            if "weight_g" in name or name.endswith("norm.weight"):
                draw += 1.0
            t.copy_(draw)


def tiny_config(vocab_size, **extra):
    from transformers.models.vits.configuration_vits import VitsConfig
    cfg = VitsConfig(vocab_size=vocab_size, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, ffn_dim=24,
                     flow_size=8, spectrogram_bins=9, upsample_initial_channel=32, upsample_rates=[4, 2],
                     upsample_kernel_sizes=[8, 4], resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]],
                     prior_encoder_num_flows=2, prior_encoder_num_wavenet_layers=2,
                     posterior_encoder_num_wavenet_layers=2, duration_predictor_filter_channels=16,
                     duration_predictor_num_flows=2, sampling_rate=16000, **extra)
    cfg.architectures = ["VitsModel"]
    return cfg


def write_tokenizer(d: Path, chars, normalize):
    vocab = {c: i for i, c in enumerate(["_", " "] + chars)}
    (d / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1) + "\n")
    (d / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "VitsTokenizer", "add_blank": True, "is_uroman": False, "language": "fra",
         "normalize": normalize, "pad_token": "_", "phonemize": False, "unk_token": None}, indent=2) + "\n")
    from transformers.models.vits.tokenization_vits import VitsTokenizer
    return VitsTokenizer(str(d / "vocab.json"), pad_token="_", add_blank=True, normalize=normalize, phonemize=False)


def run_case(model, ids, speaker_id, noise_scale, noise_scale_duration, rate, seed):
    """One forward pass with the draws and the log durations recorded."""
    model.noise_scale, model.noise_scale_duration, model.speaking_rate = noise_scale, noise_scale_duration, rate
    draws, log_durations = [], []
    real_randn, real_randn_like, real_dp = torch.randn, torch.randn_like, model.duration_predictor.forward

    def randn(*a, **k):
        draws.append(real_randn(*a, **k))
        return draws[-1].clone()

    def randn_like(x, **k):
        draws.append(real_randn_like(x, **k))
        return draws[-1].clone()

    def dp(*a, **k):
        log_durations.append(real_dp(*a, **k))
        return log_durations[-1]
    torch.manual_seed(seed)
    torch.randn, torch.randn_like, model.duration_predictor.forward = randn, randn_like, dp
    try:
        with torch.no_grad():
            kw = {} if speaker_id is None else {"speaker_id": speaker_id}
            out = model(input_ids=torch.tensor([ids]), **kw)
    finally:
        torch.randn, torch.randn_like, model.duration_predictor.forward = real_randn, real_randn_like, real_dp
    return out.waveform[0], log_durations[0][0, 0], draws


def make_variant(out: Path, name: str, cfg, chars, normalize, texts, settings, speakers, seed, as_bin):
    from transformers.models.vits.modeling_vits import VitsModel
    d = out / "models" / name
    cd = out / "cases" / name
    for p in (d, cd):
        shutil.rmtree(p, ignore_errors=True)
        p.mkdir(parents=True)
    tok = write_tokenizer(d, chars, normalize)
    torch.manual_seed(seed)
    model = VitsModel(cfg).eval()
    fill_random(model, seed)
    if cfg.use_stochastic_duration_prediction:
        with torch.no_grad():  # a few frames per token, not about one
            model.duration_predictor.flows[0].translate[0] -= 1.4
    else:
        with torch.no_grad():
            model.duration_predictor.proj.bias += 1.2
    cfg.save_pretrained(d)
    if as_bin:
        torch.save(model.state_dict(), d / "pytorch_model.bin")
    else:
        write_safetensors(d / "model.safetensors", model.state_dict())
    cases = []
    for ti, text in enumerate(texts):
        ids = tok(text).input_ids
        for sname, ns, nsd, rate in settings:
            for spk in speakers:
                wave, logw, draws = run_case(model, ids, spk, ns, nsd, rate, 200 + ti)
                cname = f"text{ti}.{sname}" + ("" if spk is None else f".speaker{spk}")
                np.save(cd / f"{cname}.wave.npy", wave.numpy().astype(np.float32))
                np.save(cd / f"{cname}.log_duration.npy", logw.numpy().astype(np.float32))
                scaled = (torch.exp(logw) / rate).double()
                case = {"name": cname, "text": text, "input_ids": ids, "noise_scale": ns, "noise_scale_duration": nsd,
                        "speaking_rate": rate, "samples": int(wave.shape[0]),
                        "durations": torch.ceil(scaled).long().tolist(),
                        "min_ceil_margin": float((scaled - torch.floor(scaled)).clamp(min=1e-12).min()),
                        "noise_files": bool(ns or nsd)}
                if spk is not None:
                    case["speaker_id"] = spk
                if ns or nsd:
                    # The stochastic predictor draws [2, text] first, then the prior [flow, frames];
                    # the plain predictor draws only the prior.
                    prior = draws[-1][0]
                    dur = draws[0][0] if len(draws) == 2 else torch.zeros(2, len(ids))
                    np.save(cd / f"{cname}.duration_noise.npy", np.ascontiguousarray(dur.numpy(), dtype=np.float32))
                    np.save(cd / f"{cname}.prior_noise.npy", np.ascontiguousarray(prior.numpy(), dtype=np.float32))
                cases.append(case)
    (cd / "golden.json").write_text(json.dumps(
        {"model": name, "reference": "transformers VitsModel (v4.33 models/vits on 4.27.1), tools/make_vits_variants.py",
         "cases": cases}, indent=1, ensure_ascii=False) + "\n")


def make_bench(out: Path):
    from transformers.models.vits.modeling_vits import VitsModel
    from transformers.models.vits.configuration_vits import VitsConfig
    out.mkdir(parents=True, exist_ok=True)
    write_tokenizer(out, LOWER, True)
    cfg = VitsConfig(vocab_size=len(LOWER) + 2)  # the defaults are MMS-TTS's published shape
    cfg.architectures = ["VitsModel"]
    torch.manual_seed(1)
    model = VitsModel(cfg).eval()
    fill_random(model, 1)
    with torch.no_grad():
        model.duration_predictor.flows[0].translate[0] -= 1.4
    cfg.save_pretrained(out)
    write_safetensors(out / "model.safetensors", model.state_dict())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", help="tests/data (writes models/<name> and cases/<name>)")
    ap.add_argument("--bench", action="store_true", help="write the published-shape bench checkpoint to OUT")
    a = ap.parse_args()
    if a.bench:
        make_bench(Path(a.out))
        return 0
    out = Path(a.out)
    noisy = [("zero_noise", 0.0, 0.0, 1.0), ("injected_noise", 0.667, 0.8, 1.0)]
    texts = ["Bonjour, je m'appelle Parley.", "Ça va très bien!"]
    make_variant(out, "vits-plain-random", tiny_config(len(LOWER) + 2, use_stochastic_duration_prediction=False),
                 LOWER, True, texts, noisy + [("injected_noise_fast", 0.5, 0.0, 1.3)], [None], 31, False)
    make_variant(out, "vits-speakers-random", tiny_config(len(LOWER) + 2, num_speakers=4, speaker_embedding_size=8),
                 LOWER, True, texts[:1], noisy, [0, 3], 37, True)
    cased = LOWER + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    make_variant(out, "vits-cased-random", tiny_config(len(cased) + 2), cased, False,
                 ["Bonjour PARLEY, ça va?", "Ein Hund. EIN HUND!"], noisy, [None], 41, False)
    print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
