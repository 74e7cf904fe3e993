#!/usr/bin/env bash
# Writes tests/data/audio/formats/: short inputs in the formats, rates and channel counts Parley must
# read, each with `<name>.ref.wav`, what the ffmpeg command line decodes it to
# (`ffmpeg -i IN -ac 1 -ar 16000 -c:a pcm_f32le`, the reference pipeline's reading), plus broken inputs
# for the error tests. Source: 2 s of speech from tests/data/audio/jfk.wav.
#   tools/make_audio_fixtures.sh        (needs Debian's ffmpeg; output is small: about 1.3 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=tests/data/audio/jfk.wav
OUT=tests/data/audio/formats
mkdir -p "$OUT"
ff() { ffmpeg -nostdin -v error -y "$@"; }
seg=(-ss 0.3 -t 2.0 -i "$SRC")

# name  ffmpeg output options
ff "${seg[@]}" -ar 44100 -ac 2 -c:a libmp3lame -b:a 64k "$OUT/mp3_44k_stereo.mp3"
ff "${seg[@]}" -ar 22050 -ac 1 -c:a libvorbis -q:a 3 "$OUT/vorbis_22k_mono.ogg"
ff "${seg[@]}" -ar 48000 -ac 2 -c:a libopus -b:a 48k "$OUT/opus_48k_stereo.opus"
ff "${seg[@]}" -ar 48000 -ac 1 -c:a libopus -b:a 32k "$OUT/webm_opus_mono.webm"
ff "${seg[@]}" -ar 22050 -ac 2 -c:a aac -b:a 64k "$OUT/aac_22k_stereo.m4a"
ff "${seg[@]}" -ar 16000 -ac 1 -c:a aac -b:a 48k "$OUT/aac_16k_mono.aac"
ff "${seg[@]}" -ar 8000 -ac 1 -c:a pcm_s16le "$OUT/pcm_8k_mono.wav"
# 5.1 with a different gain per channel, so the downmix matrix matters (LFE included).
pan="pan=5.1|FL=c0|FR=0.5*c0|FC=0.7*c0|LFE=0.4*c0|BL=0.3*c0|BR=-0.2*c0"
ff "${seg[@]}" -af "$pan" -ar 48000 -c:a ac3 -b:a 192k "$OUT/ac3_48k_5.1.mka"
ff -ss 0.3 -t 1.0 -i "$SRC" -af "$pan" -ar 48000 -c:a flac -sample_fmt s16 "$OUT/flac_48k_5.1.flac"

for f in "$OUT"/*.*; do
  case "$f" in *.ref.wav) continue ;; esac
  ff -i "$f" -ac 1 -ar 16000 -c:a pcm_f32le "${f%.*}.ref.wav"
done

# Broken inputs (no reference: they must fail with one clear line).
ff -t 2.0 -i "$SRC" -c:a flac "$OUT/whole.flac.tmp.flac"
size=$(stat -c %s "$OUT/whole.flac.tmp.flac")
head -c $((size * 4 / 10)) "$OUT/whole.flac.tmp.flac" > "$OUT/truncated.flac"
rm "$OUT/whole.flac.tmp.flac"
: > "$OUT/empty.wav"
printf 'This is a text file, not audio.\nIt has two lines.\n' > "$OUT/not_audio.txt"
ff -f lavfi -i color=c=blue:s=32x32:d=0.2 -c:v libvpx -b:v 50k "$OUT/video_only.webm"
ls -l "$OUT"
