// The progress line (cli/progress.h): redrawn in place and erased on a terminal (a real
// pseudo-terminal here), absent by default in a pipe, JSON lines on request.
#include <gtest/gtest.h>

#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "cli/cli_fixtures.h"

namespace parley::test {
namespace {

// `parley args...` with stdout and stderr on a new pseudo-terminal: everything it wrote, and its
// exit status.
std::pair<std::string, int> run_on_terminal(const std::vector<std::string>& args) {
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    std::vector<char*> argv;
    std::string binary = PARLEY_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    setenv("TERM", "xterm", 1);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  EXPECT_GT(pid, 0);
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 120000) <= 0) break;  // a hang fails below (no exit status)
    const ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child is gone
    out.append(buf, static_cast<size_t>(n));
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

std::vector<std::string> transcribe_srt(std::vector<std::string> extra = {}) {
  // A timed format decodes in windows, the work the progress line follows.
  std::vector<std::string> args = {"transcribe", "-m", model("whisper-tiny-random"), "--max-new-tokens", "8",
                                   "--output-format", "srt", data_path("audio/jfk.wav").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(Progress, OnATerminalTheLineIsRedrawnInPlaceAndErased) {
  const auto [out, status] = run_on_terminal(transcribe_srt());
  ASSERT_EQ(status, 0) << out;
  const size_t line = out.find("\r\033[Kparley: recognising ");
  ASSERT_NE(line, std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out.substr(line), std::regex("recognising 11\\.0 / 11\\.0 s \\(100%\\), window 1, "
                                                              "[0-9]+:[0-9]{2} elapsed, ~0:00 left")))
      << out;
  // Erased before the subtitles are printed: the terminal keeps only the result.
  const size_t erased = out.find("\r\033[K", line + 1);
  ASSERT_NE(erased, std::string::npos) << out;
  EXPECT_NE(out.find(" --> 00:00:11,000", erased), std::string::npos) << out;
  EXPECT_EQ(out.find("recognising", erased), std::string::npos) << out;
}

TEST(Progress, NotOnATerminalOnlyWhenAsked) {
  auto r = run_parley(transcribe_srt());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("recognising"), std::string::npos) << r.err;  // a pipe: off by default

  const auto [out, status] = run_on_terminal(transcribe_srt({"--no-progress"}));
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out.find("recognising"), std::string::npos) << out;

  r = run_parley(transcribe_srt({"--progress", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.err.substr(0, r.err.find('\n')));
  EXPECT_EQ(j["type"], "progress");
  EXPECT_EQ(j["stage"], "asr");
  EXPECT_EQ(j["unit"], "s");
  EXPECT_DOUBLE_EQ(j["done"].get<double>(), j["total"].get<double>());
  EXPECT_EQ(j["detail"], "window 1");

  r = run_parley(transcribe_srt({"--progress", "sometimes"}));
  EXPECT_EQ(r.exit_code, 2);
}

// translate --to: recognition (window 1 of 1), translation and speech on one line, erased before
// the report.
TEST(Progress, TranslateShowsEveryStageAndErasesTheLine) {
  const std::string out_wav = (temp_dir("progress-translate") / "fr.wav").string();
  const auto [out, status] = run_on_terminal(
      {"translate", data_path("audio/es.wav").string(), "-o", out_wav, "--language", "es", "--to", "fr",
       "--asr-model", model("whisper-tiny-random"), "--max-new-tokens", "8", "--mt-model", model("m2m100-tiny-random"),
       "--tts-model", "fr=" + model("vits-tiny-random")});
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("\r\033[Kparley: recognising 5.5 / 5.5 s (100%), window 1 of 1, "), std::string::npos) << out;
  EXPECT_NE(out.find("\r\033[Kparley: translating 1 sentence, sentence 1, "), std::string::npos) << out;
  const size_t speaking = out.rfind("\r\033[Kparley: speaking ");
  ASSERT_NE(speaking, std::string::npos) << out;
  const size_t erased = out.find("\r\033[K", speaking + 1);
  ASSERT_NE(erased, std::string::npos) << out;
  EXPECT_NE(out.find("language: ", erased), std::string::npos) << out;  // the report after the line is gone
}

// synthesize: the seconds of speech made, piece by piece, as JSON lines.
TEST(Progress, SynthesizeCountsTheSpeechMade) {
  const std::string out_wav = (temp_dir("progress-synthesize") / "fr.wav").string();
  const auto r = run_parley({"synthesize", "-m", model("vits-tiny-random"), "--text", "Bonjour. Au revoir.", "-o",
                             out_wav, "--stream", "--progress", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> lines;
  for (size_t at = 0, end; (end = r.err.find('\n', at)) != std::string::npos; at = end + 1)
    if (r.err.compare(at, 1, "{") == 0) lines.push_back(nlohmann::json::parse(r.err.substr(at, end - at)));
  ASSERT_EQ(lines.size(), 2u) << r.err;  // one per sentence
  EXPECT_EQ(lines[0]["stage"], "tts");
  EXPECT_EQ(lines[0]["unit"], "s");
  EXPECT_EQ(lines[1]["detail"], "piece 2");
  EXPECT_GT(lines[1]["done"].get<double>(), lines[0]["done"].get<double>());
  const std::string report = r.out.empty() ? r.err : r.out;
  char made[32];
  std::snprintf(made, sizeof made, "%.2f s", lines[1]["done"].get<double>());
  EXPECT_NE(report.find(made), std::string::npos) << report;  // the report's duration: all of it
}

}  // namespace
}  // namespace parley::test
