#!/usr/bin/env python3
"""Turns scripts/bench.sh's JSON files into one table (stdout, Markdown) and one JSON file.

    python3 tools/bench_report.py TMPDIR OUT.json "LOADAVG"
"""
import json
import re
import statistics
import sys
from pathlib import Path

ROWS = [  # key, label, unit
    ("load_s", "load (3 models)", "s"),
    ("features_s", "features, 10 s clip", "ms"),
    ("encoder_s", "whisper-base encoder, 30 s window", "s"),
    ("decoder_token_s", "whisper-base decoder, per token", "ms"),
    ("tts_step_s", "speecht5_tts, per step", "ms"),
    ("vocoder_rtf", "hifigan real-time factor", "x"),
    ("e2e_10s_s", "10 s clip end to end", "s"),
    ("ttfa_60s_s", "time to first audio, 60 s clip", "s"),
    ("peak_rss_bytes", "peak memory", "MB"),
]


def fmt(v, unit):
    if v is None:
        return "n/a"
    if unit == "ms":
        return f"{v * 1e3:.2f} ms"
    if unit == "MB":
        return f"{v / 1e6:.0f} MB"
    if unit == "x":
        return f"{v:.4f}"
    return f"{v:.3f} s"


def whisper_cpp_seconds(text, what):
    """Seconds per run of whisper.cpp's `what` ("encode", "decode") from its printed timings."""
    m = re.search(what + r" time =\s*[\d.]+ ms /\s*\d+ runs \(\s*([\d.]+) ms per run\)", text)
    if not m:
        sys.exit(f"no '{what} time' line in whisper.cpp's output")
    return float(m.group(1)) / 1e3


def whisper_cpp_pairs(tmp):
    """whisper.cpp's bench and Parley's f32 Whisper, run in turn: [(whisper.cpp, parley)] per figure."""
    pairs = {"encoder_s": [], "decoder_token_s": []}
    for i in range(1, 1000):
        w, p = tmp / f"whisper-cpp-{i}.txt", tmp / f"pair-f32-{i}.json"
        if not (w.exists() and p.exists()):
            break
        text, ours = w.read_text(errors="replace"), json.loads(p.read_text())["parley"]
        pairs["encoder_s"].append((whisper_cpp_seconds(text, "encode"), ours["encoder_s"]))
        pairs["decoder_token_s"].append((whisper_cpp_seconds(text, "decode"), ours["decoder_token_s"]))
    return pairs if pairs["encoder_s"] else None


def whisper_cpp_table(pairs):
    lines = ["| whisper.cpp (its f16 file) and parley f32, run in turn | whisper.cpp | parley f32 | parley faster by |",
             "|---|---|---|---|"]
    for key, label in (("encoder_s", "whisper-base encoder, 30 s window"), ("decoder_token_s", "decoder, per token")):
        unit = "s" if key == "encoder_s" else "ms"
        theirs = statistics.median(a for a, _ in pairs[key])
        ours = statistics.median(b for _, b in pairs[key])
        each = ", ".join(f"{fmt(a, unit)} / {fmt(b, unit)}" for a, b in pairs[key])
        lines.append(f"| {label} (median of {len(pairs[key])}; each: {each}) | {fmt(theirs, unit)} | {fmt(ours, unit)} | "
                     f"{theirs / ours:.2f}x |")
    return lines


def read_runs(tmp, prefix):
    """{precision: parley's figures} of the files PREFIX-<precision>.json."""
    runs = {}
    for f in sorted(tmp.glob(f"{prefix}-*.json")):
        d = json.loads(f.read_text())
        runs[d["precision"]] = d
    return runs


def read_reference(tmp, name):
    f = tmp / name
    return json.loads(f.read_text())["reference"] if f.exists() else None


def speedup(ref_value, ours):
    present = [v for v in ours if v]
    return f"{ref_value / min(present):.1f}x" if ref_value and present else ""


def batch_rows(runs, cols, model):
    """Sentences per second one by one and batched (Parley only: the reference's generate() is not
    timed on batches), with the batch's speed-up measured in the same run."""
    lines = []
    for key, beams in (("batch_greedy", "greedy"), ("batch_beam4", "beam 4")):
        got = [runs[c]["parley"][model].get(key) for c in cols]
        if not all(got):
            continue
        n = got[0]["sentences"]
        lines.append(f"| {n} sentences, {beams}: sentences/s one by one | " +
                     " | ".join(f"{g['one_by_one_sentences_per_s']:.2f}" for g in got) + " | | |")
        lines.append(f"| {n} sentences, {beams}: sentences/s batched by {n} | " +
                     " | ".join(f"{g['batched_sentences_per_s']:.2f} ({g['speedup']:.2f}x)" for g in got) + " | | |")
    return lines


