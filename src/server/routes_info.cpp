// GET routes: /health, /metrics, /v1/models, /v1/voices, /v1/languages and the web page (files from
// web/, compiled into the binary). None of them waits for a worker, so they answer while the models are busy.
#include <ctime>

#include "core/embedded.h"
#include "server/api_error.h"
#include "server/routes.h"
#include "text/languages.h"

namespace parley::server {

namespace {

using httplib::Request;
using httplib::Response;

std::string mime_type(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".json") || ends(".webmanifest")) return "application/json";
  return "application/octet-stream";
}

void health(Context& ctx, const Request&, Response& res) {
  ServiceInfo info = ctx.service.info();
  nlohmann::ordered_json j = {
      {"status", "ok"},
      {"models", {{"asr", info.asr_model}, {"tts", info.tts_model}, {"vocoder", info.vocoder}}},
      {"workers", ctx.queue.workers()},
      {"in_flight", ctx.queue.running()},
      {"queue", {{"waiting", ctx.queue.waiting()}, {"capacity", ctx.queue.capacity()}}}};
  res.set_header("Cache-Control", "no-store");
  res.set_content(j.dump(), "application/json");
}

// OpenAI's model ids first, so clients that ask for "whisper-1" or "tts-1" find them; then the
// checkpoints actually loaded. Every id runs the same loaded models.
std::vector<std::string> model_ids(const ServiceInfo& info) {
  return {"whisper-1", "tts-1", info.asr_model, info.tts_model};
}

nlohmann::ordered_json model_object(const std::string& id) {
  return {{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "parley"}};
}

void models(Context& ctx, const Request&, Response& res) {
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const std::string& id : model_ids(ctx.service.info())) data.push_back(model_object(id));
  res.set_content(nlohmann::ordered_json({{"object", "list"}, {"data", data}}).dump(), "application/json");
}

// GET /v1/models/{id}: one of the listed ids (a Hub name's "/" included), or OpenAI's 404.
void model(Context& ctx, const Request& req, Response& res) {
  const std::string id = req.matches[1];
  for (const std::string& known : model_ids(ctx.service.info())) {
    if (known == id) {
      res.set_content(model_object(id).dump(), "application/json");
      return;
    }
  }
  throw ApiError(404, "model_not_found", "The model '" + id + "' does not exist", "model");
}

void voices(Context& ctx, const Request&, Response& res) {
  nlohmann::ordered_json j = {{"voices", ctx.service.voices()}, {"default", ctx.service.default_voice()}};
  res.set_content(j.dump(), "application/json");
}

// What a service that does not list its languages can do (SpeechService::languages()'s default):
// hear what Whisper hears, speak English with its SpeechT5 model.
std::vector<LanguageSupport> whisper_and_english(const ServiceInfo& info) {
  std::vector<LanguageSupport> out;
  for (const text::Language& l : text::all_languages()) {
    const bool english = l.iso1 == "en";
    if (l.whisper.empty() && !english) continue;
    LanguageSupport s;
    s.code = std::string(text::short_code(l));
    s.name = std::string(l.name);
    s.hear = !l.whisper.empty();
    s.speak = english;
    if (english) {
      s.tts_model = info.tts_model;
      s.tts_on_disk = true;  // loaded at start
    }
    out.push_back(std::move(s));
  }
  return out;
}

// GET /v1/languages: what this server can hear and speak, with the models each needs.
void languages(Context& ctx, const Request&, Response& res) {
  std::vector<LanguageSupport> list = ctx.service.languages();
  if (list.empty()) list = whisper_and_english(ctx.service.info());
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const LanguageSupport& l : list) {
    data.push_back({{"code", l.code},
                    {"name", l.name},
                    {"hear", l.hear},
                    {"speak", l.speak},
                    {"tts_model", l.tts_model},
                    {"tts_on_disk", l.tts_on_disk},
                    {"mt_model", l.mt_model},
                    {"mt_on_disk", l.mt_on_disk}});
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_content(nlohmann::ordered_json({{"object", "list"}, {"data", data}}).dump(), "application/json");
}

void static_file(const Request& req, Response& res) {
  std::string name = req.path == "/" ? "index.html" : req.path.substr(1);
  for (const auto& file : embedded::web_files()) {
    if (file.name == name) {
      res.set_header("Cache-Control", "no-cache");  // security headers: server.cpp (access.h)
      res.set_content(std::string(file.data), mime_type(file.name).c_str());
      return;
    }
  }
  throw ApiError(404, "not_found", "no such page or API route: " + req.path);
}

}  // namespace

void add_info_routes(httplib::Server& http, Context& ctx) {
  http.Get("/health", guarded([&ctx](const Request& req, Response& res) { health(ctx, req, res); }));
  http.Get("/metrics", guarded([&ctx](const Request&, Response& res) {
             res.set_content(ctx.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
           }));
  http.Get("/v1/models", guarded([&ctx](const Request& req, Response& res) { models(ctx, req, res); }));
  http.Get(R"(/v1/models/(.+))", guarded([&ctx](const Request& req, Response& res) { model(ctx, req, res); }));
  http.Get("/v1/voices", guarded([&ctx](const Request& req, Response& res) { voices(ctx, req, res); }));
  http.Get("/v1/languages", guarded([&ctx](const Request& req, Response& res) { languages(ctx, req, res); }));
  http.Get(R"(/[A-Za-z0-9_.\-/]*)", guarded(static_file));
}

}  // namespace parley::server
