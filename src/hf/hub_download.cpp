// download_model: brings what Parley needs of one Hub repository into the cache.
//
// Order of work, chosen so that an interruption at any point leaves a usable cache: list the repository
// at the revision (one commit for every file), then per file HEAD for its metadata, fetch the blob into
// blobs/<etag>.incomplete (resumable), verify size and digest, rename it into place, link it into the
// snapshot; write refs/<revision> only when every file is there.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "hf/digest.h"
#include "hf/hub.h"
#include "hf/hub_cache.h"
#include "hf/hub_files.h"
#include "hf/hub_names.h"
#include "hf/hub_protocol.h"
#include "hf/progress.h"

namespace parley::hub {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxListingBytes = 32 << 20;
constexpr size_t kMaxHeadBytes = 1 << 20;

[[noreturn]] void fail_io(const std::string& what, const fs::path& path, int err) {
  fail(ErrorKind::Internal, "cannot " + what + " " + path.string() + ": " + std::strerror(err));
}

// An exclusive flock(2) on the lock file huggingface_hub also uses (.locks/models--ORG--NAME/<etag>.lock),
// so two downloads of one blob, by Parley or by Python, never write the same .incomplete file at once.
class BlobLock {
 public:
  explicit BlobLock(const fs::path& path) {
    fs::create_directories(path.parent_path());
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);  // (a planted link: refused)
    if (fd_ < 0) fail_io("create the lock file", path, errno);
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) fail_io("lock", path, errno);
    }
  }
  ~BlobLock() { ::close(fd_); }
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;

 private:
  int fd_ = -1;
};

