// Speech in one language to speech in another over the API (issue 18), with the fake SpeechService
// over real HTTP on loopback: `to` on /v1/speech-translation and its stream, `language` and `speed`
// on /v1/audio/speech, GET /v1/languages, and the errors of each.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "http_test_util.h"

namespace parley::test {
namespace {

using nlohmann::json;

struct Event {
  std::string name;
  json data;
};

// A text/event-stream body as its events, in order.
std::vector<Event> parse_events(const std::string& body) {
  std::vector<Event> events;
  std::istringstream lines(body);
  std::string line;
  Event e;
  while (std::getline(lines, line)) {
    if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
    if (line.rfind("data: ", 0) == 0) e.data = json::parse(line.substr(6));
    if (line.empty() && !e.name.empty()) events.push_back(std::exchange(e, {}));
  }
  return events;
}

// What the fake hears in `wav` when asked to transcribe it (the source text of every X -> Y answer).
AsrResult transcript(const std::string& wav) {
  FakeSpeechService direct;
  return direct.speech_to_text(decode_wav(wav), {});
}

// The fake's "translation" into `code`: each segment marked "[code]".
std::string fake_translation(const AsrResult& heard, const std::string& code) {
  std::string text;
  for (const auto& s : heard.segments) text += (text.empty() ? "[" : " [") + code + "]" + s.text;
  return text;
}

class TargetLanguageTest : public ::testing::Test {
 protected:
  TestServer srv{test_options()};
  std::string es = fixture("audio/es.wav");
};

// `to` in any form of the language table reaches the service as the table's short code; the answer
// reports the transcript (source_text), the translation (text) and the target, and speaks the target.
TEST_F(TargetLanguageTest, TargetInAnyFormReachesTheServiceResolved) {
  auto c = srv.client();
  const AsrResult heard = transcript(es);
  ASSERT_FALSE(heard.text.empty());
  for (const char* to : {"French", "fra", "fr", "fra_Latn", " FR "}) {
    auto r = c.Post("/v1/speech-translation", form(es, "es.wav", {{"to", to}, {"voice", "bdl"}}));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << to << ": " << r->body;
    json j = json_of(r);
    EXPECT_EQ(j["target_language"], "fr") << to;
    EXPECT_EQ(j["source_text"], heard.text) << to;
    EXPECT_EQ(j["text"], fake_translation(heard, "fr")) << to;
    EXPECT_EQ(j["language"], "es");
    EXPECT_EQ(j["voice"], "") << "a voice is SpeechT5's, for English only";
    EXPECT_EQ(decode_wav(base64_decode(j["audio"])).size(), j["text"].get<std::string>().size() * 320);
  }
  for (const auto& seen : srv.fake->translate_requests()) {
    EXPECT_EQ(seen.target_language, "fr");
    EXPECT_EQ(seen.voice, "");
  }
  for (const auto& seen : srv.fake->tts_requests()) EXPECT_EQ(seen.language, "fr");
}

// No `to`: English, today's answer, with an empty source_text; `to=en` is the same request.
TEST_F(TargetLanguageTest, EnglishIsTheDefaultTarget) {
  auto c = srv.client();
  auto plain = c.Post("/v1/speech-translation", form(es, "es.wav", {{"voice", "awb"}}));
  auto english = c.Post("/v1/speech-translation", form(es, "es.wav", {{"voice", "awb"}, {"to", "English"}}));
  ASSERT_TRUE(plain && english);
  ASSERT_EQ(plain->status, 200) << plain->body;
  json a = json_of(plain), b = json_of(english);
  EXPECT_EQ(a["target_language"], "en");
  EXPECT_EQ(a["source_text"], "");
  EXPECT_EQ(a["voice"], "awb");
  a.erase("timings");
  b.erase("timings");
  EXPECT_EQ(a, b);
  for (const auto& seen : srv.fake->translate_requests()) EXPECT_EQ(seen.target_language, "en");
}

// Accept: audio/wav: the WAV, with the languages and both texts in headers.
TEST_F(TargetLanguageTest, WavAnswerNamesTheTargetInHeaders) {
  auto r = srv.client().Post("/v1/speech-translation?to=spa", {{"Accept", "audio/wav"}}, es, "audio/wav");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  EXPECT_EQ(r->get_header_value("X-Parley-Target-Language"), "es");
  EXPECT_EQ(r->get_header_value("X-Parley-Source-Text"), transcript(es).text);
  EXPECT_EQ(r->get_header_value("X-Parley-Text"), fake_translation(transcript(es), "es"));
}

// An unknown `to` is a 400 naming the field with close codes, before any audio work, on both routes.
TEST_F(TargetLanguageTest, UnknownTargetIs400WithSuggestions) {
  auto c = srv.client();
  for (const char* route : {"/v1/speech-translation", "/v1/speech-translation/stream"}) {
    auto r = c.Post(route, form(es, "es.wav", {{"to", "xx"}}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << route;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << route;
    json error = json_of(r)["error"];
    EXPECT_EQ(error["message"], "'to': unknown language 'xx' (did you mean xh (Xhosa)?)") << route;
    EXPECT_EQ(error["param"], "to");
  }
  EXPECT_EQ(srv.fake->calls(), 0);
}

// A target whose speech model is not on disk: the service's NotFound is a 404 whose message names
// the download command; in the stream, an error event with that status.
TEST_F(TargetLanguageTest, TargetWithoutItsModelIs404) {
  auto c = srv.client();
  auto r = c.Post("/v1/speech-translation", form(es, "es.wav", {{"to", "German"}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  json error = json_of(r)["error"];
  EXPECT_EQ(error["code"], "not_found");
  EXPECT_NE(error["message"].get<std::string>().find("parley models download facebook/mms-tts-deu"), std::string::npos);
  auto s = c.Post("/v1/speech-translation/stream", form(es, "es.wav", {{"to", "deu"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, 200);
  auto events = parse_events(s->body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().name, "error");
  EXPECT_EQ(events.back().data["status"], 404);
}

// The stream reports the target from the start, the transcript as source_text in the text event,
// each translated sentence with its audio, and the whole of both in done.
TEST_F(TargetLanguageTest, StreamReportsSourceTextAndTarget) {
  const AsrResult heard = transcript(es);
  auto r = srv.client().Post("/v1/speech-translation/stream", form(es, "es.wav", {{"to", "French"}}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto events = parse_events(r->body);
  ASSERT_EQ(events.size(), 3 + heard.segments.size()) << r->body;
  EXPECT_EQ(events[0].name, "language");
  EXPECT_EQ(events[0].data["target_language"], "fr");
  EXPECT_EQ(events[0].data["language"], "es");
  EXPECT_EQ(events[1].name, "text");
  EXPECT_EQ(events[1].data["source_text"], heard.text);
  EXPECT_EQ(events[1].data["text"], "") << "the translation comes sentence by sentence";
  std::string spoken;
  for (size_t i = 0; i < heard.segments.size(); ++i) {
    Event& audio = events[2 + i];
    EXPECT_EQ(audio.name, "audio");
    EXPECT_EQ(audio.data["text"], "[fr]" + heard.segments[i].text);
    spoken += (i ? " " : "") + audio.data["text"].get<std::string>();
  }
  Event& done = events.back();
  EXPECT_EQ(done.name, "done");
  EXPECT_EQ(done.data["text"], spoken);
  EXPECT_EQ(done.data["source_text"], heard.text);
  EXPECT_EQ(done.data["target_language"], "fr");
}

TEST_F(TargetLanguageTest, EnglishStreamKeepsItsTextEvent) {
  auto r = srv.client().Post("/v1/speech-translation/stream", form(es, "es.wav"));
  ASSERT_TRUE(r);
  auto events = parse_events(r->body);
  ASSERT_GE(events.size(), 3u) << r->body;
  EXPECT_EQ(events[0].data["target_language"], "en");
  EXPECT_EQ(events[1].name, "text");
  EXPECT_FALSE(events[1].data["text"].get<std::string>().empty());
  EXPECT_EQ(events[1].data["source_text"], "");
  EXPECT_EQ(events.back().data["text"], events[1].data["text"]);
  EXPECT_EQ(events.back().data["target_language"], "en");
}

json speech_body(json fields) {
  fields["input"] = "Bonjour tout le monde.";
  fields["response_format"] = "wav";
  return fields;
}

// `language` in any form and `speed` reach the service; the voice (OpenAI's clients always send one)
// is SpeechT5's and left out for other languages. The fake speaks 20 ms per character / speed.
TEST_F(TargetLanguageTest, SpeechTakesLanguageAndSpeed) {
  auto c = srv.client();
  const std::string input = speech_body({})["input"];
  auto r = c.Post("/v1/audio/speech", speech_body({{"language", "French"}, {"speed", 2.0}, {"voice", "alloy"}}).dump(),
                  "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(decode_wav(r->body).size(), input.size() * 320 / 2);
  const TtsRequest seen = srv.fake->tts_requests().back();
  EXPECT_EQ(seen.language, "fr");
  EXPECT_EQ(seen.speed, 2.0);
  EXPECT_EQ(seen.voice, "");
  auto slow = c.Post("/v1/audio/speech", speech_body({{"language", "fra"}, {"speed", 0.25}}).dump(), "application/json");
  ASSERT_TRUE(slow);
  ASSERT_EQ(slow->status, 200) << slow->body;
  EXPECT_EQ(decode_wav(slow->body).size(), input.size() * 320 * 4);
  // No language: English as before, the voice kept and no speed asked for.
  auto english = c.Post("/v1/audio/speech", speech_body({{"voice", "bdl"}}).dump(), "application/json");
  ASSERT_TRUE(english);
  EXPECT_EQ(english->status, 200);
  EXPECT_EQ(srv.fake->tts_requests().back().language, "");
  EXPECT_EQ(srv.fake->tts_requests().back().voice, "bdl");
  EXPECT_FALSE(srv.fake->tts_requests().back().speed.has_value());
}

TEST_F(TargetLanguageTest, SpeechRefusesBadLanguageAndSpeed) {
  auto c = srv.client();
  auto post = [&](const json& fields) {
    auto r = c.Post("/v1/audio/speech", speech_body(fields).dump(), "application/json");
    EXPECT_TRUE(r);
    return r ? std::make_pair(r->status, json_of(r)["error"]) : std::make_pair(0, json());
  };
  for (json speed : {json(0.2), json(4.5), json("fast"), json(-1)}) {
    auto [status, error] = post({{"language", "fr"}, {"speed", speed}});
    EXPECT_EQ(status, 400) << speed;
    EXPECT_EQ(error["param"], "speed") << speed;
    EXPECT_EQ(error["message"], "'speed' must be a number from 0.25 to 4.0") << speed;
  }
  auto [english_status, english_error] = post({{"speed", 1.5}});  // SpeechT5 has no rate control
  EXPECT_EQ(english_status, 400);
  EXPECT_EQ(english_error["param"], "speed");
  auto [unknown_status, unknown_error] = post({{"language", "xx"}});
  EXPECT_EQ(unknown_status, 400);
  EXPECT_EQ(unknown_error["message"], "'language': unknown language 'xx' (did you mean xh (Xhosa)?)");
  EXPECT_EQ(unknown_error["param"], "language");
  EXPECT_EQ(post({{"language", 42}}).first, 400);
  EXPECT_EQ(srv.fake->calls(), 0) << "refused before any synthesis";
  auto [missing_status, missing_error] = post({{"language", "German"}});
  EXPECT_EQ(missing_status, 404);
  EXPECT_NE(missing_error["message"].get<std::string>().find("parley models download"), std::string::npos);
}

// GET /v1/languages: the service's list, every field of every row.
TEST_F(TargetLanguageTest, LanguagesListsWhatTheServiceHearsAndSpeaks) {
  auto r = srv.client().Get("/v1/languages");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  json j = json_of(r);
  EXPECT_EQ(j["object"], "list");
  const auto want = FakeSpeechService().languages();
  ASSERT_EQ(j["data"].size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const json& row = j["data"][i];
    EXPECT_EQ(row, json({{"code", want[i].code},
                         {"name", want[i].name},
                         {"hear", want[i].hear},
                         {"speak", want[i].speak},
                         {"tts_model", want[i].tts_model},
                         {"tts_on_disk", want[i].tts_on_disk},
                         {"mt_model", want[i].mt_model},
                         {"mt_on_disk", want[i].mt_on_disk}}));
  }
  EXPECT_EQ(j["data"][2]["code"], "de");
  EXPECT_EQ(j["data"][2]["tts_on_disk"], false);
  auto post = srv.client().Post("/v1/languages", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
}

// A service that does not list its languages (SpeechService's default) hears Whisper's and speaks
// English with its SpeechT5 model.
TEST_F(TargetLanguageTest, LanguagesOfAServiceThatDoesNotListThem) {
  srv.fake->set_lists_languages(false);
  json j = json_of(srv.client().Get("/v1/languages"));
  ASSERT_GE(j["data"].size(), 99u);  // Whisper's languages (its 99, and 100 for large-v3)
  std::map<std::string, json> by_code;
  for (const json& row : j["data"]) {
    by_code[row["code"]] = row;
    EXPECT_TRUE(row["hear"].get<bool>()) << row;
    EXPECT_EQ(row["speak"], row["code"] == "en") << row;
  }
  EXPECT_EQ(by_code["en"]["tts_model"], "fake-speecht5");
  EXPECT_EQ(by_code["en"]["tts_on_disk"], true);
  EXPECT_EQ(by_code["fr"]["name"], "French");
  EXPECT_EQ(by_code["fr"]["tts_model"], "");
  EXPECT_EQ(by_code.count("ace"), 0u) << "Whisper does not hear Acehnese";
}

}  // namespace
}  // namespace parley::test
