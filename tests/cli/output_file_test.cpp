// `-o` the same way for every command (cli/output_file.h): through symbolic links (the link stays),
// straight into FIFOs, checked before any work, never destroying an existing file before the new
// one is complete, and a `--stream` WAV interrupted by Ctrl-C left valid.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <future>
#include <thread>

#include "audio/wav.h"
#include "cli/cli_fixtures.h"
#include "common/child_process.h"
#include "core/files.h"

namespace parley::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// Files in `dir` whose name has our temporary files' mark: none may stay behind.
int leftovers(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().find(".parley-") != std::string::npos;
  return n;
}

TEST(OutputFile, WritesThroughASymlinkAndKeepsIt) {
  const fs::path dir = temp_dir("out-symlink");
  write_text(dir / "real.wav", "old");
  fs::create_symlink("real.wav", dir / "link.wav");
  const auto r = run_parley(synthesize_args("Hello.", (dir / "link.wav").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir / "link.wav")));
  EXPECT_GT(audio::read_wav(dir / "real.wav").frames(), 0);
  EXPECT_EQ(leftovers(dir), 0);
}

TEST(OutputFile, WritesIntoAFifoForItsReader) {
  const fs::path fifo = temp_dir("out-fifo") / "audio.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto reader = std::async(std::launch::async, [&] {  // opening blocks until parley opens its end
    std::ifstream in(fifo, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  });
  const auto r = run_parley(synthesize_args("Hello.", fifo.string()), 60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string bytes = reader.get();
  EXPECT_EQ(bytes.rfind("RIFF", 0), 0u);
  const fs::path copy = fifo.parent_path() / "copy.wav";
  write_text(copy, bytes);
  EXPECT_GT(audio::read_wav(copy).frames(), 0);
  EXPECT_TRUE(fs::is_fifo(fifo));
}

TEST(OutputFile, AnUnwritablePathFailsBeforeAnyWork) {
  const fs::path dir = temp_dir("out-unwritable");
  write_text(dir / "plain", "a file, not a folder");
  for (const fs::path& bad : {dir / "no-folder" / "out.wav", dir / "plain" / "out.wav", dir}) {
    SCOPED_TRACE(bad.string());
    const auto start = Clock::now();
    // A model that does not exist: the output's check must come first.
    auto args = synthesize_args("Hello.", bad.string());
    args[2] = (dir / "no-model").string();
    const auto r = run_parley(args, 30);
    EXPECT_EQ(r.exit_code, 1);
    expect_one_line_error(r, "cannot write " + bad.string());
    EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 5.0);
  }
}

TEST(OutputFile, AFailedRunLeavesTheExistingFileAlone) {
  const fs::path dir = temp_dir("out-keep");
  write_text(dir / "precious.wav", "precious");
  auto args = synthesize_args("Hello.", (dir / "precious.wav").string());
  args[2] = (dir / "no-model").string();  // fails after the output was opened
  const auto r = run_parley(args, 30);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(read_file(dir / "precious.wav"), "precious");
  EXPECT_EQ(leftovers(dir), 0);
}

// The size of the hidden temporary file of `dir` (0 when there is none yet).
uintmax_t temp_size(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".parley-") != std::string::npos) return e.file_size();
  return 0;
}

TEST(OutputFile, InterruptedStreamLeavesAValidWav) {
  const fs::path dir = temp_dir("out-sigint");
  const fs::path out = dir / "english.wav";
  write_text(out, "an older file");
  std::vector<std::string> args = {PARLEY_BINARY};
  for (const auto& a : translate_args(data_path("audio/long_3min.flac").string(), out.string())) args.push_back(a);
  args.insert(args.end(), {"--stream", "--language", "es", "--no-temperature-fallback"});
  Child child(args);
  ASSERT_GT(child.pid, 0);
  // Audio past the header: its piece's header was set before the piece's write began, so the
  // interrupted file holds at least that piece, whole (CI once caught the signal between a write
  // and a header set after it, and the file kept nothing).
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (temp_size(dir) <= 100 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_GT(temp_size(dir), 100u) << "no audio streamed";
  kill(child.pid, SIGINT);
  EXPECT_EQ(child.wait_exit(30), 130);
  const audio::WavData wav = audio::read_wav(out);  // throws if the header's sizes are wrong
  EXPECT_GT(wav.frames(), 0);
  EXPECT_EQ(static_cast<int64_t>(fs::file_size(out)), static_cast<int64_t>(audio::wav_header(wav.frames(), wav.sample_rate, wav.format).size()) + wav.frames() * 2);
  EXPECT_EQ(leftovers(dir), 0);
}

}  // namespace
}  // namespace parley::test
