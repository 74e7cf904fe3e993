// The Hub's HTTP protocol as huggingface_hub speaks it: the repository listing
// (GET /api/models/ORG/NAME/revision/REV), a file's metadata (HEAD /ORG/NAME/resolve/REV/FILE, not
// following the redirect that LFS files answer with) and the Hub's error answers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hf/http_client.h"

namespace parley::hub {

struct RepoListing {
  std::string commit;              // "sha": the commit the revision points to
  std::vector<std::string> files;  // "siblings[].rfilename", every one checked with is_safe_repo_file
};

// Parses the listing's JSON. Throws Error(BadModel) for a malformed answer, an invalid commit hash or an
// unsafe file name (a server that names "../x" is not trusted with anything).
RepoListing parse_repo_listing(const std::string& body, const std::string& repo_id);

struct FileMetadata {
  std::string commit;  // X-Repo-Commit
  std::string etag;    // X-Linked-Etag, else ETag, without quotes or weak marker: the blob's name
  uint64_t size = 0;   // X-Linked-Size, else Content-Length (of a non-redirect answer)
  std::string url;     // where to GET the bytes: the redirect's target (the CDN) or the URL itself
};

// Reads a file's metadata from the answer to HEAD `url` (a 2xx, or a 3xx to the storage backend).
// Throws Error(Network) when a header is missing or unusable (not a Hub, or a hostile one).
FileMetadata parse_file_metadata(const HttpResponse& head, const std::string& url);

// Throws the error for a failed Hub request, in one line: 401/403 name HF_TOKEN (gated or private
// models), 404 says what does not exist (model, revision or file, from X-Error-Code), others give the
// status and the Hub's X-Error-Message. `what` names the request ("file config.json", "revision main").
[[noreturn]] void throw_hub_error(const HttpResponse& response, const std::string& repo_id, const std::string& what,
                                  bool sent_token);

}  // namespace parley::hub
