#!/usr/bin/env python3
"""Goldens for SpeechT5 / HiFi-GAN configurations other than the shared fixtures' one.

Runs the reference (Hugging Face transformers 4.27.1 on PyTorch 1.13, CPU) on small random-weight
checkpoints whose shapes differ from tests/data/models/speecht5-tiny-random in every dimension the
port reads from config.json (widths, separate encoder/decoder head counts, layer counts, FFN sizes,
prenet layers/units/dropout, postnet layers/units/kernel, mel bins, reduction factor, activation,
relative-position range, HiFi-GAN rates/kernels/channels/dilations/slope/normalize_before), and
records what generate_speech and the vocoder compute, the way the fixtures were made
(../shared/tools/make_fixtures.py): every weight random, the prenet's dropout masks pinned and
recorded, hooks on the encoder, feat_out and prob_out.

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 tools/make_speecht5_goldens.py [tests/data]

Writes models/speecht5-small-{a,b}, models/hifigan-small-{a,b}, cases/speecht5-small-{a,b}/ and
cases/speecht5-tokenizer/golden.json (reference token ids for tricky strings on every SpeechT5
tokenizer in tests/data). Configuration b also stores its checkpoint the way published files do
where that differs: no `encode_positions.pe` buffers (the port must build the sinusoid tables) and
`num_batches_tracked` as int64.
"""
import json
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
VOICES = ROOT / "voices"  # the same x-vectors as ../shared/assets/xvectors, under their short names

CONFIGS = {
    "a": dict(
        tts=dict(hidden_size=48, encoder_layers=3, decoder_layers=1, encoder_attention_heads=3,
                 decoder_attention_heads=4, encoder_ffn_dim=96, decoder_ffn_dim=80, hidden_act="relu",
                 layer_norm_eps=1e-6, num_mel_bins=64, reduction_factor=3, speech_decoder_prenet_layers=3,
                 speech_decoder_prenet_units=24, speech_decoder_prenet_dropout=0.3,
                 speech_decoder_postnet_layers=3, speech_decoder_postnet_units=24,
                 speech_decoder_postnet_kernel=3, encoder_max_relative_position=6, max_text_positions=120,
                 max_speech_positions=400),
        vocoder=dict(upsample_initial_channel=24, upsample_rates=[5, 4, 2], upsample_kernel_sizes=[11, 8, 4],
                     resblock_kernel_sizes=[3, 5], resblock_dilation_sizes=[[1, 2], [2, 4, 1]],
                     leaky_relu_slope=0.2, normalize_before=False),
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'-:;",
        # Thresholds chosen (by a run with the stop rule off) so that stops fall mid-run, with the stop
        # probabilities at least 0.004 away from the threshold (float noise is ~1e-6).
        seed=51, stop_bias=-1.1, store_pe=True,
        cases=[("The quick brown fox jumps over the lazy dog, twice.", "slt", {"maxlenratio": 4.0}),
               ("Caf\u00e9 prices rose 12% in M\u00fcnchen; nobody noticed.", "awb",
                {"threshold": 0.3425, "minlenratio": 0.5, "maxlenratio": 6.0}),
               ("Short text.", "ksp", {"threshold": 0.25, "minlenratio": 2.0, "maxlenratio": 30.0})]),
    "b": dict(
        tts=dict(hidden_size=40, encoder_layers=1, decoder_layers=3, encoder_attention_heads=2,
                 decoder_attention_heads=5, encoder_ffn_dim=72, decoder_ffn_dim=56, hidden_act="gelu_new",
                 layer_norm_eps=1e-5, num_mel_bins=48, reduction_factor=1, speech_decoder_prenet_layers=1,
                 speech_decoder_prenet_units=16, speech_decoder_prenet_dropout=0.5,
                 speech_decoder_postnet_layers=2, speech_decoder_postnet_units=20,
                 speech_decoder_postnet_kernel=7, encoder_max_relative_position=64, max_text_positions=200,
                 max_speech_positions=600),
        vocoder=dict(upsample_initial_channel=16, upsample_rates=[3, 6], upsample_kernel_sizes=[6, 12],
                     resblock_kernel_sizes=[3, 7, 5], resblock_dilation_sizes=[[1, 3], [1], [2, 2]],
                     leaky_relu_slope=0.1, normalize_before=True),
        alphabet="abcdefghijklmnopqrstuvwxyz0123456789.,!?' ",
        seed=61, stop_bias=-0.9, store_pe=False,
        cases=[("hello world, this is parley speaking.", "bdl", {"threshold": 0.345, "maxlenratio": 5.0}),
               ("Numbers: 3.14 and 2,718!", "clb", {"minlenratio": 2.0, "maxlenratio": 2.5}),
               ("Upper Case Letters Are Unknown Here", "rms", {"threshold": 0.5, "maxlenratio": 3.0})]),
}

