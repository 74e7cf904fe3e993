// The HTTP API over real HTTP on loopback, with a fake SpeechService: every route and response
// format, multipart and raw bodies, chunked request bodies, Accept: audio/wav.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "audio/encode.h"
#include "http_test_util.h"

namespace parley::test {
namespace {

// The answer the fake gives for `audio`, computed directly, to compare with what came over HTTP.
AsrResult expected_asr(const std::string& wav, AsrTask task, const std::string& language = "") {
  FakeSpeechService direct;
  AsrRequest r;
  r.task = task;
  r.language = language;
  return direct.speech_to_text(decode_wav(wav), r);
}

struct Wav {
  int rate = 0, channels = 0, bits = 0;
  size_t samples = 0;
};
// Reads a 16-bit PCM WAV as the server writes it (44-byte header).
Wav parse_wav(const std::string& b) {
  Wav w;
  if (b.size() < 44 || b.compare(0, 4, "RIFF") != 0 || b.compare(8, 8, "WAVEfmt ") != 0 || b.compare(36, 4, "data") != 0) return w;
  auto u16 = [&](size_t i) { return uint8_t(b[i]) | (uint8_t(b[i + 1]) << 8); };
  auto u32 = [&](size_t i) { return uint32_t(u16(i)) | (uint32_t(u16(i + 2)) << 16); };
  w.channels = u16(22);
  w.rate = static_cast<int>(u32(24));
  w.bits = u16(34);
  EXPECT_EQ(u32(40), b.size() - 44);
  EXPECT_EQ(u32(4), b.size() - 8);
  w.samples = (b.size() - 44) / 2;
  return w;
}

class ApiTest : public ::testing::Test {
 protected:
  TestServer srv{test_options()};
  std::string jfk = fixture("audio/jfk.wav");
  std::string es = fixture("audio/es.wav");
};

TEST_F(ApiTest, HealthReportsModelsAndQueue) {
  auto r = srv.client().Get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto j = json_of(r);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["models"]["asr"], "fake-whisper");
  EXPECT_EQ(j["workers"], 2);
  EXPECT_EQ(j["queue"]["capacity"], 4);
  EXPECT_EQ(j["queue"]["waiting"], 0);
  // The Keep-Alive header tells the connection layer's own idle timeout and request count, so a
  // client never reuses a connection the server has already closed.
  httplib::Client keep = srv.client();
  keep.set_keep_alive(true);
  auto again = keep.Get("/health");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get_header_value("Keep-Alive"), "timeout=3, max=100");
}

TEST_F(ApiTest, ServesTheWebPage) {
  auto c = srv.client();
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<title>Parley"), std::string::npos);
  // Every script and stylesheet the page names is served, with its type (no CDN).
  std::regex asset(R"((?:src|href)=\"\.?/?([a-z0-9_.\-]+\.(js|css|svg))\")");
  int assets = 0;
  for (std::sregex_iterator it(page->body.begin(), page->body.end(), asset), end; it != end; ++it) {
    std::string path = "/";
    path += (*it)[1].str();  // (not "/" + ...: GCC 12 warns falsely about that)
    auto a = c.Get(path);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200) << (*it)[1];
    EXPECT_FALSE(a->body.empty());
    ++assets;
  }
  EXPECT_GE(assets, 2);
  EXPECT_EQ(page->body.find("http://"), std::string::npos) << "the page must not load anything from elsewhere";
  EXPECT_EQ(page->body.find("https://"), std::string::npos);
}

TEST_F(ApiTest, ListsModelsAndVoices) {
  auto models = json_of(srv.client().Get("/v1/models"));
  EXPECT_EQ(models["object"], "list");
  ASSERT_TRUE(models["data"].is_array());
  EXPECT_EQ(models["data"][0]["id"], "whisper-1");
  EXPECT_EQ(models["data"][0]["object"], "model");
  auto voices = json_of(srv.client().Get("/v1/voices"));
  EXPECT_EQ(voices["default"], "slt");
  EXPECT_EQ(voices["voices"], nlohmann::json({"awb", "bdl", "clb", "ksp", "rms", "slt"}));
}

