// What the Hub (or a server pretending to be it) sends back, and the names users type: the repository
// listing JSON, a file's metadata headers, a sharded index, and repository ids, revisions and file
// names. Whatever passes the checks must stay inside the cache folder once joined into a path.
//
// Input: a selector byte, then the text. Selector 0: listing JSON; 1: index JSON (shard_files);
// 2: metadata headers "name: value" per line (status from the next byte); else: one name, checked as a
// repo id, a revision, a file name and an ETag.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common.h"
#include "hf/hub_files.h"
#include "hf/hub_names.h"
#include "hf/hub_protocol.h"

namespace {

namespace fs = std::filesystem;

// `relative` joined under `root` does not leave it (".." or an absolute path would).
bool stays_inside(const fs::path& root, const std::string& relative) {
  const fs::path joined = (root / relative).lexically_normal();
  const fs::path rel = joined.lexically_relative(root);
  return !rel.empty() && *rel.begin() != ".." && joined.string().rfind(root.string(), 0) == 0;
}

const fs::path kRoot = "/cache/models--org--name/snapshots/0123456789abcdef0123456789abcdef01234567";

void names(const std::string& s) {
  using namespace parley::hub;
  if (is_valid_repo_id(s)) {
    const std::string folder = repo_folder_name(s);
    FUZZ_CHECK(folder.find('/') == std::string::npos && folder != "." && folder != "..");
    FUZZ_CHECK(stays_inside("/cache", folder));
  }
  if (is_valid_revision(s)) FUZZ_CHECK(stays_inside("/cache/models--org--name/refs", s));
  if (is_safe_repo_file(s)) FUZZ_CHECK(stays_inside(kRoot, s));
  if (is_valid_etag(s)) FUZZ_CHECK(stays_inside("/cache/models--org--name/blobs", s));
  if (is_commit_hash(s)) FUZZ_CHECK(stays_inside("/cache/models--org--name/snapshots", s));
  const std::string etag = normalize_etag(s);
  FUZZ_CHECK(etag.size() <= s.size());
  for (bool slash : {false, true}) {
    const std::string q = url_quote(s, slash);
    for (char c : q) FUZZ_CHECK(c > 0x20 && c < 0x7f);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  if (size < 1) return 0;
  const std::string text(fuzz::as_text(data + 1, size - 1));
  switch (data[0] % 4) {
    case 0:
      fuzz::refuse_cleanly([&] {
        hub::RepoListing listing = hub::parse_repo_listing(text, "org/name");
        FUZZ_CHECK(hub::is_commit_hash(listing.commit));
        for (const auto& f : listing.files) FUZZ_CHECK(stays_inside(kRoot, f));
        hub::FileChoice choice = hub::choose_files(listing.files, "org/name");
        for (const auto& f : choice.files) FUZZ_CHECK(stays_inside(kRoot, f));
      });
      break;
    case 1: {
      nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded()) return 0;
      fuzz::refuse_cleanly([&] {
        for (const auto& f : hub::shard_files(j, "index.json")) FUZZ_CHECK(stays_inside(kRoot, f));
      });
      break;
    }
    case 2: {
      hub::HttpResponse head;
      head.status = size > 1 ? 200 + data[1] % 200 : 200;
      head.url = "https://huggingface.co/org/name/resolve/main/config.json";
      for (std::string_view line : fuzz::split(text, '\n', 16)) {
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name(line.substr(0, colon));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        head.headers[name] = std::string(line.substr(colon + 1));
      }
      fuzz::refuse_cleanly([&] {
        hub::FileMetadata m = hub::parse_file_metadata(head, head.url);
        FUZZ_CHECK(hub::is_valid_etag(m.etag));
        FUZZ_CHECK(hub::is_commit_hash(m.commit));
        FUZZ_CHECK(stays_inside("/cache/models--org--name/blobs", m.etag));
      });
      fuzz::refuse_cleanly([&] { hub::throw_hub_error(head, "org/name", "file config.json", size > 1 && data[1] & 1); });
      break;
    }
    default:
      names(text);
  }
  return 0;
}
