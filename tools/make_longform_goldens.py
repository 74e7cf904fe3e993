#!/usr/bin/env python3
"""Long-form goldens: openai/whisper's transcribe() (the reference for audio longer than 30 s) on the
repo's random Whisper models, converted from the Hugging Face layout to openai's.

    PYTHONPATH=/tmp/owstub:/tmp/owhisper:/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 \
        tools/make_longform_goldens.py [DATA_DIR]

/tmp/owhisper holds openai/whisper's `whisper/` package, /tmp/owstub pure-Python stand-ins for tiktoken
and numba (neither is installable here; word timings are not used). DATA_DIR defaults to tests/data.

Writes
  audio/long_3min.flac     180 s, 16-bit: the fixture clips (es, jfk, it_seed) joined with pauses of
                           0.25-1 s and 2 s of silence after every fourth clip (FLAC is lossless: a reader
                           gets exactly the int16 samples / 32768 the reference used).
  cases/whisper-tiny-random/longform_3min.json   runs on long_3min with whisper-tiny-random
  cases/whisper-v3-random/longform.json          one run on long_2min.wav with whisper-v3-random
                                                 (128 mels, 51866 tokens) with language detection

Each run has `options` (the transcribe() keyword arguments), `language`, `text`, `segments` (as
transcribe() returns them) and `decodes`: every model.decode() call the loop made, in order, with the
window (`seek`, `segment_size` in mel frames), the `prompt` the decoder saw after <|startofprev|>
(already cut to n_text_ctx // 2 - 1 tokens, as DecodingTask does), the `temperature`, and the result
(`tokens` without <|endoftext|>, `avg_logprob`, `no_speech_prob`, `compression_ratio`, `text`).
Temperature fallback is disabled in every run (temperature 0 only): the reference samples with torch's
generator, which Parley does not reproduce; fallback decisions are tested with a scripted model.
Also recorded: `suppress_tokens`, the ids DecodingTask suppresses with suppress_tokens="-1" (openai's
non-speech symbols plus the task and control tokens), and `blank_tokens` (SuppressBlank's).
"""
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
SR = 16000


def read_safetensors(path: Path) -> dict:
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        buf = raw[8 + n + a:8 + n + b]
        if v["dtype"] == "BF16":
            u = np.frombuffer(buf, np.uint16).astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(buf, {"F32": np.float32, "F16": np.float16}[v["dtype"]]).astype(np.float32)
        out[k] = torch.from_numpy(arr.reshape(v["shape"]).copy())
    return out


def openai_name(k: str) -> str:
    n = k.replace("model.", "", 1) if k.startswith("model.") else k
    for a, b in ((".self_attn.q_proj", ".attn.query"), (".self_attn.k_proj", ".attn.key"),
                 (".self_attn.v_proj", ".attn.value"), (".self_attn.out_proj", ".attn.out"),
                 (".encoder_attn.q_proj", ".cross_attn.query"), (".encoder_attn.k_proj", ".cross_attn.key"),
                 (".encoder_attn.v_proj", ".cross_attn.value"), (".encoder_attn.out_proj", ".cross_attn.out"),
                 (".self_attn_layer_norm", ".attn_ln"), (".encoder_attn_layer_norm", ".cross_attn_ln"),
                 (".fc1", ".mlp.0"), (".fc2", ".mlp.2"), (".final_layer_norm", ".mlp_ln"),
                 ("encoder.layers.", "encoder.blocks."), ("decoder.layers.", "decoder.blocks."),
                 ("encoder.embed_positions.weight", "encoder.positional_embedding"),
                 ("decoder.embed_positions.weight", "decoder.positional_embedding"),
                 ("decoder.embed_tokens.weight", "decoder.token_embedding.weight"),
                 ("encoder.layer_norm", "encoder.ln_post"), ("decoder.layer_norm", "decoder.ln")):
        n = n.replace(a, b)
    return n