// GET /v1/models/{id}: every listed id (a Hub name with its "/" too); anything else is OpenAI's 404.
TEST_F(ApiTest, RetrievesOneModel) {
  auto c = srv.client();
  const auto listed = json_of(c.Get("/v1/models"))["data"];
  ASSERT_GE(listed.size(), 2u);
  for (const auto& m : listed) {
    auto r = c.Get("/v1/models/" + m["id"].get<std::string>());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << m["id"];
    EXPECT_EQ(json_of(r), m);
  }
  auto missing = c.Get("/v1/models/gpt-4o");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  const auto error = json_of(missing)["error"];
  EXPECT_EQ(error["type"], "invalid_request_error");
  EXPECT_EQ(error["code"], "model_not_found");
  EXPECT_EQ(error["message"], "The model 'gpt-4o' does not exist");
}

TEST_F(ApiTest, TranscriptionJsonPassesOptionsThrough) {
  auto r = srv.client().Post("/v1/audio/transcriptions",
                             form(jfk, "jfk.wav", {{"model", "whisper-1"}, {"language", "EN"}, {"prompt", "Kennedy"},
                                                   {"temperature", "0.4"}}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  auto j = json_of(r);
  EXPECT_EQ(j, nlohmann::json({{"text", expected_asr(jfk, AsrTask::Transcribe, "en").text}}));
  auto seen = srv.fake->asr_requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].task, AsrTask::Transcribe);
  EXPECT_EQ(seen[0].language, "en");
  EXPECT_EQ(seen[0].prompt, "Kennedy");
  EXPECT_DOUBLE_EQ(seen[0].temperature, 0.4);
  EXPECT_TRUE(seen[0].timestamps);  // json too: every format comes from one timed decode
}

// 'language' in any form of the language table reaches the model as Whisper's code; an unknown one is
// a 400 that suggests close codes, and nothing reaches the model.
TEST_F(ApiTest, LanguageInAnyFormAndDidYouMean) {
  auto c = srv.client();
  for (const char* language : {"Spanish", "spa_Latn", "es-MX"}) {
    auto r = c.Post("/v1/audio/transcriptions", form(jfk, "jfk.wav", {{"language", language}}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << language << ": " << r->body;
  }
  for (const auto& seen : srv.fake->asr_requests()) EXPECT_EQ(seen.language, "es");
  auto unknown = c.Post("/v1/audio/transcriptions", form(jfk, "jfk.wav", {{"language", "xx"}}));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  const auto error = json_of(unknown)["error"];
  EXPECT_EQ(error["message"], "'language': unknown language 'xx' (did you mean xh (Xhosa)?)");
  EXPECT_EQ(error["param"], "language");
  auto lacking = c.Post("/v1/speech-translation", form(jfk, "jfk.wav", {{"language", "ace_Latn"}}));
  ASSERT_TRUE(lacking);
  EXPECT_EQ(lacking->status, 400) << lacking->body;  // a language Whisper does not know
  EXPECT_EQ(srv.fake->calls(), 3);
}

// `stream: true`: OpenAI's server-sent events, one delta per segment as it is decoded, then done;
// the deltas joined are the text. Only the text formats stream.
TEST_F(ApiTest, TranscriptionStreamsOpenAIEvents) {
  auto c = srv.client();
  for (AsrTask task : {AsrTask::Transcribe, AsrTask::Translate}) {
    const char* route = task == AsrTask::Translate ? "/v1/audio/translations" : "/v1/audio/transcriptions";
    AsrResult want = expected_asr(jfk, task);
    ASSERT_EQ(want.segments.size(), 3u);
    auto r = c.Post(route, form(jfk, "jfk.wav", {{"model", "whisper-1"}, {"stream", "true"}}));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
    std::vector<nlohmann::json> events;
    size_t at = 0;
    for (size_t end; (end = r->body.find("\n\n", at)) != std::string::npos; at = end + 2) {
      const std::string event = r->body.substr(at, end - at);
      ASSERT_EQ(event.rfind("data: ", 0), 0u) << event;
      events.push_back(nlohmann::json::parse(event.substr(6)));
    }
    EXPECT_EQ(at, r->body.size());
    ASSERT_EQ(events.size(), 4u) << r->body;
    std::string joined;
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(events[i]["type"], "transcript.text.delta");
      joined += events[i]["delta"].get<std::string>();
    }
    EXPECT_EQ(events[3], nlohmann::json({{"type", "transcript.text.done"}, {"text", want.text}}));
    EXPECT_EQ(joined, want.text);
    EXPECT_EQ(events[1]["delta"], want.segments[1].text);
  }
  auto srt = c.Post("/v1/audio/transcriptions", form(jfk, "jfk.wav", {{"stream", "true"}, {"response_format", "srt"}}));
  ASSERT_TRUE(srt);
  EXPECT_EQ(srt->status, 400);
  EXPECT_EQ(json_of(srt)["error"]["param"], "response_format");
}

TEST_F(ApiTest, TranscriptionTextSrtVtt) {
  AsrResult want = expected_asr(jfk, AsrTask::Transcribe);
  ASSERT_EQ(want.segments.size(), 3u);  // 11 s in 4-second segments
  auto c = srv.client();

  auto text = c.Post("/v1/audio/transcriptions", form(jfk, "jfk.wav", {{"response_format", "text"}}));
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 200);
  EXPECT_EQ(text->body, want.text + "\n");
  EXPECT_EQ(text->get_header_value("Content-Type"), "text/plain; charset=utf-8");

  auto srt = c.Post("/v1/audio/transcriptions", form(jfk, "jfk.wav", {{"response_format", "srt"}}));
  ASSERT_TRUE(srt);
  EXPECT_EQ(srt->status, 200);
  std::string expected_srt;
  const char* times[] = {"00:00:00,000 --> 00:00:04,000", "00:00:04,000 --> 00:00:08,000", "00:00:08,000 --> 00:00:11,000"};
  for (int i = 0; i < 3; ++i) {
    expected_srt += std::to_string(i + 1) + "\n" + times[i] + "\n" + want.segments[i].text.substr(1) + "\n\n";
  }
  EXPECT_EQ(srt->body, expected_srt);
  EXPECT_TRUE(srv.fake->asr_requests().back().timestamps);

  auto vtt = c.Post("/v1/audio/transcriptions", form(jfk, "jfk.wav", {{"response_format", "vtt"}}));
  ASSERT_TRUE(vtt);
  EXPECT_EQ(vtt->status, 200);
  EXPECT_EQ(vtt->get_header_value("Content-Type"), "text/vtt; charset=utf-8");
  EXPECT_EQ(vtt->body.rfind("WEBVTT\n\n00:00:00.000 --> 00:00:04.000\n", 0), 0u) << vtt->body;
  EXPECT_NE(vtt->body.find("00:00:08.000 --> 00:00:11.000\n" + want.segments[2].text.substr(1) + "\n\n"), std::string::npos);
}

