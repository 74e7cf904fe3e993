#include "common/subtitle_check.h"

#include <regex>
#include <sstream>

namespace parley::test {

namespace {

::testing::AssertionResult check(const std::string& doc, double duration, bool vtt, std::vector<ParsedCue>* out) {
  const char m = vtt ? '.' : ',';
  const std::string t = std::string("(\\d\\d):([0-5]\\d):([0-5]\\d)\\") + m + "(\\d\\d\\d)";
  const std::regex timing("^" + t + " --> " + t + "$");
  std::istringstream in(doc);
  std::string line;
  int n = 0;
  std::vector<ParsedCue> cues;
  auto fail = [&](const std::string& why) {
    return ::testing::AssertionFailure() << "cue " << n << ": " << why << " (line '" << line << "')";
  };
  if (vtt) {
    if (!std::getline(in, line) || line != "WEBVTT") return fail("no WEBVTT header");
    if (!std::getline(in, line) || !line.empty()) return fail("no blank line after the header");
  }
  if (doc.find('\r') != std::string::npos) return fail("carriage return in the document");
  while (std::getline(in, line)) {
    ++n;
    if (!vtt) {
      if (line != std::to_string(n)) return fail("expected index line " + std::to_string(n));
      if (!std::getline(in, line)) return fail("missing timing line");
    }
    std::smatch s;
    if (!std::regex_match(line, s, timing)) return fail("bad timing line");
    auto seconds = [&](int k) {
      return std::stoi(s[k]) * 3600.0 + std::stoi(s[k + 1]) * 60.0 + std::stoi(s[k + 2]) + std::stoi(s[k + 3]) / 1000.0;
    };
    ParsedCue c{seconds(1), seconds(5), ""};
    if (c.start > c.end) return fail("ends before it starts");
    if (!cues.empty() && c.start < cues.back().start) return fail("starts before the previous cue");
    if (c.end > duration + 0.0005) return fail("ends after the audio (" + std::to_string(duration) + " s)");
    while (std::getline(in, line) && !line.empty()) c.text += (c.text.empty() ? "" : "\n") + line;
    if (c.text.empty()) return fail("no text");
    if (c.text.find("-->") != std::string::npos) return fail("'-->' in the text");
    cues.push_back(std::move(c));
  }
  if (!doc.empty() && doc.size() >= 2 && doc.compare(doc.size() - 2, 2, "\n\n") != 0 && !cues.empty())
    return fail("the last cue is not followed by a blank line");
  if (out) *out = std::move(cues);
  return ::testing::AssertionSuccess();
}

}  // namespace

::testing::AssertionResult ValidSrt(const std::string& doc, double duration, std::vector<ParsedCue>* cues) {
  return check(doc, duration, false, cues);
}

::testing::AssertionResult ValidVtt(const std::string& doc, double duration, std::vector<ParsedCue>* cues) {
  return check(doc, duration, true, cues);
}

}  // namespace parley::test
