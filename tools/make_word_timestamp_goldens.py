#!/usr/bin/env python3
"""Word-timestamp goldens: openai/whisper's transcribe(..., word_timestamps=True) (cross-attention
alignment: whisper/timing.py) on the repo's random Whisper models, converted to openai's layout by
make_longform_goldens.py (whisper-narrow-random has its own proj_out, which openai's model cannot hold).

    PYTHONPATH=/tmp/owstub:/tmp/owhisper:/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 \
        tools/make_word_timestamp_goldens.py [DATA_DIR]

The models' generation_config.json have no `alignment_heads`, so openai's default is used: every head
of the last half of the decoder layers (model.alignment_heads as Whisper.__init__ sets it).
The numba stand-in in /tmp/owstub runs timing.py's dtw_cpu/backtrace as plain Python (the same
arithmetic, in float64 as dtw() passes it); this script checks that against an independent DTW below.

Writes cases/word_timestamps.json: `runs[]` with `model`, `alignment_heads` (the [layer, head] pairs
used; `given_heads`: set as generation_config.json's alignment_heads, not openai's default), `audio`, `options` (transcribe()'s keyword
arguments), `language`, `text`, `segments` (id, seek, start, end, text, tokens, words[] of word, start,
end, probability) and `alignments`: every find_alignment() call, in order, with its `text_tokens`,
`num_frames` and the raw word timings (word, tokens, start, end, probability) before
add_word_timestamps' heuristics.
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_longform_goldens import ROOT, openai_model, read_wav16, ffmpeg_f32  # noqa: E402


def independent_dtw(x: np.ndarray):
    """A vectorised-by-row DTW with openai's tie rules, to check the numba stand-in's result."""
    n, m = x.shape
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, 0] = 0
    trace = np.full((n + 1, m + 1), -1)
    for j in range(1, m + 1):
        for i in range(1, n + 1):
            c0, c1, c2 = cost[i - 1, j - 1], cost[i - 1, j], cost[i, j - 1]
            t = 0 if (c0 < c1 and c0 < c2) else (1 if (c1 < c0 and c1 < c2) else 2)
            cost[i, j] = x[i - 1, j - 1] + (c0, c1, c2)[t]
            trace[i, j] = t
    trace[0, :], trace[:, 0] = 2, 1
    i, j, path = n, m, []
    while i > 0 or j > 0:
        path.append((i - 1, j - 1))
        t = trace[i, j]
        i, j = (i - 1, j - 1) if t == 0 else ((i - 1, j) if t == 1 else (i, j - 1))
    return np.array(path[::-1]).T


def recorded_alignments(calls: list):
    import whisper.timing as timing
    original = timing.find_alignment
    original_dtw = timing.dtw

    def checked_dtw(x):
        got = original_dtw(x)
        want = independent_dtw(x.double().cpu().numpy())
        assert np.array_equal(got, want), "numba stand-in's DTW differs from the independent one"
        return got

    def find_alignment(model, tokenizer, text_tokens, mel, num_frames, **kw):
        out = original(model, tokenizer, text_tokens, mel, num_frames, **kw)
        calls.append({"text_tokens": list(text_tokens), "num_frames": int(num_frames),
                      "words": [{"word": w.word, "tokens": list(w.tokens), "start": float(w.start),
                                 "end": float(w.end), "probability": float(w.probability)} for w in out]})
        return out

    timing.find_alignment = find_alignment
    timing.dtw = checked_dtw
    return lambda: (setattr(timing, "find_alignment", original), setattr(timing, "dtw", original_dtw))


def run(ow, audio, audio_name, name, **kw):
    import whisper
    calls = []
    restore = recorded_alignments(calls)
    opts = dict(temperature=0.0, compression_ratio_threshold=2.4, logprob_threshold=-1.0, no_speech_threshold=0.6,
                word_timestamps=True)
    opts.update(kw)
    r = whisper.transcribe(ow, audio, fp16=False, verbose=None, **opts)
    restore()
    segs = [{k: s[k] for k in ("id", "seek", "start", "end", "text", "tokens", "words")} for s in r["segments"]]
    for s in segs:
        s["words"] = [{k: (float(w[k]) if k != "word" else w[k]) for k in ("word", "start", "end", "probability")}
                      for w in s["words"]]
    options = dict(opts)
    options["temperature"] = [opts["temperature"]]
    print(f"{name}: {len(calls)} alignments, {len(segs)} segments, {sum(len(s['words']) for s in segs)} words")
    return {"name": name, "audio": f"audio/{audio_name}", "options": options, "language": r["language"],
            "text": r["text"], "segments": segs, "alignments": calls}


def with_heads(ow, heads):
    """openai's set_alignment_heads, from a list of [layer, head] (what generation_config.json holds)."""
    mask = torch.zeros(ow.dims.n_text_layer, ow.dims.n_text_head, dtype=torch.bool)
    for layer, head in heads:
        mask[layer, head] = True
    ow.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)


def main():
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data"
    torch.manual_seed(0)
    wav = lambda n: ffmpeg_f32(data / "audio" / n)  # noqa: E731
    runs = []

    def model_runs(model, heads, specs):
        ow = openai_model(data / "models" / model)
        if heads is not None:
            with_heads(ow, heads)
        used = ow.alignment_heads.indices().T.tolist()
        print(model, "alignment heads", used)
        for audio_name, name, kw in specs:
            audio = read_wav16(data / "audio" / audio_name) if audio_name.startswith("long") else wav(audio_name)
            r = run(ow, audio, audio_name, name, **kw)
            runs.append(dict(model=model, alignment_heads=used, given_heads=heads is not None, **r))

    model_runs("whisper-tiny-random", None, [
        ("jfk.wav", "jfk_en", dict(task="transcribe", language="en")),
        ("it_seed.wav", "it_seed_it", dict(task="transcribe", language="it")),
        ("es.wav", "es_translate", dict(task="translate", language="es")),
        ("jfk.wav", "jfk_zh_unicode_split", dict(task="transcribe", language="zh")),
        ("long_2min.wav", "long_2min_it", dict(task="transcribe", language="it"))])
    # generation_config.json's alignment_heads (the test writes them into a copy of the model folder)
    model_runs("whisper-tiny-random", [[0, 1], [1, 2]], [
        ("it_seed.wav", "it_seed_given_heads", dict(task="transcribe", language="it")),
        ("es.wav", "es_given_heads", dict(task="transcribe", language="es"))])
    model_runs("whisper-v3-random", None, [
        ("jfk.wav", "v3_jfk_en", dict(task="transcribe", language="en")),
        ("es.wav", "v3_es_ja_unicode_split", dict(task="transcribe", language="ja"))])
    out = data / "cases" / "word_timestamps.json"
    out.write_text(json.dumps({"reference": "openai/whisper transcribe(word_timestamps=True)", "runs": runs},
                              indent=1, ensure_ascii=False) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
