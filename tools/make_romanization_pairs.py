#!/usr/bin/env python3
"""Writes tests/data/romanization/<script>.tsv: lines of text and what uroman's Perl original makes of
them, the reference that src/text/romanize.cpp is measured against (tests/text/romanize_test.cpp).

    tools/make_romanization_pairs.py /path/to/uroman/uroman/uroman.pl [OUT_DIR]

uroman is github.com/isi-nlp/uroman (see ../shared/tools/reference-env.md: in an extracted copy, link
`data` to `uroman/data`). It is run as MMS-TTS's recipe runs it: `perl uroman.pl` with no language code,
one line in, one line out. Inputs: tools/romanization_inputs/<script>.txt (sentences written for this
purpose) and the lines of uroman's own test/multi-script.txt whose language uses a script we cover
(the `::lcode xxx` prefix removed, since MMS passes no language code). Tabs cannot occur in the inputs;
trailing spaces are stripped from both columns (uroman keeps them; they carry nothing to say).
"""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
INPUTS = ROOT / "tools" / "romanization_inputs"

# The languages of uroman's test/multi-script.txt, by the script file their line joins.
MULTI_SCRIPT_LANGUAGES = {
    "deu": "latin", "tur": "latin", "ell": "greek", "rus": "cyrillic", "ukr": "cyrillic",
    "srp": "cyrillic", "ara": "arabic", "fas": "arabic", "uig": "arabic", "amh": "ethiopic",
    "hin": "devanagari", "mar": "devanagari", "nep": "devanagari", "tam": "tamil", "zho": "han",
    "heb": "hebrew", "yid": "hebrew", "hye": "armenian", "tai": "thai", "kor": "hangul",
    "jpn": "japanese", "ben": "bengali", "kat": "georgian",
}


def multi_script_lines(uroman_pl: pathlib.Path) -> dict:
    path = uroman_pl.resolve().parent.parent / "test" / "multi-script.txt"
    lines = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] == "::lcode" and parts[1] in MULTI_SCRIPT_LANGUAGES:
            lines.setdefault(MULTI_SCRIPT_LANGUAGES[parts[1]], []).append(parts[2].lstrip("\ufeff"))
    return lines


def romanize(uroman_pl: pathlib.Path, lines: list) -> list:
    text = "".join(line + "\n" for line in lines)
    out = subprocess.run(["perl", str(uroman_pl)], input=text, capture_output=True, text=True,
                         encoding="utf-8", check=True, cwd=uroman_pl.resolve().parent.parent).stdout
    result = out.split("\n")[: len(lines)]
    if len(result) != len(lines):
        sys.exit(f"uroman gave {len(result)} lines for {len(lines)}")
    return result


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    uroman_pl = pathlib.Path(sys.argv[1])
    out_dir = pathlib.Path(sys.argv[2]) if len(sys.argv) == 3 else ROOT / "tests" / "data" / "romanization"
    out_dir.mkdir(parents=True, exist_ok=True)
    extra = multi_script_lines(uroman_pl)
    scripts = sorted({p.stem for p in INPUTS.glob("*.txt")} | set(extra))
    for script in scripts:
        own = INPUTS / f"{script}.txt"
        lines = own.read_text(encoding="utf-8").splitlines() if own.exists() else []
        lines = [line.rstrip() for line in lines + extra.get(script, []) if line.strip()]
        assert all("\t" not in line for line in lines)
        pairs = zip(lines, romanize(uroman_pl, lines))
        rows = "".join(f"{a}\t{b.rstrip()}\n" for a, b in pairs)
        (out_dir / f"{script}.tsv").write_text(rows, encoding="utf-8")
        print(f"{script}: {len(lines)} lines")


if __name__ == "__main__":
    main()
