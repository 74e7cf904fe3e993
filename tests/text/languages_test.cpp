// The language table (text/languages.h) against the reference's own lists (tests/data/languages/, written
// by tools/make_language_lists.py): every NLLB-200, M2M100 and Whisper code resolves to its row.
#include "text/languages.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "common/test_util.h"
#include "core/error.h"

namespace parley::text {
namespace {

std::vector<std::string> lines_of(const std::string& relative) {
  std::ifstream in(test::data_path(relative));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string_view> forms_of(const Language& l) {
  std::vector<std::string_view> forms = {l.name, l.iso1, l.iso3, l.whisper, l.flores, l.m2m100, l.mms_tts};
  for (std::string_view alias : alias_list(l)) forms.push_back(alias);
  std::erase(forms, std::string_view());
  return forms;
}

// The English name of the row `code` finds; "" when none.
std::string name_of(std::string_view code) {
  const Language* l = find_language(code);
  return l ? std::string(l->name) : "";
}

std::string error_of(std::string_view code) {
  try {
    resolve_language(code);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "no error for '" << code << "'";
  return "";
}

TEST(Languages, EveryNllbCodeHasItsOwnRow) {
  const std::vector<std::string> codes = lines_of("languages/nllb_codes.txt");
  ASSERT_EQ(codes.size(), 202u);
  for (const auto& code : codes) {
    const Language* l = find_language(code);
    ASSERT_NE(l, nullptr) << code;
    EXPECT_EQ(l->flores, code);
    EXPECT_EQ(l->script, code.substr(4)) << code;  // the row's script is the code's
    EXPECT_EQ(find_language(upper(code)), l);
  }
  size_t rows = 0;
  for (const Language& l : all_languages()) rows += !l.flores.empty();
  EXPECT_EQ(rows, codes.size());  // and no row has a FLORES code NLLB lacks
}

TEST(Languages, EveryM2M100CodeInTokenOrder) {
  const std::vector<std::string> codes = lines_of("languages/m2m100_codes.txt");
  ASSERT_EQ(codes.size(), 100u);
  const std::vector<std::string_view> ours = m2m100_codes();
  EXPECT_EQ(std::vector<std::string>(ours.begin(), ours.end()), codes);
  for (const auto& code : codes) {
    const Language* l = find_language("__" + code + "__");
    ASSERT_NE(l, nullptr) << code;
    EXPECT_EQ(l->m2m100, code);
  }
}

TEST(Languages, EveryWhisperLanguage) {
  const std::vector<std::string> rows = lines_of("languages/whisper_languages.txt");
  ASSERT_EQ(rows.size(), 100u);
  std::set<std::string_view> ours;
  for (const Language& l : all_languages())
    if (!l.whisper.empty()) ours.insert(l.whisper);
  EXPECT_EQ(ours.size(), rows.size());
  for (const auto& row : rows) {
    const std::string code = row.substr(0, row.find('\t')), name = row.substr(row.find('\t') + 1);
    const Language* l = find_language("<|" + code + "|>");
    ASSERT_NE(l, nullptr) << code;
    EXPECT_EQ(l->whisper, code);
    EXPECT_EQ(find_language(name), l) << name;  // "myanmar", "nynorsk", "haitian creole" too
  }
}

TEST(Languages, ColumnsAreWellFormedAndNamesUnique) {
  const std::regex iso1("[a-z]{2}"), iso3("[a-z]{3}"), flores("[a-z]{3}_[A-Z][a-z]{3}"), m2m("[a-z]{2,3}"),
      mms("[a-z]{3}(-script_[a-z]+)?"), script("[A-Z][a-z]{3}");
  std::set<std::string> names;
  for (const Language& l : all_languages()) {
    const std::string n(l.name);
    EXPECT_TRUE(names.insert(upper(n)).second) << n;
    EXPECT_TRUE(l.iso1.empty() || std::regex_match(l.iso1.begin(), l.iso1.end(), iso1)) << n;
    EXPECT_TRUE(std::regex_match(l.iso3.begin(), l.iso3.end(), iso3)) << n;
    EXPECT_TRUE(l.flores.empty() || std::regex_match(l.flores.begin(), l.flores.end(), flores)) << n;
    EXPECT_TRUE(l.m2m100.empty() || std::regex_match(l.m2m100.begin(), l.m2m100.end(), m2m)) << n;
    EXPECT_TRUE(l.mms_tts.empty() || std::regex_match(l.mms_tts.begin(), l.mms_tts.end(), mms)) << n;
    EXPECT_TRUE(std::regex_match(l.script.begin(), l.script.end(), script)) << n;
    EXPECT_EQ(find_language(l.name), &l) << n;  // every name finds its own row
  }
}

// Only script variants of one language share a form, and the shared form finds the first of them.
TEST(Languages, SharedFormsBelongToOneLanguageAndFindItsFirstRow) {
  const auto rows = all_languages();
  for (const Language& l : rows) {
    for (std::string_view form : forms_of(l)) {
      const Language* found = find_language(form);
      ASSERT_NE(found, nullptr) << form;
      EXPECT_EQ(found->iso3, l.iso3) << "'" << form << "' of " << l.name << " finds " << found->name;
      EXPECT_LE(found, &l) << form;
    }
    EXPECT_EQ(find_language(short_code(l)), &l) << l.name;
  }
}

TEST(Languages, AnyFormCaseAndSpacesFindTheSameRow) {
  const Language* french = find_language("fr");
  ASSERT_NE(french, nullptr);
  EXPECT_EQ(french->name, "French");
  for (const char* form : {"fra", " FRENCH ", "French", "fre", "__fr__", "<|fr|>", "fra_latn", "FRA_Latn", "fr-FR", "fr_CA"})
    EXPECT_EQ(find_language(form), french) << form;
  EXPECT_EQ(name_of("jw"), "Javanese");         // Whisper's own code
  EXPECT_EQ(name_of("ns"), "Northern Sotho");   // M2M100's own code
  EXPECT_EQ(name_of("arb"), "Arabic");          // FLORES' language part
  EXPECT_EQ(name_of("pes"), "Persian");
  EXPECT_EQ(name_of("farsi"), "Persian");
  EXPECT_EQ(name_of("castilian"), "Spanish");
  EXPECT_EQ(name_of("nb"), "Norwegian");
  EXPECT_EQ(name_of("pt-BR"), "Portuguese");
  EXPECT_EQ(name_of("urd-script_arabic"), "Urdu");
  EXPECT_EQ(find_language(""), nullptr);
  EXPECT_EQ(find_language("  "), nullptr);
  EXPECT_EQ(find_language("____"), nullptr);
  EXPECT_EQ(find_language("klingon"), nullptr);
  EXPECT_EQ(find_language("fr-"), nullptr);
  EXPECT_EQ(find_language("fr-toolongtag"), nullptr);
}

TEST(Languages, ScriptVariants) {
  const Language* simplified = find_language("zh");
  ASSERT_NE(simplified, nullptr);
  EXPECT_EQ(simplified->flores, "zho_Hans");  // the rule: zh is Simplified Chinese
  EXPECT_EQ(find_language("zho"), simplified);
  EXPECT_EQ(find_language("zh-CN"), simplified);
  EXPECT_EQ(find_language("cmn_Hans"), simplified);  // Mandarin, as Marian's >>cmn_Hans<< prefixes name it
  const Language* traditional = find_language("zho_Hant");
  ASSERT_NE(traditional, nullptr);
  EXPECT_NE(traditional, simplified);
  for (const char* form : {"zh-Hant", "zh_hant", "ZH-TW", "zh-hk", "zho-Hant", "Traditional Chinese", "zh-Hant-TW", "cmn_Hant"})
    EXPECT_EQ(find_language(form), traditional) << form;
  EXPECT_EQ(traditional->whisper, "zh");  // Whisper's zh writes either script
  EXPECT_EQ(script_variant(*simplified, "Hant"), traditional);
  EXPECT_EQ(find_language("ks")->flores, "kas_Arab");
  EXPECT_EQ(find_language("ks-Deva")->flores, "kas_Deva");
  EXPECT_EQ(find_language("sr-Latn"), nullptr);  // no row: not silently the Cyrillic one
  const Language* uzbek_cyrillic = find_language("uz-Cyrl");
  ASSERT_NE(uzbek_cyrillic, nullptr);
  EXPECT_EQ(mms_tts_model(*uzbek_cyrillic), "facebook/mms-tts-uzb-script_cyrillic");
  EXPECT_EQ(find_language("uz")->mms_tts, "");  // MMS reads Uzbek in Cyrillic only; the row is Latin
  EXPECT_EQ(mms_tts_model(*find_language("fr")), "facebook/mms-tts-fra");
}

TEST(Languages, UnknownCodesSuggestCloseOnesInOneLine) {
  EXPECT_EQ(error_of("xx"), "unknown language 'xx' (did you mean xh (Xhosa)?)");
  EXPECT_NE(error_of("frnch").find("fr (French)"), std::string::npos);
  EXPECT_NE(error_of("Portugese").find("pt (Portuguese)"), std::string::npos);
  EXPECT_NE(error_of("germn").find("de (German)"), std::string::npos);
  EXPECT_EQ(error_of("jp"), "unknown language 'jp' (did you mean ja (Japanese), jv (Javanese), ajp (South Levantine Arabic)?)");
  const std::string none = error_of("qqqqqqqqq");
  EXPECT_EQ(none.find("did you mean"), std::string::npos) << none;
  EXPECT_NE(none.find("fra_Latn"), std::string::npos) << none;  // says what a code looks like
  const std::string control = error_of("f\nr\x1b" + std::string(200, 'z'));
  EXPECT_EQ(control.find('\n'), std::string::npos);
  EXPECT_EQ(control.find('\x1b'), std::string::npos);
  EXPECT_LT(control.size(), 200u);
  EXPECT_EQ(closest_languages("fx").size(), 3u);  // at most 3
  EXPECT_EQ(describe(*find_language("zh-Hant")), "zho_Hant (Chinese (Traditional))");
}

}  // namespace
}  // namespace parley::text