def openai_model(folder: Path):
    """The Hugging Face folder's weights in openai/whisper's model (its output is tied to the token
    embedding, so only models without a separate proj_out can be converted)."""
    from whisper.model import ModelDimensions, Whisper
    c = json.loads((folder / "config.json").read_text())
    sd = read_safetensors(folder / "model.safetensors")
    if "proj_out.weight" in sd:
        assert torch.equal(sd["proj_out.weight"], sd["model.decoder.embed_tokens.weight"]), "untied proj_out"
    dims = ModelDimensions(n_mels=c["num_mel_bins"], n_audio_ctx=c["max_source_positions"], n_audio_state=c["d_model"],
                           n_audio_head=c["encoder_attention_heads"], n_audio_layer=c["encoder_layers"],
                           n_vocab=c["vocab_size"], n_text_ctx=c["max_target_positions"], n_text_state=c["d_model"],
                           n_text_head=c["decoder_attention_heads"], n_text_layer=c["decoder_layers"])
    ow = Whisper(dims)
    # openai's blocks assume an MLP of 4 x width; the random models' are narrower
    for blocks, ffn in ((ow.encoder.blocks, c["encoder_ffn_dim"]), (ow.decoder.blocks, c["decoder_ffn_dim"])):
        for b in blocks:
            b.mlp = torch.nn.Sequential(torch.nn.Linear(c["d_model"], ffn), torch.nn.GELU(),
                                        torch.nn.Linear(ffn, c["d_model"]))
    state = {openai_name(k): v for k, v in sd.items() if k != "proj_out.weight"}
    missing = ow.load_state_dict(state, strict=False)
    assert not missing.unexpected_keys, missing.unexpected_keys
    assert set(missing.missing_keys) <= {"alignment_heads"}, missing.missing_keys
    return ow.eval()


def ffmpeg_f32(path: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-"], capture_output=True,
                         check=True).stdout
    return np.frombuffer(raw, np.float32)


def make_3min(data: Path) -> np.ndarray:
    clips = {n: ffmpeg_f32(data / "audio" / f"{n}.wav") for n in ("es", "jfk", "it_seed")}
    parts, i = [], 0
    while sum(len(p) for p in parts) < 180 * SR:
        name = ("es", "jfk", "it_seed")[i % 3]
        parts += [clips[name], np.zeros(4000 * (1 + i % 4), np.float32)]
        if i % 4 == 3:
            parts.append(np.zeros(2 * SR, np.float32))
        i += 1
    audio = np.concatenate(parts)[:180 * SR]
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype(np.int16)
    out = data / "audio" / "long_3min.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ar", str(SR), "-ac", "1", "-i", "-", "-c:a", "flac",
                    "-compression_level", "12", str(out)], input=pcm.tobytes(), check=True)
    back = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-f", "s16le", "-"], capture_output=True,
                          check=True).stdout
    assert back == pcm.tobytes(), "FLAC round trip changed the samples"
    return pcm.astype(np.float32) / 32768.0  # exactly what a reader of the file gets


def read_wav16(path: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-"], capture_output=True,
                         check=True).stdout
    return np.frombuffer(raw, np.int16).astype(np.float32) / 32768.0


def traced(ow, calls: list):
    """Wraps model.decode to record each call of transcribe()'s loop (window, prompt, temperature, result)."""
    original = ow.decode
    half = ow.dims.n_text_ctx // 2 - 1

    def decode(mel, options):
        loop = sys._getframe(2).f_locals  # decode -> decode_with_fallback -> transcribe
        r = original(mel, options)
        calls.append({"seek": int(loop["seek"]), "segment_size": int(loop["segment_size"]),
                      "prompt": list(options.prompt or [])[-half:], "temperature": options.temperature,
                      "tokens": list(r.tokens), "avg_logprob": r.avg_logprob, "no_speech_prob": r.no_speech_prob,
                      "compression_ratio": r.compression_ratio, "text": r.text})
        return r

    ow.decode = decode


