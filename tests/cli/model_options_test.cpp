// The model options the commands share (cli/model_options.h): `--tts-model LANG=NAME|DIR` next to
// English's `--tts-model NAME|DIR`, and `--mt-model`, as `parley serve` takes them (issue 18).
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "cli/cli_fixtures.h"
#include "cli/model_options.h"
#include "core/error.h"

namespace parley::test {
namespace {

using cli::parse_language_model;

// The one-line message of the usage error `fn` throws ("" when it throws none).
template <class F>
std::string usage_error(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    return e.what();
  }
  return "";
}

TEST(LanguageModelOption, AnyFormOfTheLanguageBecomesItsShortCode) {
  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(parse_language_model("fr=facebook/mms-tts-fra"), Pair("fr", "facebook/mms-tts-fra"));
  EXPECT_EQ(parse_language_model("French=/models/fr"), Pair("fr", "/models/fr"));
  EXPECT_EQ(parse_language_model(" fra_Latn = ./fr "), Pair("fr", "./fr"));
  EXPECT_EQ(parse_language_model("ace_Latn=facebook/mms-tts-ace"), Pair("ace", "facebook/mms-tts-ace"));
  EXPECT_EQ(parse_language_model("de=dir=with=equals"), Pair("de", "dir=with=equals"));  // the first '=' splits
}

TEST(LanguageModelOption, BadValuesAreOneLineUsageErrors) {
  EXPECT_EQ(usage_error([] { parse_language_model("facebook/mms-tts-fra"); }),
            "--tts-model 'facebook/mms-tts-fra': expected LANG=NAME|DIR, e.g. fr=facebook/mms-tts-fra");
  EXPECT_EQ(usage_error([] { parse_language_model("xx=foo"); }),
            "--tts-model 'xx=foo': unknown language 'xx' (did you mean xh (Xhosa)?)");
  EXPECT_EQ(usage_error([] { parse_language_model("fr="); }),
            "--tts-model 'fr=': expected LANG=NAME|DIR with both parts, e.g. fr=facebook/mms-tts-fra");
  EXPECT_NE(usage_error([] { parse_language_model("=foo"); }), "");
  const std::string typed = usage_error([] { parse_language_model("fr\nx"); });  // one line, whatever was typed
  EXPECT_NE(typed, "");
  EXPECT_EQ(typed.find('\n'), std::string::npos) << typed;
}

// serve's spelling: --tts-model repeatable, English's without '=', other languages' with LANG=;
// each takes one value, so a positional argument after it stays positional.
TEST(LanguageModelOption, RepeatableTtsModelAndMtModel) {
  CLI::App app;
  pipeline::PipelineOptions options;
  std::string input;
  cli::add_model_options(app, options);
  cli::add_target_model_options(app, options);
  app.add_option("input", input);
  app.parse(std::vector<std::string>{"facebook/m2m100_418M", "--mt-model", "in.wav", "deu=/models/de", "--tts-model",
                                     "French=facebook/mms-tts-fra", "--tts-model", "my/speecht5", "--tts-model"});
  // (CLI11 parses a reversed vector: `--tts-model my/speecht5 --tts-model French=... --tts-model
  // deu=/models/de in.wav --mt-model facebook/m2m100_418M`.)
  EXPECT_EQ(options.tts_model, "my/speecht5");
  using Models = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(options.tts_models, (Models{{"fr", "facebook/mms-tts-fra"}, {"de", "/models/de"}}));
  EXPECT_EQ(options.mt_model, "facebook/m2m100_418M");
  EXPECT_EQ(input, "in.wav");
}

TEST(LanguageModelOption, MtModelIsOnlyWhereAsked) {
  CLI::App app;
  pipeline::PipelineOptions options;
  cli::add_model_options(app, options);
  app.parse(std::vector<std::string>{"x/speecht5", "--tts-model"});
  EXPECT_EQ(options.tts_model, "x/speecht5");
  CLI::App other;
  cli::add_model_options(other, options);
  EXPECT_THROW(other.parse(std::vector<std::string>{"m", "--mt-model"}), CLI::ParseError);
}

// `parley serve` refuses a bad value before loading anything: exit 2, one line.
TEST(LanguageModelOption, ServeRefusesAnUnknownLanguage) {
  const auto r = run_parley({"serve", "--port", "0", "--tts-model", "xx=some/model"}, 60);
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "--tts-model 'xx=some/model': unknown language 'xx' (did you mean xh (Xhosa)?)");
}

}  // namespace
}  // namespace parley::test
