// Pipes: `-` as the input audio (stdin) and as synthesize's text, `-o -` writing raw samples to
// stdout with the report on stderr.
#include <gtest/gtest.h>

#include "audio/wav.h"
#include "cli/cli_fixtures.h"
#include "core/files.h"

namespace parley::test {
namespace {

namespace fs = std::filesystem;

// `-o -` carries raw samples (as translate's does, for `| aplay -f S16_LE -r 16000 -c 1`): the WAV's
// samples, byte for byte, without its header.
TEST(Pipes, SynthesizeReadsTextFromStdinAndWritesRawSamplesToStdout) {
  const fs::path file = temp_dir("pipe-synth") / "file.wav";
  const auto to_file = run_parley(synthesize_args("Hello there.", file.string()));
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  const auto piped = run_parley(synthesize_args("-", "-"), 120, "Hello there.");
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  const std::string wav = read_file(file);
  const size_t header = audio::wav_header(0, 16000, audio::SampleFormat::Pcm16).size();
  ASSERT_GT(wav.size(), header);
  EXPECT_TRUE(piped.out == wav.substr(header)) << piped.out.size() << " bytes on stdout, " << wav.size() - header
                                               << " samples' bytes in the WAV";
  EXPECT_NE(piped.err.find("wrote -"), std::string::npos) << piped.err;
}

TEST(Pipes, TranscribeReadsAudioFromStdin) {
  const std::vector<std::string> args = {"transcribe", "-m", model("whisper-tiny-random"), "-l", "en",
                                         "--max-new-tokens", "16"};
  auto from_file = args;
  from_file.push_back(data_path("audio/jfk.wav").string());
  auto from_stdin = args;
  from_stdin.push_back("-");
  const auto a = run_parley(from_file);
  const auto b = run_parley(from_stdin, 120, read_file(data_path("audio/jfk.wav")));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_FALSE(b.out.empty());
}

TEST(Pipes, TranslateFromStdinToStdout) {
  const auto r = run_parley(translate_args("-", "-"), 120, read_file(data_path("audio/es.wav")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty());  // raw samples
  EXPECT_NE(r.err.find("text:"), std::string::npos) << r.err;  // the report
}

}  // namespace
}  // namespace parley::test
