#include "hf/hub_names.h"

#include <cstdio>

namespace parley::hub {

namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_name_char(char c) { return is_word(c) || c == '-' || c == '.'; }

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

bool is_valid_repo_part(std::string_view part) {
  if (part.empty() || part.size() > 96) return false;
  for (char c : part)
    if (!is_name_char(c)) return false;
  // The Hub's regex has word boundaries at both ends: first and last must be word characters.
  return is_word(part.front()) && is_word(part.back());
}

}  // namespace

bool is_valid_repo_id(std::string_view repo_id) {
  size_t slash = repo_id.find('/');
  if (slash == std::string_view::npos || repo_id.find('/', slash + 1) != std::string_view::npos) return false;
  if (repo_id.find("--") != std::string_view::npos || repo_id.find("..") != std::string_view::npos) return false;
  if (ends_with(repo_id, ".git")) return false;
  return is_valid_repo_part(repo_id.substr(0, slash)) && is_valid_repo_part(repo_id.substr(slash + 1));
}

bool is_valid_revision(std::string_view revision) {
  if (revision.empty() || revision.size() > 255) return false;
  size_t start = 0;
  while (start <= revision.size()) {
    size_t end = revision.find('/', start);
    if (end == std::string_view::npos) end = revision.size();
    std::string_view part = revision.substr(start, end - start);
    if (part.empty() || part.front() == '.' || ends_with(part, ".lock")) return false;
    for (char c : part)
      if (!is_name_char(c)) return false;
    start = end + 1;
  }
  return revision.find("..") == std::string_view::npos;
}

bool is_commit_hash(std::string_view text) {
  if (text.size() != 40) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_safe_repo_file(std::string_view name) {
  if (name.empty() || name.size() > 1000) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') return false;
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;  // also rejects a leading '/'
    start = end + 1;
  }
  return true;
}

bool is_valid_etag(std::string_view etag) {
  if (etag.empty() || etag.size() > 128) return false;
  for (char c : etag)
    if (!is_word(c) && c != '-') return false;
  return true;
}

std::string normalize_etag(std::string_view value) {
  if (value.substr(0, 2) == "W/") value.remove_prefix(2);
  while (!value.empty() && value.front() == '"') value.remove_prefix(1);
  while (!value.empty() && value.back() == '"') value.remove_suffix(1);
  return std::string(value);
}

std::string url_quote(std::string_view text, bool keep_slash) {
  std::string out;
  for (char c : text) {
    if (is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

std::string repo_folder_name(std::string_view repo_id) {
  std::string out = "models--";
  for (char c : repo_id) {
    if (c == '/')
      out += "--";
    else
      out += c;
  }
  return out;
}

}  // namespace parley::hub