// `path` opened (created when missing) when it is a regular file; -1 when it is a link or anything else.
int open_regular(const fs::path& path) {
  // O_NONBLOCK: a FIFO planted there must not block the open.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENXIO || errno == EISDIR) return -1;
    fail_io("create", path, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return -1;
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

class OpenFile {
 public:
  // Never through a symbolic link or into anything but a regular file: the cache folder may be shared,
  // and a link planted at blobs/<etag>.incomplete must not make the download write somewhere else.
  // Such an entry is removed and the file created afresh.
  explicit OpenFile(const fs::path& path) : path_(path) {
    fd_ = open_regular(path);
    if (fd_ >= 0) return;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail_io("remove", path, errno);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0) fail_io("create", path, errno);
  }
  ~OpenFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int fd() const { return fd_; }
  uint64_t size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail_io("stat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }
  void truncate() {
    if (::ftruncate(fd_, 0) != 0) fail_io("truncate", path_, errno);
  }
  // Flushes to disk and closes: what is renamed into place next survives a power cut.
  void sync_and_close() {
    if (::fsync(fd_) != 0) fail_io("write", path_, errno);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

void check_disk_space(const fs::path& folder, uint64_t needed, const std::string& file) {
  struct statvfs st {};
  if (::statvfs(folder.c_str(), &st) != 0) return;  // unknown: let the writes report it
  uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  if (free_bytes < needed)
    fail(ErrorKind::Internal, "not enough disk space in " + folder.string() + " for " + file + ": " +
                                  format_bytes(needed) + " needed, " + format_bytes(free_bytes) + " free");
}

// The digest an ETag stands for: sha256 for LFS files, the git blob sha1 for the others. "" when the
// ETag is neither (then only the size is checked).
std::string digest_for_etag(const fs::path& file, const std::string& etag, std::string& kind) {
  if (etag.size() == 64) {
    kind = "sha256";
    return sha256_file_hex(file);
  }
  if (is_commit_hash(etag)) {  // 40 lower-case hex digits: the same shape as a git object id
    kind = "git sha1";
    return git_blob_sha1_file_hex(file);
  }
  kind.clear();
  return "";
}

bool blob_matches(const fs::path& blob, const FileMetadata& meta, bool verify_digest) {
  std::error_code ec;
  if (!fs::is_regular_file(blob, ec) || fs::file_size(blob, ec) != meta.size) return false;
  if (!verify_digest) return true;
  std::string kind;
  std::string digest = digest_for_etag(blob, meta.etag, kind);
  return kind.empty() || digest == meta.etag;
}

class Downloader {
 public:
  Downloader(const ModelRef& ref, const HubOptions& options)
      : ref_(ref),
        options_(options),
        client_(HttpSettings{options.connect_timeout_s, options.read_timeout_s, options.max_retries,
                             options.retry_delay_ms}),
        repo_dir_(repo_cache_dir(options.cache_dir, ref.repo_id)) {}

  DownloadReport run() {
    RepoListing listing = list_repo();
    commit_ = listing.commit;
    FileChoice choice = choose_files(listing.files, ref_.repo_id);
    for (const auto& file : choice.files) fetch(file);
    if (choice.sharded) {
      const std::set<std::string> listed(listing.files.begin(), listing.files.end());
      nlohmann::json index;
      try {
        index = nlohmann::json::parse(read_file(snapshot() / choice.weights));
      } catch (const nlohmann::json::exception&) {
        bad_model(ref_.repo_id + ": " + choice.weights + " is not valid JSON");
      }
      for (const auto& shard : shard_files(index, ref_.repo_id + "/" + choice.weights)) {
        if (!listed.count(shard)) bad_model(ref_.repo_id + ": " + choice.weights + " names a missing file " + shard);
        fetch(shard);
      }
    }
    write_ref(repo_dir_, ref_.revision, commit_);
    report_.ref = ref_;
    report_.commit = commit_;
    report_.snapshot = snapshot();
    return report_;
  }

 private:
  fs::path snapshot() const { return repo_dir_ / "snapshots" / commit_; }

  // The token goes to the endpoint only, never to the storage servers LFS files redirect to.
  std::vector<std::string> auth_headers(const std::string& url) const {
    if (options_.token.empty() || url_origin(url) != url_origin(options_.endpoint)) return {};
    return {"Authorization: Bearer " + options_.token};
  }

  RepoListing list_repo() {
    const std::string url =
        options_.endpoint + "/api/models/" + ref_.repo_id + "/revision/" + url_quote(ref_.revision, false);
    auto headers = auth_headers(url);
    HttpResponse r = client_.fetch("GET", url, headers, kMaxListingBytes);
    if (r.status != 200) throw_hub_error(r, ref_.repo_id, "revision " + ref_.revision, !headers.empty());
    return parse_repo_listing(r.body, ref_.repo_id);
  }

  // Makes snapshots/<commit>/<file> a link to a verified blob, downloading it when needed.
  void fetch(const std::string& file) {
    const std::string url =
        options_.endpoint + "/" + ref_.repo_id + "/resolve/" + commit_ + "/" + url_quote(file, true);
    auto headers = auth_headers(url);
    const bool sent_token = !headers.empty();
    headers.push_back("Accept-Encoding: identity");  // the size must be the file's, not a compressed one's
    HttpResponse head = client_.fetch("HEAD", url, headers, kMaxHeadBytes);
    if (head.status >= 400 || head.status < 200) throw_hub_error(head, ref_.repo_id, "file " + file, sent_token);
    FileMetadata meta = parse_file_metadata(head, head.url);  // head.url: after relative redirects
    if (meta.commit != commit_)
      fail(ErrorKind::Network, ref_.repo_id + ": the Hub answered for commit " + meta.commit + " when " + commit_ +
                                   " was asked for " + file);
    const fs::path blob = repo_dir_ / "blobs" / meta.etag;
    fs::create_directories(blob.parent_path());
    if (!blob_matches(blob, meta, options_.verify_cached)) {
      BlobLock lock(options_.cache_dir / ".locks" / repo_folder_name(ref_.repo_id) / (meta.etag + ".lock"));
      if (!blob_matches(blob, meta, options_.verify_cached)) download_blob(meta, blob, file, sent_token);
    }
    link_snapshot_file(blob, snapshot() / file);
    report_.files.push_back(file);
    report_.total_bytes += meta.size;
  }

  // Fetches into <blob>.incomplete, resuming what an earlier run left there, and renames it to `blob`
  // once size and digest match. A mismatch deletes the partial file and fetches once more from scratch.
  void download_blob(const FileMetadata& meta, const fs::path& blob, const std::string& file, bool sent_token) {
    const fs::path partial = fs::path(blob.string() + ".incomplete");
    const auto headers = auth_headers(meta.url);
    for (int round = 0;; ++round) {
      const bool last = round == 1;
      OpenFile out(partial);
      uint64_t have = out.size();
      if (have > meta.size) {
        out.truncate();
        have = 0;
      }
      check_disk_space(blob.parent_path(), meta.size - have, file);
      if (have < meta.size) {
        ProgressBar bar(options_.progress, file, meta.size, have);
        FileResponse r = client_.download(meta.url, headers, out.fd(), have, meta.size,
                                          [&bar](uint64_t done) { bar.update(done); });
        bar.finish();
        if (r.response.status == 416 && !last) {  // our partial file is not a prefix the server knows
          out.truncate();
          continue;
        }
        if (r.response.status < 200 || r.response.status >= 300)
          throw_hub_error(r.response, ref_.repo_id, "file " + file, sent_token);
        report_.downloaded_bytes += r.received;
      }
      const uint64_t got = out.size();
      std::string problem;
      if (got != meta.size) {
        problem = "is " + std::to_string(got) + " bytes where the Hub announced " + std::to_string(meta.size);
      } else {
        std::string kind;
        std::string digest = digest_for_etag(partial, meta.etag, kind);
        if (!kind.empty() && digest != meta.etag)
          problem = "is corrupt: its " + kind + " is " + digest + ", the Hub's is " + meta.etag;
      }
      if (problem.empty()) {
        out.sync_and_close();
        std::error_code ec;
        fs::rename(partial, blob, ec);
        if (ec) fail(ErrorKind::Internal, "cannot move " + partial.string() + " into place: " + ec.message());
        return;
      }
      std::error_code ec;
      fs::remove(partial, ec);  // never resumed: the bytes it holds are wrong
      if (last)
        fail(ErrorKind::Network, "the download of " + file + " from " + ref_.repo_id + " " + problem +
                                     "; the bad copy was deleted (try again later)");
    }
  }

  ModelRef ref_;
  const HubOptions& options_;
  HttpClient client_;
  fs::path repo_dir_;
  std::string commit_;
  DownloadReport report_;
};

}  // namespace

DownloadReport download_model(const ModelRef& ref, const HubOptions& options) {
  if (!is_valid_repo_id(ref.repo_id) || !is_valid_revision(ref.revision))
    invalid_argument("not a valid Hub model name: " + ref.str());
  if (options.offline)
    fail(ErrorKind::Network, "cannot download " + ref.str() + ": HF_HUB_OFFLINE is set (no network use allowed)");
  if (options.cache_dir.empty()) invalid_argument("no Hugging Face cache folder is set (HF_HUB_CACHE)");
  try {
    fs::create_directories(options.cache_dir);
    return Downloader(ref, options).run();
  } catch (const fs::filesystem_error& e) {
    fail(ErrorKind::Internal, std::string("cannot write the Hugging Face cache: ") + e.what());
  }
}

}  // namespace parley::hub
