// The command line's one rule (cli/usage.h): 2 for usage errors, 1 for failures at run time, 0 for
// success; every error one line starting with "parley: error:", with "did you mean" for typos.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cli/cli_fixtures.h"

namespace parley::test {
namespace {

TEST(ExitCodes, MistypedCommandIsAUsageErrorWithASuggestion) {
  const auto r = run_parley({"transalte", "in.wav", "-o", "out.wav"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "did you mean 'translate'?");
}

TEST(ExitCodes, MistypedNestedCommandSuggestsToo) {
  const auto r = run_parley({"models", "lsit"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "did you mean 'list'?");
}

TEST(ExitCodes, MistypedOptionIsAUsageErrorWithASuggestion) {
  const auto r = run_parley({"transcribe", "-m", model("whisper-tiny-random"), "--langauge", "en",
                             data_path("audio/jfk.wav").string()});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "did you mean --language?");
}

TEST(ExitCodes, ParserMessagesCarryThePrefix) {
  const auto r = run_parley({"translate", "in.wav", "-o", "out.wav", "--threads", "abc"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "--threads");
  const auto missing = run_parley({"transcribe", "in.wav"});  // no --model
  EXPECT_EQ(missing.exit_code, 2);
  expect_one_line_error(missing, "--model");
  const auto none = run_parley({});
  EXPECT_EQ(none.exit_code, 2);
  expect_one_line_error(none, "translate");
}

TEST(ExitCodes, UnknownVoiceAndLanguageAreUsageErrors) {
  const std::string out = (temp_dir("exit-voice") / "out.wav").string();
  auto args = translate_args(data_path("audio/jfk.wav").string(), out);
  args.insert(args.end(), {"--voice", "nobody"});
  const auto voice = run_parley(args);
  EXPECT_EQ(voice.exit_code, 2);
  expect_one_line_error(voice, "unknown voice 'nobody'");
  const auto language = run_parley({"transcribe", "-m", model("whisper-tiny-random"), "-l", "xx",
                                    data_path("audio/jfk.wav").string()});
  EXPECT_EQ(language.exit_code, 2);
  expect_one_line_error(language, "unknown language 'xx'");
}

TEST(ExitCodes, FailuresAtRunTimeExitOne) {
  const auto missing_audio =
      run_parley({"transcribe", "-m", model("whisper-tiny-random"), data_path("audio/no-such.wav").string()});
  EXPECT_EQ(missing_audio.exit_code, 1);
  expect_one_line_error(missing_audio, "no-such.wav");
  const auto bad_model = run_parley({"transcribe", "-m", data_path("audio").string(), data_path("audio/jfk.wav").string()});
  EXPECT_EQ(bad_model.exit_code, 1);
  expect_one_line_error(bad_model, "");
}

TEST(ExitCodes, APortInUseIsAFailureAtRunTime) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const auto r = run_parley({"serve", "--port", std::to_string(ntohs(addr.sin_port)), "--asr-model",
                             model("whisper-tiny-random"), "--tts-model", model("speecht5-tiny-random"), "--vocoder",
                             model("hifigan-tiny-random")},
                            60);
  close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("parley: error: cannot listen"), std::string::npos) << r.err;
}

// serve's access and log options are checked before any model loads: a usage error, one line.
TEST(ExitCodes, ServeRefusesABadLogFormatOrAnEmptyHostOption) {
  auto r = run_parley({"serve", "--port", "0", "--log-format", "xml"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "--log-format");
  r = run_parley({"serve", "--port", "0", "--allowed-host"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "--allowed-host");
}

TEST(ExitCodes, AnAttachedShortValueIsRefusedNotGuessed) {
  // whisper.cpp's -osrt must never mean "-o srt" (a file named srt); on translate it is no option.
  const auto r = run_parley({"translate", data_path("audio/jfk.wav").string(), "-osrt"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "-o srt");
}

TEST(ExitCodes, HelpStatesTheRuleAndExitsZero) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"}, {"translate", "--help"}}) {
    const auto r = run_parley(args);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("2 usage error"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("130 interrupted"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace parley::test