TOKENIZER_TEXTS = ["Hey there! This is a test!", "hello</s>world", "  a  <mask> b ", "\u00e9 \u00fc \U0001F600x",
                   "", "   ", "\u00c0BC \ufb01 \u2460", "a\tb\nc", "<unk><pad>x", "x <ctc_blank> y", "\u3000full\u3000width",
                   "Numbers like 42 and symbols; odd (case).", "MiXeD CaSe...", "tab\there", "\u65e5\u672c\u8a9e"]


def save_npy(path: Path, a, dtype=np.float32):
    path.parent.mkdir(parents=True, exist_ok=True)
    if torch.is_tensor(a):
        a = a.detach().cpu().numpy()
    np.save(path, np.ascontiguousarray(np.asarray(a), dtype=dtype))


def write_safetensors(path: Path, state: dict):
    """safetensors as the format specifies it: u64 header size, JSON header, raw little-endian data.
    Float tensors as F32, integer buffers (num_batches_tracked) as I64 like published checkpoints."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in state.items():
        t = t.detach().contiguous().cpu()
        if t.is_floating_point():
            raw, dtype = t.to(torch.float32).numpy().tobytes(), "F32"
        else:
            raw, dtype = t.to(torch.int64).numpy().tobytes(), "I64"
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def randomize(model, seed, scale, keep_pe=False):
    """Every parameter and buffer random, so a value loaded wrongly or computed instead of loaded shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if not p.is_floating_point() or (keep_pe and name.endswith("encode_positions.pe")):
                continue
            if name.endswith("norm.weight") or "layer_norm.weight" in name:
                v = 1.0 + 0.1 * torch.randn(p.shape, generator=g)
            elif name.endswith("running_var") or name.endswith(".scale"):
                v = 0.5 + torch.rand(p.shape, generator=g)
            elif name.endswith("alpha"):
                v = torch.tensor(1.0) + 0.2 * torch.randn(p.shape, generator=g)
            else:
                v = scale * torch.randn(p.shape, generator=g)
            p.copy_(v.half().float().to(p.dtype))
        for name, b in model.named_buffers():
            if name.endswith("num_batches_tracked"):
                b.fill_(1000 + seed)


def spm_char_model(d: Path, alphabet: str):
    import sentencepiece as spm
    corpus = d / "corpus.txt"
    sentences = ["the quick brown fox jumps over the lazy dog", "hello world this is a speech synthesis test 42"]
    corpus.write_text("\n".join([alphabet] + sentences * 40) + "\n")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(d / "spm_char"), model_type="char",
                                   character_coverage=1.0, bos_id=0, pad_id=1, eos_id=2, unk_id=3, minloglevel=2)
    corpus.unlink()
    (d / "spm_char.vocab").unlink()
    return spm.SentencePieceProcessor(model_file=str(d / "spm_char.model")).vocab_size()


def tokenizer_files(d: Path, n_pieces: int):
    (d / "special_tokens_map.json").write_text(json.dumps({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                                                           "pad_token": "<pad>", "mask_token": "<mask>"}, indent=1))
    (d / "added_tokens.json").write_text(json.dumps({"<mask>": n_pieces, "<ctc_blank>": n_pieces + 1}, indent=1))
    (d / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "SpeechT5Tokenizer", "model_max_length": 600,
                                                        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                                                        "pad_token": "<pad>", "mask_token": "<mask>"}, indent=1))


class PinnedPrenet:
    """Replaces the prenet's forward so its dropout uses recorded masks (one row per decoder step:
    the reference recomputes the prenet over the whole sequence, but only the last row is used)."""

    def __init__(self, module, p):
        self.step, self.masks, self.p = 0, None, p
        pinned = self

        def forward(self, input_values, speaker_embeddings=None):
            x = input_values
            for li, layer in enumerate(self.layers):
                x = torch.relu(layer(x))
                x = x * torch.from_numpy(pinned.masks[pinned.step, li]) / (1 - pinned.p)
            pinned.step += 1
            x = self.encode_positions(self.final_layer(x))
            if speaker_embeddings is not None:
                s = torch.nn.functional.normalize(speaker_embeddings).unsqueeze(1).expand(-1, x.size(1), -1)
                x = torch.relu(self.speaker_embeds_layer(torch.cat([x, s], dim=-1)))
            return x

        module.SpeechT5SpeechDecoderPrenet.forward = forward