TEST_F(ApiTest, TranscriptionVerboseJsonHasOpenAIShape) {
  auto r = srv.client().Post("/v1/audio/transcriptions", form(es, "es.wav", {{"response_format", "verbose_json"}}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = json_of(r);
  AsrResult want = expected_asr(es, AsrTask::Transcribe);
  EXPECT_EQ(j["task"], "transcribe");
  EXPECT_EQ(j["language"], "spanish");
  EXPECT_DOUBLE_EQ(j["duration"].get<double>(), want.duration_s);
  EXPECT_EQ(j["text"], want.text);
  ASSERT_EQ(j["segments"].size(), want.segments.size());
  for (size_t i = 0; i < want.segments.size(); ++i) {
    const auto& s = j["segments"][i];
    for (const char* key : {"id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
                            "compression_ratio", "no_speech_prob"}) {
      EXPECT_TRUE(s.contains(key)) << key;
    }
    EXPECT_EQ(s["id"], i);
    EXPECT_EQ(s["text"], want.segments[i].text);
    EXPECT_DOUBLE_EQ(s["start"].get<double>(), want.segments[i].start);
    EXPECT_DOUBLE_EQ(s["end"].get<double>(), want.segments[i].end);
  }
}

TEST_F(ApiTest, WordGranularityGivesOpenAIWords) {
  auto c = srv.client();
  auto r = c.Post("/v1/audio/transcriptions",
                  form(es, "es.wav", {{"response_format", "verbose_json"}, {"timestamp_granularities[]", "word"},
                                      {"timestamp_granularities[]", "segment"}}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(srv.fake->asr_requests().back().word_timestamps);
  const auto j = json_of(r);
  AsrRequest asked;
  asked.timestamps = asked.word_timestamps = true;
  FakeSpeechService direct;
  const AsrResult want = direct.speech_to_text(decode_wav(es), asked);
  std::vector<Word> words;
  for (const Segment& s : want.segments) words.insert(words.end(), s.words.begin(), s.words.end());
  ASSERT_GT(words.size(), 3u);
  ASSERT_EQ(j["words"].size(), words.size());
  for (size_t i = 0; i < words.size(); ++i) {
    const auto& w = j["words"][i];
    EXPECT_EQ(w["word"], words[i].word.substr(1));  // OpenAI's words have no leading space
    EXPECT_DOUBLE_EQ(w["start"].get<double>(), words[i].start);
    EXPECT_DOUBLE_EQ(w["end"].get<double>(), words[i].end);
    EXPECT_FALSE(w.contains("probability"));
  }
  EXPECT_FALSE(j["segments"][0].contains("words"));  // OpenAI's segments have none

  auto segments_only = c.Post("/v1/audio/translations", form(es, "es.wav", {{"response_format", "verbose_json"},
                                                                            {"timestamp_granularities[]", "segment"}}));
  ASSERT_TRUE(segments_only);
  ASSERT_EQ(segments_only->status, 200) << segments_only->body;
  EXPECT_FALSE(json_of(segments_only).contains("words"));
  EXPECT_FALSE(srv.fake->asr_requests().back().word_timestamps);

  for (const auto& [format, value] : {std::pair<std::string, std::string>{"json", "word"}, {"verbose_json", "letter"}}) {
    auto bad = c.Post("/v1/audio/transcriptions",
                      form(es, "es.wav", {{"response_format", format}, {"timestamp_granularities[]", value}}));
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400) << format << " " << value;
    EXPECT_EQ(error_code(bad->body), "invalid_parameter");
  }
}

TEST_F(ApiTest, TranslationEveryFormat) {
  AsrResult want = expected_asr(es, AsrTask::Translate);
  auto c = srv.client();
  for (std::string format : {"json", "text", "srt", "vtt", "verbose_json"}) {
    auto r = c.Post("/v1/audio/translations", form(es, "es.wav", {{"model", "whisper-1"}, {"response_format", format}}));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << format << ": " << r->body;
    EXPECT_NE(r->body.find(want.segments[0].text.substr(1)), std::string::npos) << format << ": " << r->body;
    EXPECT_EQ(srv.fake->asr_requests().back().task, AsrTask::Translate);
    if (format == "verbose_json") {
      EXPECT_EQ(json_of(r)["task"], "translate");
    }
    if (format == "json") {
      EXPECT_EQ(json_of(r), nlohmann::json({{"text", want.text}}));
    }
  }
}

TEST_F(ApiTest, SpeechWavAndPcm) {
  auto c = srv.client();
  std::string input = "Hello from Parley.";
  auto wav = c.Post("/v1/audio/speech", nlohmann::json({{"model", "tts-1"}, {"input", input}, {"voice", "bdl"},
                                                        {"response_format", "wav"}}).dump(), "application/json");
  ASSERT_TRUE(wav);
  ASSERT_EQ(wav->status, 200) << wav->body;
  EXPECT_EQ(wav->get_header_value("Content-Type"), "audio/wav");
  Wav w = parse_wav(wav->body);
  EXPECT_EQ(w.rate, 16000);
  EXPECT_EQ(w.channels, 1);
  EXPECT_EQ(w.bits, 16);
  EXPECT_EQ(w.samples, input.size() * 320);  // the fake's 20 ms per character
  EXPECT_EQ(srv.fake->tts_requests().back().voice, "bdl");
  EXPECT_EQ(srv.fake->tts_requests().back().text, input);

  auto pcm = c.Post("/v1/audio/speech", nlohmann::json({{"input", input}, {"voice", "bdl"}, {"response_format", "pcm"}}).dump(),
                    "application/json");
  ASSERT_TRUE(pcm);
  ASSERT_EQ(pcm->status, 200);
  // OpenAI's pcm is 24 kHz: the same speech, resampled from the model's 16 kHz (libswresample).
  EXPECT_EQ(pcm->get_header_value("X-Sample-Rate"), "24000");
  const std::vector<float> at16k = decode_wav(wav->body);
  const std::vector<float> want = audio::resample(at16k, 16000, 24000);
  ASSERT_EQ(pcm->body.size(), want.size() * 2);
  EXPECT_NEAR(static_cast<double>(want.size()), at16k.size() * 1.5, 2.0);
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const auto lo = static_cast<unsigned char>(pcm->body[2 * i]), hi = static_cast<unsigned char>(pcm->body[2 * i + 1]);
    const double got = static_cast<int16_t>(static_cast<uint16_t>(lo | hi << 8)) / 32768.0;
    worst = std::max(worst, std::abs(got - want[i]));
  }
  EXPECT_LT(worst, 1e-3);  // 16-bit steps on both sides, through the filter
}

TEST_F(ApiTest, SpeechMapsOpenAIVoicesToTheDefault) {
  for (std::string voice : {"alloy", "nova", "shimmer", ""}) {
    auto r = srv.client().Post("/v1/audio/speech", nlohmann::json({{"input", "Hi."}, {"voice", voice}, {"response_format", "wav"}}).dump(),
                               "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << voice;
    EXPECT_EQ(srv.fake->tts_requests().back().voice, "slt") << voice;
  }
}

TEST_F(ApiTest, SpeechEveryFormatDecodesToTheSynthesizedLength) {
  std::string input = "Hello from Parley in every format.";
  double seconds = double(input.size() * 320) / 16000;  // the fake's 20 ms per character
  struct Case {
    const char* format;
    const char* content_type;
    double tolerance_s;  // lossy codecs may pad or trim a frame
  };
  for (Case c : {Case{"wav", "audio/wav", 0}, Case{"flac", "audio/flac", 0}, Case{"mp3", "audio/mpeg", 0.05},
                 Case{"opus", "audio/ogg", 0.05}, Case{"aac", "audio/aac", 0.1}}) {
    auto r = srv.client().Post("/v1/audio/speech", nlohmann::json({{"input", input}, {"response_format", c.format}}).dump(),
                               "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << c.format << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), c.content_type) << c.format;
    std::vector<float> decoded = server::default_audio_codec().decode(r->body, std::string("x.") + c.format, 60);
    EXPECT_NEAR(double(decoded.size()) / 16000, seconds, c.tolerance_s + 1e-9) << c.format;
  }
  // No response_format: OpenAI's default, mp3.
  auto r = srv.client().Post("/v1/audio/speech", R"({"model":"tts-1","input":"Hi.","voice":"alloy"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "audio/mpeg");
}

TEST_F(ApiTest, SpeechRejectsBadRequests) {
  auto c = srv.client();
  auto post = [&](const std::string& body, const std::string& type = "application/json") {
    auto r = c.Post("/v1/audio/speech", body, type.c_str());
    EXPECT_TRUE(r);
    return r ? std::make_pair(r->status, error_code(r->body)) : std::make_pair(0, std::string());
  };
  EXPECT_EQ(post(R"({"input":"Hi.","speed":1.5})"), std::make_pair(400, std::string("invalid_parameter")));
  EXPECT_EQ(post(R"({"input":"Hi.","speed":1.0,"response_format":"wav"})").first, 200);
  EXPECT_EQ(post(R"({"input":"Hi.","response_format":"ogg"})"), std::make_pair(400, std::string("invalid_parameter")));
  EXPECT_EQ(post(R"({"input":"   "})"), std::make_pair(400, std::string("invalid_parameter")));
  EXPECT_EQ(post(R"({"voice":"slt"})"), std::make_pair(400, std::string("invalid_parameter")));
  EXPECT_EQ(post(R"({"input":42})"), std::make_pair(400, std::string("invalid_parameter")));
  EXPECT_EQ(post(R"({"input": "Hi.)"), std::make_pair(400, std::string("invalid_json")));
  EXPECT_EQ(post(R"(["Hi."])"), std::make_pair(400, std::string("invalid_json")));
  EXPECT_EQ(post("input=Hi", "text/plain"), std::make_pair(415, std::string("unsupported_media_type")));
  EXPECT_EQ(post(nlohmann::json({{"input", std::string(5000, 'a')}}).dump()), std::make_pair(413, std::string("input_too_long")));
  EXPECT_EQ(post(R"({"input":"error: bad input"})"), std::make_pair(422, std::string("invalid_input")));
  EXPECT_EQ(post(R"({"input":"error: crash"})"), std::make_pair(500, std::string("internal_error")));
  // ... and the server carries on.
  EXPECT_EQ(post(R"({"input":"Still here.","response_format":"wav"})").first, 200);
}

TEST_F(ApiTest, SpeechTranslationJsonWithBase64Wav) {
  auto r = srv.client().Post("/v1/speech-translation", form(es, "es.wav", {{"voice", "awb"}, {"seed", "7"}}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = json_of(r);
  AsrResult want = expected_asr(es, AsrTask::Translate);
  EXPECT_EQ(j["language"], "es");
  EXPECT_EQ(j["language_name"], "spanish");
  EXPECT_EQ(j["text"], want.text);
  EXPECT_EQ(j["voice"], "awb");
  EXPECT_EQ(j["audio_format"], "wav");
  EXPECT_EQ(j["sample_rate"], 16000);
  EXPECT_EQ(j["segments"].size(), want.segments.size());
  Wav w = parse_wav(base64_decode(j["audio"].get<std::string>()));
  EXPECT_EQ(w.rate, 16000);
  EXPECT_EQ(w.samples, want.text.size() * 320);
  for (const char* stage : {"queue_ms", "decode_ms", "asr_ms", "tts_ms", "vocoder_ms", "encode_ms", "total_ms"}) {
    EXPECT_TRUE(j["timings"].contains(stage)) << stage << " in " << j["timings"].dump();
  }
  auto seen = srv.fake->translate_requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].voice, "awb");
  EXPECT_EQ(seen[0].seed, 7u);
  EXPECT_EQ(seen[0].language, "");
}

TEST_F(ApiTest, SpeechTranslationRawBodyAndAcceptWav) {
  httplib::Headers headers = {{"Accept", "audio/wav"}};
  auto r = srv.client().Post("/v1/speech-translation?language=it&voice=clb&seed=3", headers, es, "audio/wav");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "audio/wav");
  EXPECT_EQ(r->get_header_value("X-Parley-Language"), "it");
  auto want = expected_asr(es, AsrTask::Translate, "it");
  EXPECT_EQ(r->get_header_value("X-Parley-Text"), want.text);  // sent percent-encoded; httplib's client decodes it
  EXPECT_EQ(parse_wav(r->body).samples, want.text.size() * 320);
  auto seen = srv.fake->translate_requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].language, "it");
  EXPECT_EQ(seen[0].voice, "clb");
  EXPECT_EQ(seen[0].seed, 3u);
}

TEST_F(ApiTest, ChunkedRequestBodies) {
  // The openai npm client sends multipart bodies with Transfer-Encoding: chunked.
  auto c = srv.client();
  std::string boundary = "----parleytestboundary";
  std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"jfk.wav\"\r\nContent-Type: audio/wav\r\n\r\n" +
                     jfk + "\r\n--" + boundary + "--\r\n";
  auto send_chunked = [&](const std::string& path, const std::string& data, const std::string& type, size_t piece) {
    return c.Post(path.c_str(),
                  [&data, piece](size_t offset, httplib::DataSink& sink) {
                    if (offset < data.size()) {
                      sink.write(data.data() + offset, std::min(piece, data.size() - offset));
                    } else {
                      sink.done();
                    }
                    return true;
                  },
                  type.c_str());
  };
  for (size_t piece : {size_t(7), size_t(4096), size_t(1) << 20}) {
    auto r = send_chunked("/v1/audio/transcriptions", body, "multipart/form-data; boundary=" + boundary, piece);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << "pieces of " << piece << ": " << r->body;
    EXPECT_EQ(json_of(r)["text"], expected_asr(jfk, AsrTask::Transcribe).text);
  }
  auto raw = send_chunked("/v1/speech-translation", es, "audio/wav", 1000);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 200) << raw->body;
  EXPECT_EQ(json_of(raw)["text"], expected_asr(es, AsrTask::Translate).text);
}

TEST_F(ApiTest, KeepAliveConnectionServesManyRequests) {
  httplib::Client c("127.0.0.1", srv.port());
  c.set_keep_alive(true);
  for (int i = 0; i < 3; ++i) {
    auto r = c.Post("/v1/audio/transcriptions", form(es, "es.wav"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    auto h = c.Get("/health");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
  }
}

}  // namespace
}  // namespace parley::test
