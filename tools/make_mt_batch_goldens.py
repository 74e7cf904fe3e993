#!/usr/bin/env python3
"""Batched translation goldens, computed by the reference (transformers 4.27.1,
../shared/tools/reference-env.md) from the fixture models in tests/data:

  cases/mt-batch/golden.json
    for nllb-tiny-random and marian-tiny-random: four sentences of different lengths encoded as one
    batch padded on the right (the tokenizers' padding side) with its attention mask, and generate()
    run on the padded batch, greedy and beam 4. Each row's tokens are recorded up to and including its
    first </s> (a finished row is filled with <pad> after it). The tool also checks each row equals
    what generate() gives that sentence alone: the batched engine must give both.

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 tools/make_mt_batch_goldens.py tests/data
"""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_mt_variants import load  # noqa: E402  (the fixture loader, weights tied as the reference does)

# Different lengths, so the batch is padded: the shortest is a few tokens, the longest many.
SENTENCES = ["Ciao.",
             "Penso che questo sia un passo in avanti importante nella costruzione di uno spazio giuridico.",
             "La libertà di circolazione in Europa.",
             "Grazie mille per il vostro aiuto, signora presidente."]
RUNS = (("greedy", {"num_beams": 1, "max_new_tokens": 16}),
        ("beam4", {"num_beams": 4, "max_new_tokens": 16}))


def row_tokens(row, eos):
    """The row up to and including its first </s> after the decoder start (the rest is padding)."""
    for i in range(1, len(row)):
        if row[i] == eos:
            return row[:i + 1]
    return row


def batch_case(name, cls, tok_cls, data, src_lang=None, tgt_lang=None):
    folder = data / "models" / name
    model, tok = load(cls, folder), tok_cls.from_pretrained(folder)
    if src_lang:
        tok.src_lang = src_lang
    assert tok.padding_side == "right", tok.padding_side
    batch = tok(SENTENCES, padding=True, return_tensors="pt")
    base = {}
    if tgt_lang:
        base["forced_bos_token_id"] = tok.convert_tokens_to_ids(tgt_lang)
    eos = model.config.eos_token_id
    runs = []
    for rname, kw in RUNS:
        kw = {**base, **kw}
        with torch.no_grad():
            out = model.generate(batch.input_ids, attention_mask=batch.attention_mask, **kw).tolist()
        rows = [row_tokens(r, eos) for r in out]
        for s, r in zip(SENTENCES, rows):  # each row is what the sentence gets alone
            with torch.no_grad():
                alone = model.generate(torch.tensor([tok(s).input_ids]), **kw)[0].tolist()
            assert alone == r, (name, rname, s, alone, r)
        runs.append({"name": rname, "generate_kwargs": kw, "sequences": rows})
    return {"model": name, "from": src_lang, "to": tgt_lang, "sentences": SENTENCES,
            "input_ids": batch.input_ids.tolist(), "attention_mask": batch.attention_mask.tolist(), "runs": runs}


def main():
    from transformers import M2M100ForConditionalGeneration, MarianMTModel, MarianTokenizer, NllbTokenizer
    data = Path(sys.argv[1])
    golden = {
        "reference": "transformers 4.27.1 generate() on a right-padded batch, tools/make_mt_batch_goldens.py",
        "cases": [batch_case("nllb-tiny-random", M2M100ForConditionalGeneration, NllbTokenizer, data,
                             "ita_Latn", "fra_Latn"),
                  batch_case("marian-tiny-random", MarianMTModel, MarianTokenizer, data)],
    }
    out = data / "cases" / "mt-batch"
    out.mkdir(parents=True, exist_ok=True)
    (out / "golden.json").write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    sys.exit(main())
