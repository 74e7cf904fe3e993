// A Hugging Face Hub on loopback for the download tests, answering the way huggingface.co does:
//   GET  /api/models/ORG/NAME/revision/REV      {"sha": commit, "siblings": [{"rfilename": ...}]}
//   HEAD /ORG/NAME/resolve/REV/FILE             metadata: X-Repo-Commit, ETag (git sha1), Content-Length;
//                                               LFS files: 302 to the "CDN" with X-Linked-Etag (sha256)
//                                               and X-Linked-Size
//   GET  /ORG/NAME/resolve/REV/FILE             the bytes (LFS: the same redirect), with Range support
//   GET  http://localhost:CDN/lfs/<sha256>      the CDN, a second server reached by another host name
// plus switchable faults: dropped connections, corrupted bodies, ignored Range headers, stalls, a
// required token, hostile names in the listing, relative redirects like the Hub's resolve-cache.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace parley::test {

struct FakeFile {
  std::string content;
  bool lfs = false;
};

struct FakeRepo {
  std::string id;
  std::string commit;                      // 40 hex digits
  std::map<std::string, FakeFile> files;   // by name
};

// The files of a fixture folder as a repository; weights and SentencePiece models are LFS files, as
// the Hub's default .gitattributes makes them. The commit is derived from the id.
FakeRepo repo_from_folder(const std::string& id, const std::filesystem::path& folder);

std::string sha256_hex(const std::string& bytes);
std::string git_blob_sha1_hex(const std::string& bytes);

struct RequestRecord {
  std::string server;  // "hub" or "cdn"
  std::string method;
  std::string path;
  std::string range;          // the Range header, "" if none
  std::string authorization;  // the Authorization header, "" if none
};

class FakeHub {
 public:
  FakeHub();
  ~FakeHub();
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  std::string endpoint() const;  // http://127.0.0.1:PORT
  void add_repo(const FakeRepo& repo);

  // Faults for the next `times` GETs of a file's bytes (by file name, in any repository).
  void drop_connection(const std::string& file, uint64_t after_bytes, int times);
  void corrupt(const std::string& file, int times);
  void stall(const std::string& file, int stall_ms, int times);
  void ignore_range(bool on);
  void require_token(const std::string& token);
  void add_listed_name(const std::string& repo_id, const std::string& name);  // listed, never served
  // Non-LFS files answer HEAD and GET with 307 to /api/resolve-cache/... like the Hub does, and the CDN
  // moves LFS bytes once more, to /lfs-data/<sha256>, with a relative Location.
  void relative_redirects(bool on);
  void override_size(const std::string& file, uint64_t size);  // announce a wrong size in HEAD

  std::vector<RequestRecord> requests() const;
  // How many requests had this method and a path containing `part`.
  int count(const std::string& method, const std::string& part) const;
  void clear_requests();

 private:
  struct Fault {
    uint64_t after = 0;
    int ms = 0;
    int times = 0;
  };
  const FakeRepo* find_repo(const std::string& id, const std::string& revision, httplib::Response& res);
  void handle_listing(const httplib::Request& req, httplib::Response& res);
  void handle_resolve(const httplib::Request& req, httplib::Response& res, bool from_cache_path);
  void handle_cdn(const httplib::Request& req, httplib::Response& res, bool data_path);
  void serve_bytes(const httplib::Request& req, httplib::Response& res, const std::string& file,
                   const std::string& content);
  bool authorized(const httplib::Request& req, httplib::Response& res);
  void record(const std::string& server, const httplib::Request& req);
  bool take(std::map<std::string, Fault>& faults, const std::string& file, Fault& out);

  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);  // ends stalls
  std::unique_ptr<httplib::Server> hub_, cdn_;
  std::thread hub_thread_, cdn_thread_;
  int hub_port_ = 0, cdn_port_ = 0;

  mutable std::mutex mu_;
  std::map<std::string, FakeRepo> repos_;
  std::map<std::string, std::vector<std::string>> extra_names_;
  std::map<std::string, Fault> drops_, corruptions_, stalls_;
  std::map<std::string, uint64_t> size_overrides_;
  bool ignore_range_ = false;
  bool relative_redirects_ = false;
  std::string token_;
  std::vector<RequestRecord> log_;
};

}  // namespace parley::test