def make(out: Path, key: str, spec: dict):
    from transformers import SpeechT5Config, SpeechT5ForTextToSpeech, SpeechT5HifiGan, SpeechT5HifiGanConfig, SpeechT5Tokenizer
    from transformers.models.speecht5 import modeling_speecht5 as m
    name, voc_name = f"speecht5-small-{key}", f"hifigan-small-{key}"
    d, vd, cdir = out / "models" / name, out / "models" / voc_name, out / "cases" / name
    for p in (d, vd, cdir):
        shutil.rmtree(p, ignore_errors=True)
        p.mkdir(parents=True)
    n_pieces = spm_char_model(d, spec["alphabet"])
    tokenizer_files(d, n_pieces)
    cfg = SpeechT5Config(vocab_size=n_pieces + 2, speaker_embedding_dim=512, hidden_dropout=0.0, attention_dropout=0.0,
                         activation_dropout=0.0, positional_dropout=0.0, **spec["tts"])
    torch.manual_seed(spec["seed"])
    model = SpeechT5ForTextToSpeech(cfg).eval()
    randomize(model, spec["seed"], scale=0.12, keep_pe=not spec["store_pe"])
    with torch.no_grad():  # a random stop head fires at once; make it fire late, or not at all
        model.speech_decoder_postnet.prob_out.bias.fill_(spec["stop_bias"])
        model.speech_decoder_postnet.prob_out.weight.mul_(0.5)
    model.config.save_pretrained(d)
    state = {k: v for k, v in model.state_dict().items() if spec["store_pe"] or not k.endswith("encode_positions.pe")}
    write_safetensors(d / "model.safetensors", state)

    vcfg = SpeechT5HifiGanConfig(model_in_dim=cfg.num_mel_bins, sampling_rate=16000, **spec["vocoder"])
    voc = SpeechT5HifiGan(vcfg).eval()
    randomize(voc, spec["seed"] + 1, scale=0.15)
    voc.config.save_pretrained(vd)
    write_safetensors(vd / "model.safetensors", voc.state_dict())

    tok = SpeechT5Tokenizer.from_pretrained(d)
    p = cfg.speech_decoder_prenet_dropout
    pinned = PinnedPrenet(m, p)
    rng = np.random.default_rng(spec["seed"])
    summary = {"model": name, "vocoder": voc_name, "prenet_dropout": p, "cases": []}
    for i, (text, voice, kw) in enumerate(spec["cases"]):
        ids = tok(text)["input_ids"]
        spk = np.load(VOICES / f"{voice}.npy").astype(np.float32)
        steps_max = int(len(ids) * max(kw.get("maxlenratio", 20.0), kw.get("minlenratio", 0.0)) / cfg.reduction_factor) + 2
        masks = (rng.random((steps_max, cfg.speech_decoder_prenet_layers, cfg.speech_decoder_prenet_units)) < (1 - p))
        pinned.step, pinned.masks = 0, masks.astype(np.float32)
        spectra, stops, enc = [], [], {}
        hooks = [model.speech_decoder_postnet.feat_out.register_forward_hook(lambda mod, a, o: spectra.append(o.detach())),
                 model.speech_decoder_postnet.prob_out.register_forward_hook(lambda mod, a, o: stops.append(o.detach())),
                 model.speecht5.encoder.register_forward_hook(lambda mod, a, o: enc.update(h=o.last_hidden_state.detach()))]
        with torch.no_grad():
            mel = model.generate_speech(torch.tensor([ids]), torch.from_numpy(spk)[None], **kw)
            wave = voc(mel)
        for h in hooks:
            h.remove()
        n, r = len(spectra), cfg.reduction_factor
        stop_logits = torch.cat(stops).view(n, r)
        probs = torch.sigmoid(stop_logits)
        thr = kw.get("threshold", 0.5)
        cname = f"text{i}"
        save_npy(cdir / f"{cname}.masks.npy", pinned.masks[:n])
        save_npy(cdir / f"{cname}.encoder.npy", enc["h"][0])
        save_npy(cdir / f"{cname}.spectra.npy", torch.cat(spectra).view(n, r, cfg.num_mel_bins))
        save_npy(cdir / f"{cname}.stop_logits.npy", stop_logits)
        save_npy(cdir / f"{cname}.mel.npy", mel)
        save_npy(cdir / f"{cname}.wave.npy", wave)
        summary["cases"].append({
            "name": cname, "text": text, "input_ids": ids, "speaker": f"voices/{voice}.npy", "voice": voice,
            "generate_kwargs": {"threshold": thr, "minlenratio": kw.get("minlenratio", 0.0),
                                "maxlenratio": kw.get("maxlenratio", 20.0)},
            "steps": n, "frames": int(mel.shape[0]), "samples": int(wave.shape[0]),
            "stopped_by": "threshold" if bool((probs[-1] >= thr).any()) else "maxlen",
            "min_stop_prob_distance_from_threshold": float((probs - thr).abs().min())})
    (cdir / "golden.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    return summary


def tokenizer_golden(out: Path):
    from transformers import SpeechT5Tokenizer
    result = {"models": {}}
    for d in sorted((out / "models").glob("speecht5-*")):
        tok = SpeechT5Tokenizer.from_pretrained(d)
        result["models"][d.name] = [{"text": t, "ids": tok(t)["input_ids"]} for t in TOKENIZER_TEXTS]
    (out / "cases" / "speecht5-tokenizer").mkdir(parents=True, exist_ok=True)
    (out / "cases" / "speecht5-tokenizer" / "golden.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data"
    report = {}
    for key, spec in CONFIGS.items():
        s = make(out, key, spec)
        report[s["model"]] = [(c["name"], len(c["input_ids"]), c["steps"], c["stopped_by"],
                               round(c["min_stop_prob_distance_from_threshold"], 5)) for c in s["cases"]]
    tokenizer_golden(out)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
