// The Hub cache's folders and files (huggingface_hub's layout, see hub.h): refs, snapshots, links.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "hf/hub.h"

namespace parley::hub {

// <cache>/models--ORG--NAME
std::filesystem::path repo_cache_dir(const std::filesystem::path& cache_dir, const std::string& repo_id);

// The commit refs/<revision> names (huggingface_hub writes it without a newline; whitespace is
// ignored), or nullopt when there is no such ref or it does not hold a commit hash.
std::optional<std::string> read_ref(const std::filesystem::path& repo_dir, const std::string& revision);

// Writes refs/<revision> atomically; nothing when `revision` is the commit itself.
void write_ref(const std::filesystem::path& repo_dir, const std::string& revision, const std::string& commit);

// The snapshot folder `ref` points to in the cache (its revision read through refs/, or a commit hash
// used directly), whether or not it is complete; nullopt when there is none.
std::optional<std::filesystem::path> cached_snapshot(const std::filesystem::path& cache_dir, const ModelRef& ref);

// Makes `pointer` (a file in a snapshot) a relative symlink to `blob`, replacing what was there in one
// rename. Where the file system has no symlinks, the blob is copied instead (as huggingface_hub does).
void link_snapshot_file(const std::filesystem::path& blob, const std::filesystem::path& pointer);

}  // namespace parley::hub