def run(ow, audio, name, **kw):
    import whisper
    calls = []
    traced(ow, calls)
    opts = dict(temperature=0.0, compression_ratio_threshold=2.4, logprob_threshold=-1.0, no_speech_threshold=0.6)
    opts.update(kw)
    r = whisper.transcribe(ow, audio, fp16=False, verbose=None, **opts)
    del ow.decode
    segs = [{k: s[k] for k in ("id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
                               "compression_ratio", "no_speech_prob")} for s in r["segments"]]
    options = dict(opts)
    options["temperature"] = [opts["temperature"]]
    options.setdefault("language", None)
    print(f"{name}: {len(calls)} decodes, {len(segs)} segments, language {r['language']}, seeks",
          sorted({c['seek'] for c in calls}))
    return {"name": name, "options": options, "language": r["language"], "text": r["text"], "segments": segs,
            "decodes": calls}


def suppressed(ow, task, language):
    from whisper.decoding import DecodingOptions, DecodingTask
    t = DecodingTask(ow, DecodingOptions(task=task, language=language, fp16=False))
    return list(t._get_suppress_tokens()), t.tokenizer.encode(" ") + [t.tokenizer.eot]


def no_speech_threshold(runs) -> float:
    """A threshold between two no-speech probabilities of the first run, far from both (relative), so that
    some windows are skipped and float noise cannot flip a decision."""
    probs = sorted({d["no_speech_prob"] for d in runs[0]["decodes"]})
    best = max(zip(probs, probs[1:]), key=lambda p: p[1] / p[0])
    assert best[1] / best[0] > 1.002, probs
    return float(np.sqrt(best[0] * best[1]))


def main():
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data"
    torch.manual_seed(0)
    audio = make_3min(data)
    ow = openai_model(data / "models" / "whisper-tiny-random")
    prompt = "Una riunione del consiglio comunale: il sindaco, la Metropolitana e la sicurezza."
    runs = [run(ow, audio, "translate_it_conditioned", task="translate", language="it",
                condition_on_previous_text=True),
            run(ow, audio, "transcribe_auto_unconditioned", task="transcribe", condition_on_previous_text=False),
            run(ow, audio, "transcribe_it_beam3", task="transcribe", language="it", beam_size=3),
            run(ow, audio, "translate_it_initial_prompt", task="translate", language="it", initial_prompt=prompt),
            run(ow, audio, "transcribe_es_carry_prompt", task="transcribe", language="es", initial_prompt=prompt,
                carry_initial_prompt=True),
            run(ow, audio, "transcribe_it_without_timestamps", task="transcribe", language="it",
                without_timestamps=True)]
    threshold = no_speech_threshold(runs)
    runs.append(run(ow, audio, "translate_it_no_speech_skips", task="translate", language="it",
                    no_speech_threshold=threshold))
    sup, blank = suppressed(ow, "transcribe", "it")
    out = {"audio": "audio/long_3min.flac", "model": "models/whisper-tiny-random",
           "reference": "openai/whisper transcribe() (tools/make_longform_goldens.py)", "suppress_tokens": sup,
           "blank_tokens": blank, "runs": runs}
    (data / "cases" / "whisper-tiny-random" / "longform_3min.json").write_text(json.dumps(out, indent=1,
                                                                                          ensure_ascii=False))

    v3 = openai_model(data / "models" / "whisper-v3-random")
    audio2 = read_wav16(data / "audio" / "long_2min.wav")
    runs = [run(v3, audio2, "transcribe_auto_conditioned", task="transcribe")]
    sup, blank = suppressed(v3, "transcribe", runs[0]["language"])
    out = {"audio": "audio/long_2min.wav", "model": "models/whisper-v3-random",
           "reference": "openai/whisper transcribe() (tools/make_longform_goldens.py)", "suppress_tokens": sup,
           "blank_tokens": blank, "runs": runs}
    (data / "cases" / "whisper-v3-random" / "longform.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
