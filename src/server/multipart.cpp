#include "server/multipart.h"

#include <cctype>

#include "server/api_error.h"

namespace parley::server {

namespace {

[[noreturn]] void malformed(const std::string& why) {
  throw ApiError(400, "invalid_body", "malformed multipart/form-data body: " + why);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parameters of a header value: `type; key=value; key="quoted \" value"`. Calls fn(key, value) for
// each; the part before the first ';' is returned.
template <class F>
std::string_view parse_params(std::string_view value, F fn) {
  size_t semi = value.find(';');
  std::string_view head = trim(value.substr(0, semi));
  size_t pos = semi;
  while (pos != std::string_view::npos && pos < value.size()) {
    ++pos;  // past ';'
    size_t eq = value.find('=', pos);
    if (eq == std::string_view::npos) break;
    std::string_view key = trim(value.substr(pos, eq - pos));
    pos = eq + 1;
    while (pos < value.size() && (value[pos] == ' ' || value[pos] == '\t')) ++pos;
    std::string v;
    if (pos < value.size() && value[pos] == '"') {
      for (++pos; pos < value.size() && value[pos] != '"'; ++pos) {
        if (value[pos] == '\\' && pos + 1 < value.size()) ++pos;
        v += value[pos];
      }
      pos = value.find(';', pos);
    } else {
      size_t end = value.find(';', pos);
      v = std::string(trim(value.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos)));
      pos = end;
    }
    fn(key, v);
  }
  return head;
}

void parse_part_headers(std::string_view headers, FormPart& part) {
  bool form_data = false;
  while (!headers.empty()) {
    size_t eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) malformed("a part header without ':'");
    std::string_view name = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Disposition")) {
      std::string_view type = parse_params(value, [&](std::string_view key, const std::string& v) {
        if (iequals(key, "name")) part.name = v;
        else if (iequals(key, "filename")) part.filename = v;
      });
      form_data = iequals(type, "form-data");
    } else if (iequals(name, "Content-Type")) {
      part.content_type = std::string(value);
    }
  }
  if (!form_data) malformed("a part without 'Content-Disposition: form-data'");
  if (part.name.empty()) malformed("a part without a name");
}

// The next "CRLF--boundary" that really is a delimiter line (followed by "--", or by optional
// padding and CRLF), from `from`; npos when there is none. Other occurrences are part of the data.
size_t find_delimiter(std::string_view body, const std::string& next_delimiter, size_t from) {
  for (size_t at = body.find(next_delimiter, from); at != std::string_view::npos; at = body.find(next_delimiter, at + 1)) {
    size_t after = at + next_delimiter.size();
    if (body.substr(after, 2) == "--") return at;
    while (after < body.size() && (body[after] == ' ' || body[after] == '\t')) ++after;
    if (body.substr(after, 2) == "\r\n") return at;
  }
  return std::string_view::npos;
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  std::string boundary;
  std::string_view type = parse_params(content_type, [&](std::string_view key, const std::string& v) {
    if (iequals(key, "boundary")) boundary = v;
  });
  if (!iequals(type, "multipart/form-data") || boundary.empty() || boundary.size() > 70) return "";
  return boundary;
}

std::vector<FormPart> parse_multipart(std::string_view body, std::string_view boundary, size_t max_parts) {
  if (boundary.empty()) malformed("no boundary");
  const std::string delimiter = "--" + std::string(boundary);
  const std::string next_delimiter = "\r\n" + delimiter;
  // The first delimiter opens the body or follows a preamble line.
  size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = delimiter.size();
  } else {
    pos = body.find(next_delimiter);
    if (pos == std::string_view::npos) malformed("the boundary never appears");
    pos += next_delimiter.size();
  }
  std::vector<FormPart> parts;
  for (;;) {
    // After a delimiter: "--" closes the body; else optional padding and CRLF open a part.
    if (body.substr(pos, 2) == "--") return parts;
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") malformed("a boundary not followed by a line break");
    pos += 2;
    if (parts.size() >= max_parts) {
      throw ApiError(400, "too_many_parts", "the form has more than " + std::to_string(max_parts) + " parts");
    }
    FormPart part;
    size_t headers_end;
    if (body.substr(pos, 2) == "\r\n") {  // no headers
      headers_end = pos;
    } else {
      headers_end = body.find("\r\n\r\n", pos);
      if (headers_end == std::string_view::npos) malformed("a part's headers never end");
      headers_end += 2;
    }
    parse_part_headers(body.substr(pos, headers_end - pos == 0 ? 0 : headers_end - pos - 2), part);
    size_t data_start = headers_end + 2;
    size_t data_end = find_delimiter(body, next_delimiter, data_start);
    if (data_end == std::string_view::npos) malformed("the closing boundary is missing");
    part.data = std::string(body.substr(data_start, data_end - data_start));
    parts.push_back(std::move(part));
    pos = data_end + next_delimiter.size();
  }
}

}  // namespace parley::server
