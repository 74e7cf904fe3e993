// decode.h: every container/codec/rate/layout the issue names decodes like the ffmpeg command line,
// and bad input fails with one line of the right kind.
#include "audio/decode.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "audio/wav.h"
#include "audio_test_util.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"

namespace parley::audio {
namespace {

using test::data_path;

// A WAV's samples as stored (tests/data/audio/*.wav and the .ref.wav files are mono float at 16 kHz).
std::vector<float> wav_samples(const std::string& relative) {
  WavData w = read_wav(data_path(relative));
  EXPECT_EQ(w.sample_rate, kSampleRate);
  EXPECT_EQ(w.channels, 1);
  return w.samples;
}

using test_util::best_correlation;

// Runs `f`, expecting parley::Error of `kind` with a one-line message; returns the message.
template <typename F>
std::string expect_error(F&& f, ErrorKind kind) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_FALSE(std::string(e.what()).empty());
    std::printf("  error: %s\n", e.what());
    return e.what();
  }
  ADD_FAILURE() << "no parley::Error thrown";
  return {};
}

// The flac fixture holds 44.1 kHz stereo 24-bit; jfk.wav is what the ffmpeg command line made of it.
TEST(Decode, FlacEqualsTheFfmpegCommandLine) {
  const std::vector<float> got = decode_file(data_path("audio/jfk.flac"));
  const std::vector<float> want = wav_samples("audio/jfk.wav");
  ASSERT_EQ(got.size(), want.size());
  const test::Diff d = test::compare(got.data(), want.data(), static_cast<int64_t>(got.size()));
  std::printf("jfk.flac vs ffmpeg CLI: max |diff| %.3g, mean %.3g over %zu samples\n", d.max_abs, d.mean_abs,
              got.size());
  EXPECT_LE(d.max_abs, 1e-6) << "worst at " << d.worst_index << " got " << d.got << " want " << d.want;
}

TEST(Decode, SixteenKilohertzMonoFloatPassesThroughUnchanged) {
  for (const char* name : {"audio/jfk.wav", "audio/es.wav", "audio/silence_2s.wav"}) {
    const std::vector<float> got = decode_file(data_path(name));
    const std::vector<float> want = wav_samples(name);
    ASSERT_EQ(got.size(), want.size()) << name;
    EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin())) << name;
  }
}

struct FormatCase {
  const char* file;     // under tests/data/audio/formats/
  double seconds;       // length of the source segment
  double tolerance_s;   // how far the decoded length may be from it
};

// Made by tools/make_audio_fixtures.sh from 2 s (the 5.1 FLAC: 1 s) of jfk.wav starting at 0.3 s.
// Codecs without gapless metadata keep their priming/padding samples, as with the command line:
// raw ADTS AAC (+1024 priming samples and the last frame's padding), AC-3 (last frame's padding).
const FormatCase kFormats[] = {
    {"mp3_44k_stereo.mp3", 2.0, 0.05},    {"vorbis_22k_mono.ogg", 2.0, 0.05}, {"opus_48k_stereo.opus", 2.0, 0.05},
    {"webm_opus_mono.webm", 2.0, 0.05},   {"aac_22k_stereo.m4a", 2.0, 0.05},  {"aac_16k_mono.aac", 2.0, 0.15},
    {"pcm_8k_mono.wav", 2.0, 0.005},      {"ac3_48k_5.1.mka", 2.0, 0.05},     {"flac_48k_5.1.flac", 1.0, 0.005},
};

TEST(Decode, EveryFormatEqualsTheFfmpegCommandLine) {
  const std::vector<float> source = wav_samples("audio/jfk.wav");
  for (const FormatCase& c : kFormats) {
    SCOPED_TRACE(c.file);
    const std::string path = std::string("audio/formats/") + c.file;
    const std::vector<float> got = decode_file(data_path(path));
    std::string ref = path.substr(0, path.rfind('.')) + ".ref.wav";
    const std::vector<float> want = wav_samples(ref);
    ASSERT_EQ(got.size(), want.size());
    const test::Diff d = test::compare(got.data(), want.data(), static_cast<int64_t>(got.size()));
    EXPECT_LE(d.max_abs, 1e-6) << "worst at " << d.worst_index << " got " << d.got << " want " << d.want;

    EXPECT_NEAR(static_cast<double>(got.size()) / kSampleRate, c.seconds, c.tolerance_s);
    // Sensible content: the decoded speech is the source segment (up to gain and codec delay).
    const size_t begin = static_cast<size_t>(0.3 * kSampleRate);
    const std::vector<float> segment(source.begin() + begin,
                                     source.begin() + begin + static_cast<size_t>(c.seconds * kSampleRate));
    const double corr = best_correlation(got, segment, 1200);
    std::printf("%-22s %6zu samples, max |diff| vs CLI %.3g, correlation with source %.4f\n", c.file, got.size(),
                d.max_abs, corr);
    EXPECT_GT(corr, 0.9);
  }
}

TEST(Decode, BytesInMemoryGiveTheSameSamplesWithoutAFileName) {
  for (const char* file : {"mp3_44k_stereo.mp3", "aac_16k_mono.aac", "webm_opus_mono.webm"}) {
    const auto path = data_path(std::string("audio/formats/") + file);
    const std::string bytes = read_file(path);
    EXPECT_EQ(decode_bytes(bytes, "upload"), decode_file(path)) << file;
  }
}

