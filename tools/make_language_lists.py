"""Writes the reference's language lists that tests/text/languages_test.cpp checks the table against.

  PYTHONPATH=/tmp/owstub:/tmp/owhisper:/tmp/ref/stubs:/tmp/ref/src /usr/bin/python3 tools/make_language_lists.py tests/data/languages

- nllb_codes.txt: NLLB-200's FLORES-200 codes, in the order of its language tokens
  (transformers' NllbTokenizer).
- m2m100_codes.txt: M2M100's codes, in the order of its `__xx__` tokens (M2M100Tokenizer, "m2m100" set).
- whisper_languages.txt: "code<TAB>name", Whisper's languages in token order with its names
  (openai-whisper's tokenizer; transformers' WhisperTokenizer has the same table).
/tmp/owstub: pure-Python stand-ins for tiktoken (see make_longform_goldens.py).
"""
import os
import sys

from transformers.models.m2m_100 import tokenization_m2m_100
from transformers.models.nllb import tokenization_nllb
from transformers.models.whisper import tokenization_whisper
from whisper import tokenizer as openai_tokenizer


def write(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def main(out):
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "nllb_codes.txt"), tokenization_nllb.FAIRSEQ_LANGUAGE_CODES)
    write(os.path.join(out, "m2m100_codes.txt"), tokenization_m2m_100.FAIRSEQ_LANGUAGE_CODES["m2m100"])
    languages = list(openai_tokenizer.LANGUAGES.items())
    # transformers 4.27 predates Cantonese (large-v3); the 99 it has must agree with openai-whisper.
    assert list(tokenization_whisper.LANGUAGES.items()) == languages[: len(tokenization_whisper.LANGUAGES)]
    write(os.path.join(out, "whisper_languages.txt"), [f"{code}\t{name}" for code, name in languages])


if __name__ == "__main__":
    main(sys.argv[1])
