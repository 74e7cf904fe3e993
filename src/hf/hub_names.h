// Names that come from users and from the Hub, checked before any of them becomes part of a path or a
// URL: repository ids, revisions, file names listed by the server, ETags and commit hashes.
//
// Everything the server sends is treated as hostile until it passes these checks, so that nothing it
// says can make Parley write outside the cache folder (issue 6: model files from the internet).
#pragma once

#include <string>
#include <string_view>

namespace parley::hub {

// "ORG/NAME" with the Hub's rules: each part 1-96 of [A-Za-z0-9._-], starting and ending with a letter,
// digit or '_', no "--" or "..", not ending in ".git".
bool is_valid_repo_id(std::string_view repo_id);

// A branch, tag or commit: [A-Za-z0-9._/-], at most 255 characters, no "..", no empty or dot-led path
// component (so "refs/pr/1" is fine and "../x" or ".hidden" are not).
bool is_valid_revision(std::string_view revision);

// A full commit hash as the Hub writes it: 40 lower-case hex digits.
bool is_commit_hash(std::string_view text);

// A file path inside a repository as listed by the server: relative, '/'-separated, no empty, "." or
// ".." components, no backslash, no control characters, at most 1,000 characters.
bool is_safe_repo_file(std::string_view name);

// An ETag usable as a blob file name: 1-128 of [A-Za-z0-9_-] (the Hub sends hex digests).
bool is_valid_etag(std::string_view etag);

// The ETag header value without a weak marker and quotes: W/"abc" -> abc (like huggingface_hub).
std::string normalize_etag(std::string_view header_value);

// Percent-encodes everything but unreserved characters (and '/' when keep_slash), for URL paths.
std::string url_quote(std::string_view text, bool keep_slash);

// "models--ORG--NAME": the repository's folder in the cache.
std::string repo_folder_name(std::string_view repo_id);

}  // namespace parley::hub