TEST(Decode, NonFiniteSamplesBecomeZero) {
  std::vector<float> x(1600);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * std::sin(0.05f * i);
  x[100] = NAN;
  x[200] = INFINITY;
  x[300] = -INFINITY;
  // At 16 kHz nothing is resampled: exactly the bad samples are replaced.
  std::vector<float> got = decode_bytes(encode_wav(x, kSampleRate, SampleFormat::F32), "nan.wav");
  ASSERT_EQ(got.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(got[i], std::isfinite(x[i]) ? x[i] : 0.0f) << i;
  // Resampled, the output stays finite.
  got = decode_bytes(encode_wav(x, 44100, SampleFormat::F32), "nan44.wav");
  EXPECT_NEAR(static_cast<double>(got.size()), x.size() * 16000.0 / 44100.0, 2);
  EXPECT_TRUE(std::all_of(got.begin(), got.end(), [](float v) { return std::isfinite(v); }));
}

TEST(Decode, MissingFileIsNotFound) {
  const std::string m =
      expect_error([] { decode_file(data_path("audio/formats/no_such_file.wav")); }, ErrorKind::NotFound);
  EXPECT_NE(m.find("no_such_file.wav"), std::string::npos) << m;
}

TEST(Decode, EmptyFileIsBadInput) {
  const std::string m = expect_error([] { decode_file(data_path("audio/formats/empty.wav")); }, ErrorKind::BadInput);
  EXPECT_NE(m.find("empty"), std::string::npos) << m;
  expect_error([] { decode_bytes("", "upload"); }, ErrorKind::BadInput);
}

TEST(Decode, DirectoryIsBadInput) {
  expect_error([] { decode_file(data_path("audio/formats")); }, ErrorKind::BadInput);
}

TEST(Decode, TruncatedFlacIsBadInput) {
  const std::string m =
      expect_error([] { decode_file(data_path("audio/formats/truncated.flac")); }, ErrorKind::BadInput);
  EXPECT_NE(m.find("truncated.flac"), std::string::npos) << m;
  EXPECT_NE(m.find(": truncated"), std::string::npos) << m;  // says why, not just the name
}

TEST(Decode, TruncatedWavIsBadInput) {
  std::vector<float> x(32000, 0.25f);
  std::string bytes = encode_wav(x, kSampleRate, SampleFormat::Pcm16);
  bytes.resize(bytes.size() / 2);
  const std::string m = expect_error([&] { decode_bytes(bytes, "cut.wav"); }, ErrorKind::BadInput);
  EXPECT_NE(m.find("truncated"), std::string::npos) << m;
}

TEST(Decode, TextFileIsUnsupportedMedia) {
  const std::string m =
      expect_error([] { decode_file(data_path("audio/formats/not_audio.txt")); }, ErrorKind::UnsupportedMedia);
  EXPECT_NE(m.find("not_audio.txt"), std::string::npos) << m;
  expect_error([] { decode_bytes("hello, this is plain text and no audio at all", "note"); },
               ErrorKind::UnsupportedMedia);
}

TEST(Decode, VideoWithoutAudioIsBadInput) {
  const std::string m =
      expect_error([] { decode_file(data_path("audio/formats/video_only.webm")); }, ErrorKind::BadInput);
  EXPECT_NE(m.find("no audio stream"), std::string::npos) << m;
}

// Formats that make FFmpeg open other files or URLs must never be followed.
TEST(Decode, PlaylistsAndConcatListsAreRefused) {
  const std::string hls = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n";
  expect_error([&] { decode_bytes(hls, "list.m3u8"); }, ErrorKind::UnsupportedMedia);
  const std::string concat = "ffconcat version 1.0\nfile '" + data_path("audio/jfk.flac").string() + "'\n";
  expect_error([&] { decode_bytes(concat, "list.ffconcat"); }, ErrorKind::UnsupportedMedia);
}

TEST(Decode, LongerThanTheLimitIsTooLarge) {
  // jfk.flac declares 11 s in its header: refused before decoding.
  std::string m = expect_error([] { decode_file(data_path("audio/jfk.flac"), 5.0); }, ErrorKind::TooLarge);
  EXPECT_NE(m.find("limit"), std::string::npos) << m;
  // Raw ADTS AAC declares no length: refused while decoding, once past the limit.
  expect_error([] { decode_file(data_path("audio/formats/aac_16k_mono.aac"), 1.0); }, ErrorKind::TooLarge);
  EXPECT_EQ(decode_file(data_path("audio/jfk.flac"), 12.0).size(), 176000u);
}

// Hostile bytes: every cut and many random corruptions of every fixture either decode to finite
// samples or throw parley::Error; nothing crashes or hangs (run under AddressSanitizer too).
TEST(Decode, DamagedInputNeverCrashes) {
  std::mt19937 rng(1234);
  for (const FormatCase& c : kFormats) {
    SCOPED_TRACE(c.file);
    const std::string bytes = read_file(data_path(std::string("audio/formats/") + c.file));
    std::vector<std::string> variants;
    for (int k = 1; k < 16; ++k) variants.push_back(bytes.substr(0, bytes.size() * k / 16));
    for (int k = 0; k < 24; ++k) {
      std::string b = bytes;
      const int flips = 1 + static_cast<int>(rng() % 16);
      for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<char>(rng());
      variants.push_back(std::move(b));
    }
    for (const std::string& v : variants) {
      try {
        const std::vector<float> got = decode_bytes(v, c.file);
        EXPECT_TRUE(std::all_of(got.begin(), got.end(), [](float s) { return std::isfinite(s); }));
        EXPECT_FALSE(got.empty());
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace parley::audio