def mt_tables(runs, ref):
    """Per model: the stages in every precision beside the reference, and the decoder step against
    one read of its weights at the measured bandwidth."""
    lines = []
    cols = list(runs)
    rows = [("load_s", "load", "s"), ("encoder_s", "encoder, 25-token sentence", "ms"),
            ("decoder_token_s", "decoder, per token (beam 1)", "ms"),
            ("decoder_beam4_step_s", "decoder, per step of 4 beams", "ms")]
    for model in ("nllb-600m", "opus-mt"):
        if not all(model in runs[c]["parley"] for c in cols):
            continue
        head = f"| {model} | " + " | ".join(f"parley {c}" for c in cols) + " | reference | best speed-up |"
        lines += ["", head, "|" + "---|" * (head.count("|") - 1)]
        theirs = (ref or {}).get(model, {})
        for key, label, unit in rows:
            vals = [runs[c]["parley"][model].get(key) for c in cols]
            lines.append(f"| {label} | " + " | ".join(fmt(v, unit) for v in vals) +
                         f" | {fmt(theirs.get(key), unit)} | {'' if key == 'load_s' else speedup(theirs.get(key), vals)} |")
        tps = [1 / runs[c]["parley"][model]["decoder_token_s"] for c in cols]
        ref_tps = 1 / theirs["decoder_token_s"] if theirs.get("decoder_token_s") else None
        lines.append("| tokens per second (beam 1) | " + " | ".join(f"{v:.1f}" for v in tps) +
                     f" | {'n/a' if ref_tps is None else f'{ref_tps:.1f}'} | |")
        bound = []
        for c in cols:
            r = runs[c]["parley"]
            bound.append(r[model]["decoder_token_s"] / (r[model]["decoder_weight_bytes"] / (r["bandwidth_gb_s"] * 1e9)))
        lines.append("| step / one read of its weights | " + " | ".join(f"{b:.2f}x" for b in bound) + " | | |")
        lines += batch_rows(runs, cols, model)
    lines.append("")
    lines.append("peak memory (both models, one process): " +
                 ", ".join(f"{c} {runs[c]['parley']['peak_rss_bytes'] / 1e6:.0f} MB" for c in cols) +
                 (f"; reference {ref['peak_rss_bytes'] / 1e6:.0f} MB" if ref else "") +
                 f"; read bandwidth {runs[cols[0]]['parley']['bandwidth_gb_s']:.1f} GB/s")
    return lines


def vits_table(runs, ref):
    cols = list(runs)
    head = "| mms-tts | " + " | ".join(f"parley {c}" for c in cols) + " | reference | best speed-up |"
    lines = ["", head, "|" + "---|" * (head.count("|") - 1)]
    for key, label, unit in (("load_s", "load", "s"), ("paragraph_s", "paragraph, one piece", "s"),
                             ("rtf", "real-time factor", "x"), ("ttfa_s", "time to first audio (sentence by sentence)", "s"),
                             ("peak_rss_bytes", "peak memory", "MB")):
        vals = [runs[c]["parley"].get(key) for c in cols]
        rv = (ref or {}).get(key)
        ratio = speedup(rv, vals) if key in ("paragraph_s", "rtf", "ttfa_s") else ""
        lines.append(f"| {label} | " + " | ".join(fmt(v, unit) for v in vals) + f" | {fmt(rv, unit)} | {ratio} |")
    lines.append("")
    lines.append(f"audio: {runs[cols[0]]['parley']['audio_s']:.2f} s in {runs[cols[0]]['parley']['sentences']} sentences")
    return lines


def main():
    tmp, out, load = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    runs = read_runs(tmp, "parley")
    ref = read_reference(tmp, "reference.json")
    mt_runs, mt_ref = read_runs(tmp, "mt"), read_reference(tmp, "reference-mt.json")
    vits_runs, vits_ref = read_runs(tmp, "vits"), read_reference(tmp, "reference-vits.json")
    lines = english_tables(tmp, runs, ref, load) if runs else []
    if mt_runs:
        lines += mt_tables(mt_runs, mt_ref)
    if vits_runs:
        lines += vits_table(vits_runs, vits_ref)
    print("\n".join(lines))
    out.write_text(json.dumps({"parley": runs, "reference": ref, "mt": mt_runs, "reference_mt": mt_ref,
                               "vits": vits_runs, "reference_vits": vits_ref,
                               "whisper_cpp_and_parley_f32": whisper_cpp_pairs(tmp), "load_average": load}, indent=2) + "\n")


def english_tables(tmp, runs, ref, load):
    cols = list(runs)
    head = "| stage | " + " | ".join(f"parley {c}" for c in cols) + (" | reference | best speed-up |" if ref else " |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for key, label, unit in ROWS:
        vals = [runs[c]["parley"].get(key) for c in cols]
        row = f"| {label} | " + " | ".join(fmt(v, unit) for v in vals)
        if ref:
            rv = ref.get(key)
            present = [v for v in vals if v is not None]
            ratio = f"{rv / min(present):.1f}x" if rv and present and key != "peak_rss_bytes" else ""
            row += f" | {fmt(rv, unit)} | {ratio}"
        lines.append(row + " |")
    any_run = next(iter(runs.values()))
    w = any_run["parley"]["f32_weight_bytes"]
    lines.append("")
    lines.append(f"threads: {any_run['threads']}; f32 weights: {w / 1e6:.0f} MB; load average: {load}")
    err = next((r["error_report"] for r in runs.values() if "error_report" in r), None)
    if err:
        lines.append("")
        lines.append("| reduced precision vs f32 (whisper-tiny-random goldens) | max logit diff | mean logit diff | token agreement |")
        lines.append("|---|---|---|---|")
        for p, e in err.items():
            lines.append(f"| {p} | {e['max_logit_diff']:.4g} | {e['mean_logit_diff']:.4g} | "
                         f"{100 * e['token_agreement']:.1f}% of {e['positions']} |")
    wcpp = whisper_cpp_pairs(tmp)
    if wcpp:
        lines.append("")
        lines.extend(whisper_cpp_table(wcpp))
    return lines


if __name__ == "__main__":
    main()
