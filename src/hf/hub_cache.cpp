#include "hf/hub_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include "core/error.h"
#include "core/files.h"
#include "hf/hub_files.h"
#include "hf/hub_names.h"

namespace parley::hub {

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string random_suffix() {
  std::random_device rd;
  return std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000000);
}

// "models--ORG--NAME" -> "ORG/NAME" (ids never contain "--"); older single-name ids have no namespace.
std::string repo_id_from_folder(const std::string& folder) {
  std::string rest = folder.substr(std::string("models--").size());
  size_t sep = rest.find("--");
  return sep == std::string::npos ? rest : rest.substr(0, sep) + "/" + rest.substr(sep + 2);
}

// Every ref under refs/ (nested ones like refs/pr/1 included) by the commit it names.
std::map<std::string, std::vector<std::string>> refs_by_commit(const fs::path& repo_dir) {
  std::map<std::string, std::vector<std::string>> out;
  std::error_code ec;
  fs::path refs = repo_dir / "refs";
  if (!fs::is_directory(refs, ec)) return out;
  for (fs::recursive_directory_iterator it(refs, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string revision = it->path().lexically_relative(refs).generic_string();
    if (auto commit = read_ref(repo_dir, revision)) out[*commit].push_back(revision);
  }
  return out;
}

// Sum of the sizes of the distinct files a snapshot links to.
uint64_t snapshot_size(const fs::path& snapshot) {
  uint64_t total = 0;
  std::set<fs::path> seen;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(snapshot, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (!fs::is_regular_file(it->path(), fec)) continue;  // follows the link; dangling ones count nothing
    fs::path target = fs::canonical(it->path(), fec);
    if (fec || !seen.insert(target).second) continue;
    total += fs::file_size(target, fec);
  }
  return total;
}

uint64_t partial_download_bytes(const fs::path& repo_dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(repo_dir / "blobs", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (it->path().extension() == ".incomplete" && it->is_regular_file(fec)) total += it->file_size(fec);
  }
  return total;
}

void list_repo(const fs::path& repo_dir, std::vector<CachedModel>& out) {
  const std::string repo_id = repo_id_from_folder(repo_dir.filename().string());
  const uint64_t partial = partial_download_bytes(repo_dir);
  auto refs = refs_by_commit(repo_dir);
  size_t before = out.size();
  std::error_code ec;
  for (fs::directory_iterator it(repo_dir / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code dec;
    if (!it->is_directory(dec)) continue;
    CachedModel m;
    m.repo_id = repo_id;
    m.commit = it->path().filename().string();
    m.snapshot = it->path();
    if (auto r = refs.find(m.commit); r != refs.end()) m.revisions = r->second;
    std::sort(m.revisions.begin(), m.revisions.end());
    m.size_bytes = snapshot_size(m.snapshot);
    m.missing = missing_model_files(m.snapshot);
    m.complete = m.missing.empty();
    m.partial_bytes = partial;
    out.push_back(std::move(m));
  }
  if (out.size() == before && partial > 0) {
    CachedModel m;
    m.repo_id = repo_id;
    m.missing = "nothing but an unfinished download";
    m.partial_bytes = partial;
    out.push_back(std::move(m));
  }
}

}  // namespace

fs::path repo_cache_dir(const fs::path& cache_dir, const std::string& repo_id) {
  return cache_dir / repo_folder_name(repo_id);
}

std::optional<std::string> read_ref(const fs::path& repo_dir, const std::string& revision) {
  if (!is_valid_revision(revision)) return std::nullopt;
  fs::path file = repo_dir / "refs" / revision;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec) || fs::file_size(file, ec) > 4096) return std::nullopt;
  try {
    std::string commit = trim(read_file(file));
    if (is_commit_hash(commit)) return commit;
  } catch (const Error&) {
  }
  return std::nullopt;
}

void write_ref(const fs::path& repo_dir, const std::string& revision, const std::string& commit) {
  if (revision == commit) return;
  fs::path file = repo_dir / "refs" / revision;
  if (read_ref(repo_dir, revision) == commit) return;  // leave a read-only cache alone when nothing changes
  fs::create_directories(file.parent_path());
  write_file_atomic(file, commit);
}

std::optional<fs::path> cached_snapshot(const fs::path& cache_dir, const ModelRef& ref) {
  fs::path repo_dir = repo_cache_dir(cache_dir, ref.repo_id);
  std::optional<std::string> commit = read_ref(repo_dir, ref.revision);
  if (!commit && is_commit_hash(ref.revision)) commit = ref.revision;
  if (!commit) return std::nullopt;
  fs::path snapshot = repo_dir / "snapshots" / *commit;
  std::error_code ec;
  if (!fs::is_directory(snapshot, ec)) return std::nullopt;
  return snapshot;
}

void link_snapshot_file(const fs::path& blob, const fs::path& pointer) {
  const fs::path folder = pointer.parent_path();
  fs::create_directories(folder);
  const fs::path target = blob.lexically_relative(folder);
  std::error_code ec;
  if (fs::is_symlink(pointer, ec) && fs::read_symlink(pointer, ec) == target) return;
  const fs::path tmp = folder / ("." + pointer.filename().string() + ".parley-" + random_suffix() + ".tmp");
  if (::symlink(target.c_str(), tmp.c_str()) != 0) {
    int err = errno;
    if (err != EPERM && err != EOPNOTSUPP && err != ENOSYS)
      fail(ErrorKind::Internal, "cannot create " + pointer.string() + ": " + std::strerror(err));
    fs::copy_file(blob, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) fail(ErrorKind::Internal, "cannot create " + pointer.string() + ": " + ec.message());
  }
  fs::rename(tmp, pointer, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    fail(ErrorKind::Internal, "cannot create " + pointer.string() + ": " + ec.message());
  }
}

std::vector<CachedModel> list_cached_models(const HubOptions& options) {
  std::vector<CachedModel> out;
  std::error_code ec;
  for (fs::directory_iterator it(options.cache_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code dec;
    if (it->path().filename().string().rfind("models--", 0) == 0 && it->is_directory(dec)) list_repo(it->path(), out);
  }
  std::sort(out.begin(), out.end(), [](const CachedModel& a, const CachedModel& b) {
    return a.repo_id != b.repo_id ? a.repo_id < b.repo_id : a.commit < b.commit;
  });
  return out;
}

}  // namespace parley::hub
