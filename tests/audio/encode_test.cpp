// wav.h and encode.h: what Parley writes decodes back (through decode.h, i.e. FFmpeg) to the same audio.
#include "audio/encode.h"

#include <cmath>

#include "audio/decode.h"
#include "audio/wav.h"
#include "audio_test_util.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"

namespace parley::audio {
namespace {

using test::data_path;

// 2 s of real speech at 16 kHz (the fixture recording), the kind of signal Parley outputs. The
// recording peaks at 1.107 (resampling overshoot), so it is scaled into [-1, 1]: clipping is tested
// on its own.
std::vector<float> speech() {
  std::vector<float> x = decode_file(data_path("audio/jfk.wav"));
  x.resize(2 * kSampleRate);
  for (float& v : x) v *= 0.9f;
  return x;
}

using test_util::best_correlation;

TEST(Wav, Pcm16ScalesBy32767AndClips) {
  EXPECT_EQ(to_pcm16(0.0f), 0);
  EXPECT_EQ(to_pcm16(1.0f), 32767);
  EXPECT_EQ(to_pcm16(-1.0f), -32767);
  EXPECT_EQ(to_pcm16(2.5f), 32767);
  EXPECT_EQ(to_pcm16(-7.0f), -32767);
  EXPECT_EQ(to_pcm16(0.5f), 16384);  // 16383.5 rounds to even
  EXPECT_EQ(to_pcm16(-0.25f), -8192);
  EXPECT_EQ(to_pcm16(NAN), 0);
}

TEST(Wav, RoundTripsThroughFfmpeg) {
  const std::vector<float> x = speech();
  // F32: bit-exact at 16 kHz.
  std::string bytes = encode_wav(x, kSampleRate, SampleFormat::F32);
  EXPECT_EQ(decode_bytes(bytes, "f32.wav"), x);
  WavData w = parse_wav(bytes, "f32.wav");
  EXPECT_EQ(w.sample_rate, kSampleRate);
  EXPECT_EQ(w.channels, 1);
  EXPECT_EQ(w.format, SampleFormat::F32);
  EXPECT_EQ(w.samples, x);
  // PCM16: written round(x * 32767), read back / 32768 by FFmpeg: off by at most half a step for the
  // rounding plus |x| / 32768 for the different scales.
  bytes = encode_wav(x, kSampleRate, SampleFormat::Pcm16);
  EXPECT_EQ(bytes.size(), 44 + 2 * x.size());
  const std::vector<float> back = decode_bytes(bytes, "s16.wav");
  ASSERT_EQ(back.size(), x.size());
  const test::Diff d = test::compare(back.data(), x.data(), static_cast<int64_t>(x.size()));
  EXPECT_LE(d.max_abs, 1.5 / 32768);
  w = parse_wav(bytes, "s16.wav");
  EXPECT_EQ(w.format, SampleFormat::Pcm16);
  EXPECT_EQ(w.samples, back);  // our reader scales as FFmpeg does
  // Another rate is stored as given; decoding resamples it to 16 kHz.
  bytes = encode_wav(x, 24000, SampleFormat::Pcm16);
  EXPECT_EQ(parse_wav(bytes, "24k.wav").sample_rate, 24000);
  EXPECT_NEAR(static_cast<double>(decode_bytes(bytes, "24k.wav").size()), x.size() * 16000.0 / 24000.0, 2);
}

TEST(Wav, WriteIsAtomicAndReadable) {
  const auto dir = test::temp_dir("wav");
  const std::vector<float> x = speech();
  write_wav(dir / "out.wav", x, kSampleRate, SampleFormat::Pcm16);
  const WavData w = read_wav(dir / "out.wav");
  EXPECT_EQ(w.frames(), static_cast<int64_t>(x.size()));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
}

TEST(Wav, ParserRejectsBrokenFiles) {
  const std::string good = encode_wav(std::vector<float>(100, 0.1f), kSampleRate, SampleFormat::Pcm16);
  auto kind_of = [](const std::string& bytes) {
    try {
      parse_wav(bytes, "x.wav");
    } catch (const Error& e) {
      return static_cast<int>(e.kind());
    }
    return -1;
  };
  const int bad = static_cast<int>(ErrorKind::BadInput);
  EXPECT_EQ(kind_of(""), bad);
  EXPECT_EQ(kind_of("RIFF"), bad);
  EXPECT_EQ(kind_of(good.substr(0, 30)), bad);       // cut inside the format chunk
  EXPECT_EQ(kind_of(good.substr(0, 100)), bad);      // cut inside the data
  std::string lying = good;
  lying[40] = '\xff';  // data size far past the end
  EXPECT_EQ(kind_of(lying), bad);
  EXPECT_EQ(wav_missing_bytes(lying), 0xff - 200);
  EXPECT_EQ(wav_missing_bytes(good), 0);
  EXPECT_EQ(wav_missing_bytes("not a wav at all"), 0);
  std::string odd = good;
  odd[34] = 24;  // 24-bit samples: not a format this reader takes
  EXPECT_EQ(kind_of(odd), bad);
  EXPECT_EQ(kind_of(good), -1);
}

TEST(Encode, EveryFormatDecodesBack) {
  const std::vector<float> x = speech();
  ASSERT_EQ(encode_formats().size(), 6u);
  for (const std::string& format : encode_formats()) {
    SCOPED_TRACE(format);
    const std::string bytes = encode_audio(x, kSampleRate, format);
    if (format == "pcm") {
      ASSERT_EQ(bytes.size(), 2 * x.size());
      EXPECT_EQ(bytes, encode_wav(x, kSampleRate, SampleFormat::Pcm16).substr(44));
      continue;
    }
    const std::vector<float> back = decode_bytes(bytes, "out." + format);
    // ADTS carries no gapless information: the AAC encoder's 1024 priming samples and the last
    // frame's padding stay in the decoded audio. The other containers trim them.
    const double tolerance = format == "aac" ? 0.13 : 0.005;
    EXPECT_NEAR(static_cast<double>(back.size()) / kSampleRate, 2.0, tolerance);
    const double corr = best_correlation(back, x, 1100);
    std::printf("%-5s %6zu bytes, %6zu samples back, correlation %.4f\n", format.c_str(), bytes.size(), back.size(),
                corr);
    EXPECT_GT(corr, format == "flac" || format == "wav" ? 0.99999 : 0.95);
  }
}

TEST(Encode, OtherRatesAreResampledWhenTheEncoderNeedsIt) {
  std::vector<float> x(22050);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * std::sin(2 * M_PI * 440.0 * i / 22050.0);
  for (const char* format : {"opus", "mp3", "flac", "aac"}) {
    const std::vector<float> back = decode_bytes(encode_audio(x, 22050, format), "tone");
    EXPECT_NEAR(static_cast<double>(back.size()) / kSampleRate, 1.0, 0.13) << format;
  }
}

TEST(Encode, UnknownFormatListsTheSupportedOnes) {
  try {
    encode_audio(std::vector<float>(10), kSampleRate, "ogg-vorbis");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    const std::string m = e.what();
    EXPECT_NE(m.find("ogg-vorbis"), std::string::npos) << m;
    EXPECT_NE(m.find("wav, pcm, flac, mp3, opus, aac"), std::string::npos) << m;
  }
  EXPECT_THROW(encode_audio(std::vector<float>(10), 0, "mp3"), Error);
  // Nothing to say: WAV and raw PCM hold zero samples (a valid empty WAV); the compressed formats refuse.
  for (const std::string& format : encode_formats()) {
    if (format == "wav") {
      const WavData empty = parse_wav(encode_audio({}, kSampleRate, format), "empty");
      EXPECT_EQ(empty.frames(), 0);
      EXPECT_EQ(empty.sample_rate, kSampleRate);
    } else if (format == "pcm") {
      EXPECT_EQ(encode_audio({}, kSampleRate, format), "");
    } else {
      EXPECT_THROW(encode_audio({}, kSampleRate, format), Error) << format;
    }
  }
}

TEST(Encode, ContentTypes) {
  EXPECT_EQ(content_type("wav"), "audio/wav");
  EXPECT_EQ(content_type("mp3"), "audio/mpeg");
  EXPECT_EQ(content_type("opus"), "audio/ogg");
  EXPECT_EQ(content_type("flac"), "audio/flac");
  EXPECT_EQ(content_type("aac"), "audio/aac");
}

}  // namespace
}  // namespace parley::audio
