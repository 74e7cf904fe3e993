#!/usr/bin/env python3
"""Writes the benchmark's checkpoints: the published shapes with random weights.

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src python3 tools/make_bench_models.py OUT_DIR

OUT_DIR gets whisper-base/, speecht5_tts/, speecht5_hifigan/, nllb-600m/, opus-mt/ and mms-tts/,
each a Hugging Face model folder (config.json, model.safetensors, tokenizer files) that Parley and
transformers both load; a folder already there is kept. The shapes are those of openai/whisper-base,
microsoft/speecht5_tts (12 encoder + 6 decoder layers, hidden 768), microsoft/speecht5_hifigan,
facebook/nllb-200-distilled-600M (d 1024, 12 + 12 layers, 16 heads, FFN 4096, 256,206 tokens), an
opus-mt pair (Helsinki-NLP/opus-mt-de-en: d 512, 6 + 6 layers, 8 heads, FFN 2048, 58,101 tokens) and
facebook/mms-tts-* (VitsConfig's defaults: hidden 192, 6 layers, 2 heads, FFN 768, flow 192,
upsampling 8·8·2·2 from 512 channels, resblocks 3/7/11; transformers' models/vits grafted in, see
../shared/tools/reference-env.md); token ids, tokenizers and generation settings are copied from the
repo's tiny fixtures (which carry the real vocabularies). Weights are transformers' own random
initialisation under a fixed seed: timings do not depend on the values, and random weights keep
the benchmark free of downloads.

safetensors is written by tools/safetensors_io.py, so that the safetensors package is not needed.
"""
import json
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from safetensors_io import write_safetensors  # noqa: E402
from transformers import (M2M100Config, M2M100ForConditionalGeneration, MarianConfig, MarianMTModel,
                          SpeechT5Config, SpeechT5ForTextToSpeech, SpeechT5HifiGan, SpeechT5HifiGanConfig,
                          WhisperConfig, WhisperForConditionalGeneration)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "data" / "models"

# openai/whisper-base
WHISPER_BASE = dict(d_model=512, encoder_layers=6, decoder_layers=6, encoder_attention_heads=8,
                    decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048)
# microsoft/speecht5_tts
SPEECHT5_TTS = dict(hidden_size=768, encoder_layers=12, decoder_layers=6, encoder_attention_heads=12,
                    decoder_attention_heads=12, encoder_ffn_dim=3072, decoder_ffn_dim=3072,
                    speech_decoder_prenet_units=256, speech_decoder_postnet_units=256, max_text_positions=600,
                    max_speech_positions=1876)
# microsoft/speecht5_hifigan
HIFIGAN = dict(upsample_initial_channel=512)
# facebook/nllb-200-distilled-600M
NLLB_600M = dict(d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
                 decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, vocab_size=256206,
                 max_position_embeddings=1024)
# Helsinki-NLP/opus-mt-de-en
OPUS_MT = dict(d_model=512, encoder_layers=6, decoder_layers=6, encoder_attention_heads=8, decoder_attention_heads=8,
               encoder_ffn_dim=2048, decoder_ffn_dim=2048, vocab_size=58101, decoder_vocab_size=58101,
               max_position_embeddings=512)
# The translation models' copies of model.shared.weight, stored once as the published files do (the
# loaders tie them back).
TIED_TO_SHARED = ("lm_head.weight", "model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight")


def make(out, fixture, overrides, config_cls, model_cls):
    if (out / "model.safetensors").exists():
        print(f"kept {out}")
        return
    out.mkdir(parents=True, exist_ok=True)
    for f in (FIXTURES / fixture).iterdir():
        if f.name not in ("model.safetensors", "pytorch_model.bin", "config.json"):
            shutil.copy(f, out / f.name)
    cfg = json.loads((FIXTURES / fixture / "config.json").read_text())
    if model_cls.__name__ == "VitsModel":  # the published shape is VitsConfig's defaults
        cfg = config_cls(vocab_size=cfg["vocab_size"]).to_dict()
    cfg.update(overrides)
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    torch.manual_seed(0)
    model = model_cls(config_cls.from_json_file(str(out / "config.json"))).eval()
    state = model.state_dict()
    # Whisper's proj_out is its decoder's embed_tokens; the translation models tie to model.shared.
    drop = ["proj_out.weight"] + (list(TIED_TO_SHARED) if "model.shared.weight" in state else [])
    for name in drop:
        state.pop(name, None)
    write_safetensors(out / "model.safetensors", state)
    print(f"wrote {out} ({sum(t.numel() for t in state.values()) / 1e6:.1f} M parameters)")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = Path(sys.argv[1])
    make(root / "whisper-base", "whisper-tiny-random", WHISPER_BASE, WhisperConfig, WhisperForConditionalGeneration)
    make(root / "speecht5_tts", "speecht5-tiny-random", SPEECHT5_TTS, SpeechT5Config, SpeechT5ForTextToSpeech)
    make(root / "speecht5_hifigan", "hifigan-tiny-random", HIFIGAN, SpeechT5HifiGanConfig, SpeechT5HifiGan)
    make(root / "nllb-600m", "nllb-tiny-random", NLLB_600M, M2M100Config, M2M100ForConditionalGeneration)
    make(root / "opus-mt", "marian-tiny-random", OPUS_MT, MarianConfig, MarianMTModel)
    from transformers.models.vits.configuration_vits import VitsConfig
    from transformers.models.vits.modeling_vits import VitsModel
    make(root / "mms-tts", "vits-tiny-random", {}, VitsConfig, VitsModel)


if __name__ == "__main__":
    main()
