// Inputs the fuzz targets (fuzz/) found to break a parser, kept as regression tests: each must now end
// in a clean parley::Error with a one-line message, or be handled correctly. The crashing inputs are
// under tests/data/fuzz/<parser>/ as the fuzzer wrote them (see docs/ROBUSTNESS.md). This suite also
// runs under ASan + UBSan (build-asan/), which is what caught the undefined behaviour ones.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <filesystem>
#include <functional>
#include <vector>

#include "audio/decode.h"
#include "audio/wav.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "weights/npy.h"
#include "weights/weights.h"

namespace parley::test {
namespace {

std::vector<std::filesystem::path> crashes(const std::string& parser) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(data_path("fuzz/" + parser))) out.push_back(e.path());
  return out;
}

void expect_one_line_error(const std::function<void()>& fn, const std::string& what) {
  try {
    fn();
    ADD_FAILURE() << what << ": accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput) << what;
    EXPECT_EQ(std::string(e.what()).find_first_of("\r\n"), std::string::npos) << what << ": " << e.what();
  }
}

// fuzz_npy: a dtype holding a newline was copied into the error message, breaking it over two lines.
TEST(FuzzRegression, NpyHeaderTextInErrorsStaysOnOneLine) {
  auto files = crashes("npy");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    const std::string bytes = read_file(f);
    expect_one_line_error([&] { parse_npy(bytes, f.filename().string()); }, f.filename().string());
  }
}

// fuzz_wav: encoding no samples as float passed a null pointer to memcpy (undefined behaviour that
// UBSan reports); an empty WAV must be written and read back as empty.
TEST(FuzzRegression, EmptyFloatWavRoundTrips) {
  for (auto fmt : {audio::SampleFormat::F32, audio::SampleFormat::Pcm16}) {
    const std::string bytes = audio::encode_wav(std::span<const float>(), 16000, fmt);
    audio::WavData back = audio::parse_wav(bytes, "empty.wav");
    EXPECT_TRUE(back.samples.empty());
    EXPECT_EQ(back.sample_rate, 16000);
    EXPECT_EQ(audio::wav_missing_bytes(bytes), 0);
  }
}

// fuzz_torch_bin: a BOOL tensor named "\rool" was refused by Weights::get with the raw name inside
// the message (a carriage return: two lines in a log).
TEST(FuzzRegression, TensorNamesInWeightErrorsStayOnOneLine) {
  auto files = crashes("torch_bin");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    const std::string bytes = read_file(f);
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    int refused = 0;
    try {
      Weights w = parse_torch_bin(data, bytes.size(), nullptr, f.filename().string());
      for (const std::string& name : w.names()) {
        try {
          w.get(name);
        } catch (const Error& e) {
          ++refused;
          EXPECT_EQ(std::string(e.what()).find_first_of("\r\n"), std::string::npos) << e.what();
        }
      }
    } catch (const Error& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).find_first_of("\r\n"), std::string::npos) << e.what();
    }
    EXPECT_GT(refused, 0) << f.filename().string();
  }
}

// fuzz_decode_audio: a 92-byte WAV whose LIST chunk claims 1.1 GB made FFmpeg's WAV demuxer
// allocate (and zero) that much before finding the file short. FFmpeg allocations are now capped
// (audio::av::kMaxFfmpegAlloc): the file is refused as unreadable, and memory barely moves.
TEST(FuzzRegression, AudioHeadersCannotMakeFfmpegAllocateWhatTheyClaim) {
  auto files = crashes("audio");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    const std::string bytes = read_file(f);
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    try {
      audio::decode_bytes(bytes, f.filename().string());
      ADD_FAILURE() << f.filename() << ": accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find_first_of("\r\n"), std::string::npos) << e.what();
    }
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 256 * 1024) << f.filename() << ": peak memory grew (kB)";
  }
}

}  // namespace
}  // namespace parley::test
