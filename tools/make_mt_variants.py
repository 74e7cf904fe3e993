#!/usr/bin/env python3
"""Translation goldens for what the shared fixtures lack, computed by the reference (transformers 4.27.1,
../shared/tools/reference-env.md) from the fixture models already in tests/data:

  models/nllb-bin-random      nllb-tiny-random stored as pytorch_model.bin
  models/marian-multi-random  marian-tiny-random with two target-language tokens, >>fra<< and >>spa<<,
                              added to its vocabulary (two random rows): a multi-target opus-mt model
  cases/mt-variants/golden.json
    processors   repetition_penalty and no_repeat_ngram_size runs, greedy and beam, on nllb and marian
    multi        the multi-target Marian: ">>spa<< text" encoded and generated
    long         a text of several sentences, longer than the model's 64 positions: the reference run
                 on each sentence alone (what Parley must produce sentence by sentence)

    PYTHONPATH=/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 tools/make_mt_variants.py tests/data
"""
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

SENTENCES = ["Penso che questo sia un passo in avanti importante nella costruzione di uno spazio giuridico.",
             "La libertà di circolazione e la protezione dei diritti per le persone in Europa.",
             "Creo que este es un paso importante en la construcción de un espacio jurídico.",
             "Acho que este é um passo importante na construção de um espaço jurídico."]


def load(cls, folder: Path):
    model = cls(cls.config_class.from_pretrained(folder))
    missing = model.load_state_dict(read_safetensors(folder / "model.safetensors"), strict=False)
    assert not missing.unexpected_keys, missing
    model.tie_weights()
    return model.eval()


def generate(model, ids, **kw):
    with torch.no_grad():
        return model.generate(torch.tensor([ids]), **kw)[0].tolist()


def copy_folder(src: Path, dst: Path, skip=("model.safetensors",)):
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    for f in src.iterdir():
        if f.name not in skip:
            shutil.copy(f, dst / f.name)


def make_bin(data: Path):
    from transformers import M2M100ForConditionalGeneration
    src, dst = data / "models" / "nllb-tiny-random", data / "models" / "nllb-bin-random"
    copy_folder(src, dst)
    torch.save(read_safetensors(src / "model.safetensors"), dst / "pytorch_model.bin")
    assert load_bin_matches(M2M100ForConditionalGeneration, src, dst)


def load_bin_matches(cls, src, dst):
    a = load(cls, src)
    b = cls.from_pretrained(dst).eval()
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def processor_runs(name, cls, tok_cls, data, src_lang=None, tgt_token=None):
    folder = data / "models" / name
    model, tok = load(cls, folder), tok_cls.from_pretrained(folder)
    if src_lang:
        tok.src_lang = src_lang
    ids = tok(SENTENCES[0]).input_ids
    base = {"max_new_tokens": 14}
    if tgt_token is not None:
        base["forced_bos_token_id"] = tgt_token
    runs = []
    for rname, kw in (("repetition_penalty_greedy", {"num_beams": 1, "repetition_penalty": 1.5}),
                      ("repetition_penalty_beam", {"num_beams": 4, "repetition_penalty": 1.3}),
                      ("no_repeat_2_greedy", {"num_beams": 1, "no_repeat_ngram_size": 2}),
                      ("no_repeat_3_beam", {"num_beams": 4, "no_repeat_ngram_size": 3})):
        kw = {**base, **kw}
        runs.append({"name": rname, "generate_kwargs": kw, "sequence": generate(model, ids, **kw)})
    return {"model": name, "text": SENTENCES[0], "input_ids": ids, "runs": runs}


def make_multi(data: Path):
    """marian-tiny-random plus two target tokens at the end of the vocabulary (the pad id stays)."""
    from transformers import MarianMTModel, MarianTokenizer
    src, dst = data / "models" / "marian-tiny-random", data / "models" / "marian-multi-random"
    copy_folder(src, dst)
    vocab = json.loads((src / "vocab.json").read_text())
    for code in (">>fra<<", ">>spa<<"):
        vocab[code] = len(vocab)
    (dst / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1) + "\n")
    cfg = json.loads((src / "config.json").read_text())
    cfg["vocab_size"] = cfg["decoder_vocab_size"] = len(vocab)
    (dst / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    state = read_safetensors(src / "model.safetensors")
    gen = torch.Generator().manual_seed(3)
    rows = torch.randn(2, state["model.shared.weight"].shape[1], generator=gen) * 0.3
    for name, t in list(state.items()):
        if name in ("model.shared.weight", "lm_head.weight", "model.encoder.embed_tokens.weight",
                    "model.decoder.embed_tokens.weight"):  # the tied copies the file holds
            state[name] = torch.cat([t, rows])
        elif name == "final_logits_bias":
            state[name] = torch.cat([t, torch.zeros(1, 2)], dim=1)
    write_safetensors(dst / "model.safetensors", state)
    model, tok = load(MarianMTModel, dst), MarianTokenizer.from_pretrained(dst)
    assert tok.supported_language_codes == [">>fra<<", ">>spa<<"], tok.supported_language_codes
    cases = []
    for code, text in ((">>spa<<", SENTENCES[0]), (">>fra<<", SENTENCES[1])):
        ids = tok(f"{code} {text}").input_ids
        assert ids[0] == vocab[code], ids
        kw = {"max_new_tokens": 12}
        cases.append({"model": "marian-multi-random", "target_code": code, "text": text, "input_ids": ids,
                      "runs": [{"name": "default", "generate_kwargs": kw, "sequence": generate(model, ids, **kw)}]})
    return cases


def long_case(data: Path):
    """Each sentence alone through the reference: the NLLB fixture has 64 positions, the text far more."""
    from transformers import M2M100ForConditionalGeneration, NllbTokenizer
    folder = data / "models" / "nllb-tiny-random"
    model, tok = load(M2M100ForConditionalGeneration, folder), NllbTokenizer.from_pretrained(folder)
    tok.src_lang = "ita_Latn"
    fra = tok.convert_tokens_to_ids("fra_Latn")
    whole = tok(" ".join(SENTENCES)).input_ids
    assert len(whole) > model.config.max_position_embeddings, len(whole)
    kw = {"max_new_tokens": 10, "forced_bos_token_id": fra, "num_beams": 1}
    sentences = []
    for s in SENTENCES:
        ids = tok(s).input_ids
        sentences.append({"source": s, "input_ids": ids, "sequence": generate(model, ids, **kw)})
    return {"model": "nllb-tiny-random", "from": "ita_Latn", "to": "fra_Latn", "text": " ".join(SENTENCES),
            "whole_tokens": len(whole), "max_positions": model.config.max_position_embeddings,
            "generate_kwargs": kw, "sentences": sentences}


def main():
    from transformers import M2M100ForConditionalGeneration, MarianMTModel, MarianTokenizer, NllbTokenizer
    data = Path(sys.argv[1])
    make_bin(data)
    nllb_tok = NllbTokenizer.from_pretrained(data / "models" / "nllb-tiny-random")
    golden = {
        "reference": "transformers 4.27.1 generate(), tools/make_mt_variants.py",
        "processors": [processor_runs("nllb-tiny-random", M2M100ForConditionalGeneration, NllbTokenizer, data,
                                      "ita_Latn", nllb_tok.convert_tokens_to_ids("fra_Latn")),
                       processor_runs("marian-tiny-random", MarianMTModel, MarianTokenizer, data)],
        "multi": make_multi(data),
        "long": long_case(data),
    }
    out = data / "cases" / "mt-variants"
    out.mkdir(parents=True, exist_ok=True)
    (out / "golden.json").write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    sys.exit(main())
