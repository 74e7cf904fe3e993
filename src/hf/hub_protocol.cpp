#include "hf/hub_protocol.h"

#include <cerrno>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "hf/hub_names.h"

namespace parley::hub {

namespace {

// A server-supplied text made safe for a one-line message: printable ASCII, at most 200 characters.
std::string printable(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= 200) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

bool parse_size(const std::string& text, uint64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  out = std::strtoull(text.c_str(), nullptr, 10);
  return true;
}

std::string url_path(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace

RepoListing parse_repo_listing(const std::string& body, const std::string& repo_id) {
  const std::string source = "the Hub's file list for " + repo_id;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception&) {
    bad_model(source + " is not valid JSON");
  }
  if (!j.is_object()) bad_model(source + " is not a JSON object");
  RepoListing listing;
  if (!j.contains("sha") || !j["sha"].is_string() || !is_commit_hash(j["sha"].get<std::string>()))
    bad_model(source + " has no valid commit hash (\"sha\")");
  listing.commit = j["sha"].get<std::string>();
  if (!j.contains("siblings") || !j["siblings"].is_array()) bad_model(source + " has no \"siblings\" array");
  for (const auto& sibling : j["siblings"]) {
    if (!sibling.is_object() || !sibling.contains("rfilename") || !sibling["rfilename"].is_string())
      bad_model(source + " has an entry without \"rfilename\"");
    std::string name = sibling["rfilename"].get<std::string>();
    if (!is_safe_repo_file(name)) bad_model(source + " names an unsafe file: \"" + printable(name) + "\"; refusing it");
    listing.files.push_back(std::move(name));
  }
  return listing;
}

FileMetadata parse_file_metadata(const HttpResponse& head, const std::string& url) {
  const std::string where = url_path(url);
  FileMetadata meta;
  meta.commit = head.header("x-repo-commit");
  if (!is_commit_hash(meta.commit))
    fail(ErrorKind::Network, where + " did not answer like the Hugging Face Hub (no valid X-Repo-Commit header)");
  std::string etag = head.header("x-linked-etag");
  if (etag.empty()) etag = head.header("etag");
  meta.etag = normalize_etag(etag);
  if (!is_valid_etag(meta.etag))
    fail(ErrorKind::Network, where + " sent no usable ETag (\"" + printable(etag) + "\")");
  std::string size = head.header("x-linked-size");
  if (size.empty() && !head.is_redirect()) size = head.header("content-length");
  if (!parse_size(size, meta.size)) fail(ErrorKind::Network, where + " did not say the file's size");
  if (head.is_redirect()) {
    meta.url = resolve_location(url, head.header("location"));
    if (meta.url.empty()) fail(ErrorKind::Network, where + " redirected to an unusable location");
  } else {
    meta.url = url;
  }
  return meta;
}

void throw_hub_error(const HttpResponse& response, const std::string& repo_id, const std::string& what,
                     bool sent_token) {
  const long status = response.status;
  const std::string code = response.header("x-error-code");
  const std::string message = printable(response.header("x-error-message"));
  const std::string http = " (HTTP " + std::to_string(status) + ")";
  if (status == 401) {
    fail(ErrorKind::Network,
         sent_token ? "the Hub refused the token in HF_TOKEN for " + repo_id + http +
                          ": it may be invalid or lack access to this gated or private model"
                    : repo_id + " needs authentication" + http +
                          ": it does not exist, or it is gated or private; for a gated or private model, set HF_TOKEN "
                          "to an access token from https://huggingface.co/settings/tokens");
  }
  if (status == 403) {
    fail(ErrorKind::Network, "access to " + repo_id + " was refused" + http +
                                 ": it is gated or private; accept its conditions on the model page and set HF_TOKEN "
                                 "to a token that has access");
  }
  if (status == 404) {
    if (code == "RepoNotFound") fail(ErrorKind::NotFound, "no model " + repo_id + " on the Hub" + http);
    fail(ErrorKind::NotFound, repo_id + ": " + what + " not found on the Hub" + http);
  }
  fail(ErrorKind::Network, repo_id + ": the Hub answered HTTP " + std::to_string(status) + " for " + what +
                               (message.empty() ? "" : ": " + message));
}

}  // namespace parley::hub
