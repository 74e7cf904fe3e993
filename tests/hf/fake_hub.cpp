#include "fake_hub.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include <httplib.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

namespace parley::test {

namespace fs = std::filesystem;

namespace {

std::string digest_hex(const EVP_MD* md, const std::string& bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr);
  std::string hex;
  const char* digits = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    hex += digits[out[i] >> 4];
    hex += digits[out[i] & 15];
  }
  return hex;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int start(httplib::Server& server, std::thread& thread) {
  server.set_keep_alive_timeout(1);
  int port = server.bind_to_any_port("127.0.0.1");
  thread = std::thread([&server] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port;
}

// A provider that sends `send` bytes of `body`, optionally waits, then fails: the server closes the
// connection in the middle of the announced length, as a network drop does.
httplib::ContentProvider failing_provider(std::string body, size_t send, int wait_ms,
                                         std::shared_ptr<std::atomic<bool>> stopping) {
  return [body = std::move(body), send, wait_ms, stopping](size_t offset, size_t, httplib::DataSink& sink) {
    if (offset < send) {
      sink.write(body.data() + offset, send - offset);
      return true;
    }
    for (int waited = 0; waited < wait_ms && !*stopping; waited += 20)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return false;
  };
}

}  // namespace

std::string sha256_hex(const std::string& bytes) { return digest_hex(EVP_sha256(), bytes); }

std::string git_blob_sha1_hex(const std::string& bytes) {
  std::string object = "blob " + std::to_string(bytes.size());
  object.push_back('\0');
  return digest_hex(EVP_sha1(), object + bytes);
}

FakeRepo repo_from_folder(const std::string& id, const fs::path& folder) {
  FakeRepo repo;
  repo.id = id;
  repo.commit = git_blob_sha1_hex("commit of " + id);
  for (const auto& entry : fs::directory_iterator(folder)) {
    std::string name = entry.path().filename().string();
    std::string ext = entry.path().extension().string();
    bool lfs = ext == ".safetensors" || ext == ".bin" || ext == ".model" || ext == ".h5" || ext == ".msgpack";
    repo.files[name] = FakeFile{slurp(entry.path()), lfs};
  }
  return repo;
}

FakeHub::FakeHub() : hub_(std::make_unique<httplib::Server>()), cdn_(std::make_unique<httplib::Server>()) {
  hub_->Get(R"(/api/models/([^/]+)/([^/]+)/revision/(.+))",
            [this](const httplib::Request& req, httplib::Response& res) { handle_listing(req, res); });
  hub_->Get(R"(/api/resolve-cache/models/([^/]+)/([^/]+)/([^/]+)/(.+))",
            [this](const httplib::Request& req, httplib::Response& res) { handle_resolve(req, res, true); });
  hub_->Get(R"(/([^/]+)/([^/]+)/resolve/([^/]+)/(.+))",
            [this](const httplib::Request& req, httplib::Response& res) { handle_resolve(req, res, false); });
  cdn_->Get(R"(/lfs/([0-9a-f]{64}))", [this](const httplib::Request& req, httplib::Response& res) {
    handle_cdn(req, res, false);
  });
  cdn_->Get(R"(/lfs-data/([0-9a-f]{64}))", [this](const httplib::Request& req, httplib::Response& res) {
    handle_cdn(req, res, true);
  });
  hub_port_ = start(*hub_, hub_thread_);
  cdn_port_ = start(*cdn_, cdn_thread_);
}

FakeHub::~FakeHub() {
  *stopping_ = true;
  hub_->stop();
  cdn_->stop();
  hub_thread_.join();
  cdn_thread_.join();
}

std::string FakeHub::endpoint() const { return "http://127.0.0.1:" + std::to_string(hub_port_); }

void FakeHub::add_repo(const FakeRepo& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  repos_[repo.id] = repo;
}

void FakeHub::drop_connection(const std::string& file, uint64_t after_bytes, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  drops_[file] = Fault{after_bytes, 0, times};
}
void FakeHub::corrupt(const std::string& file, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  corruptions_[file] = Fault{0, 0, times};
}
void FakeHub::stall(const std::string& file, int stall_ms, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  stalls_[file] = Fault{0, stall_ms, times};
}
void FakeHub::ignore_range(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  ignore_range_ = on;
}
void FakeHub::require_token(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  token_ = token;
}
void FakeHub::add_listed_name(const std::string& repo_id, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  extra_names_[repo_id].push_back(name);
}
void FakeHub::relative_redirects(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  relative_redirects_ = on;
}
void FakeHub::override_size(const std::string& file, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  size_overrides_[file] = size;
}

std::vector<RequestRecord> FakeHub::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

int FakeHub::count(const std::string& method, const std::string& part) const {
  int n = 0;
  for (const auto& r : requests())
    if (r.method == method && r.path.find(part) != std::string::npos) ++n;
  return n;
}

void FakeHub::clear_requests() {
  std::lock_guard<std::mutex> lock(mu_);
  log_.clear();
}

void FakeHub::record(const std::string& server, const httplib::Request& req) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.push_back({server, req.method, req.path, req.get_header_value("Range"), req.get_header_value("Authorization")});
}

bool FakeHub::take(std::map<std::string, Fault>& faults, const std::string& file, Fault& out) {
  auto it = faults.find(file);
  if (it == faults.end() || it->second.times <= 0) return false;
  --it->second.times;
  out = it->second;
  return true;
}

// As the Hub: without the right token a gated repository answers 401 with X-Error-Code GatedRepo.
bool FakeHub::authorized(const httplib::Request& req, httplib::Response& res) {
  std::string token;
  {
    std::lock_guard<std::mutex> lock(mu_);
    token = token_;
  }
  if (token.empty() || req.get_header_value("Authorization") == "Bearer " + token) return true;
  res.status = 401;
  res.set_header("X-Error-Code", "GatedRepo");
  res.set_header("X-Error-Message", "Access to this model is restricted. You must be authenticated.");
  res.set_content("{\"error\":\"gated\"}", "application/json");
  return false;
}

// The repository at a revision ("main" or its commit), or a 404 with the Hub's X-Error-Code. Needs mu_.
const FakeRepo* FakeHub::find_repo(const std::string& id, const std::string& revision, httplib::Response& res) {
  auto it = repos_.find(id);
  const char* error = it == repos_.end()                                         ? "RepoNotFound"
                      : revision != "main" && revision != it->second.commit ? "RevisionNotFound"
                                                                                 : nullptr;
  if (!error) return &it->second;
  res.status = 404;
  res.set_header("X-Error-Code", error);
  return nullptr;
}

void FakeHub::handle_listing(const httplib::Request& req, httplib::Response& res) {
  record("hub", req);
  if (!authorized(req, res)) return;
  std::string id = req.matches[1].str() + "/" + req.matches[2].str();
  std::lock_guard<std::mutex> lock(mu_);
  const FakeRepo* repo = find_repo(id, req.matches[3], res);
  if (!repo) return;
  nlohmann::json siblings = nlohmann::json::array();
  for (const auto& [name, file] : repo->files) siblings.push_back({{"rfilename", name}});
  for (const auto& name : extra_names_[id]) siblings.push_back({{"rfilename", name}});
  nlohmann::json body = {{"id", id}, {"modelId", id}, {"sha", repo->commit}, {"private", false},
                         {"siblings", siblings}};
  res.set_content(body.dump(), "application/json");
}

void FakeHub::handle_resolve(const httplib::Request& req, httplib::Response& res, bool from_cache_path) {
  record("hub", req);
  if (!authorized(req, res)) return;
  std::string id = req.matches[1].str() + "/" + req.matches[2].str();
  std::string name = req.matches[4];
  std::unique_lock<std::mutex> lock(mu_);
  const FakeRepo* found = find_repo(id, req.matches[3], res);
  if (!found) return;
  const FakeRepo& repo = *found;
  res.set_header("X-Repo-Commit", repo.commit);
  auto file = repo.files.find(name);
  if (file == repo.files.end()) {
    res.status = 404;
    res.set_header("X-Error-Code", "EntryNotFound");
    return;
  }
  const std::string content = file->second.content;
  std::string size = std::to_string(content.size());
  if (auto o = size_overrides_.find(name); o != size_overrides_.end()) size = std::to_string(o->second);
  if (file->second.lfs) {
    std::string sha = sha256_hex(content);
    res.status = 302;
    res.set_header("Location", "http://localhost:" + std::to_string(cdn_port_) + "/lfs/" + sha + "?signature=x");
    res.set_header("ETag", "\"" + sha + "\"");
    res.set_header("X-Linked-Etag", "\"" + sha + "\"");
    res.set_header("X-Linked-Size", size);
    return;
  }
  if (relative_redirects_ && !from_cache_path) {
    res.status = 307;
    res.set_header("Location", "/api/resolve-cache/models/" + id + "/" + repo.commit + "/" + name + "?etag=x");
    return;
  }
  res.set_header("ETag", "\"" + git_blob_sha1_hex(content) + "\"");
  if (req.method == "HEAD") {
    res.set_header("Content-Length", size);  // httplib would use the body's size otherwise
    return;
  }
  lock.unlock();
  serve_bytes(req, res, name, content);
}

void FakeHub::handle_cdn(const httplib::Request& req, httplib::Response& res, bool data_path) {
  record("cdn", req);
  std::string sha = req.matches[1];
  bool redirect;
  {
    std::lock_guard<std::mutex> lock(mu_);
    redirect = relative_redirects_ && !data_path;
  }
  if (redirect) {  // a storage server that moves the bytes once more, with a relative Location
    res.status = 302;
    res.set_header("Location", "/lfs-data/" + sha);
    return;
  }
  std::string name, content;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, repo] : repos_)
      for (const auto& [file_name, file] : repo.files)
        if (file.lfs && sha256_hex(file.content) == sha) {
          name = file_name;
          content = file.content;
        }
  }
  if (name.empty()) {
    res.status = 404;
    return;
  }
  serve_bytes(req, res, name, content);
}

void FakeHub::serve_bytes(const httplib::Request& req, httplib::Response& res, const std::string& file,
                          const std::string& content) {
  // This server answers Range itself (faults need full control), so httplib's own range handling is
  // switched off: the Request object is the server's own, non-const, so the cast is well defined.
  const_cast<httplib::Request&>(req).ranges.clear();
  Fault drop, stall, unused;
  bool dropping, stalling, corrupting, ignore_range;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropping = take(drops_, file, drop);
    stalling = take(stalls_, file, stall);
    corrupting = take(corruptions_, file, unused);
    ignore_range = ignore_range_;
  }
  std::string body = content;
  if (corrupting) body[body.size() / 2] ^= 0x5a;
  size_t start = 0;
  std::string range = req.get_header_value("Range");
  res.set_header("Accept-Ranges", "bytes");
  if (!ignore_range && range.rfind("bytes=", 0) == 0 && range.back() == '-') {
    start = std::stoull(range.substr(6));
    if (start >= body.size()) {
      res.status = 416;
      res.set_header("Content-Range", "bytes */" + std::to_string(body.size()));
      return;
    }
    res.status = 206;
    res.set_header("Content-Range",
                   "bytes " + std::to_string(start) + "-" + std::to_string(body.size() - 1) + "/" + std::to_string(body.size()));
  } else {
    res.status = 200;
  }
  std::string slice = body.substr(start);
  if (dropping || stalling) {
    size_t send = dropping ? std::min<size_t>(drop.after, slice.size() - 1) : slice.size() / 2;
    size_t size = slice.size();
    res.set_content_provider(size, "application/octet-stream",
                             failing_provider(std::move(slice), send, stalling ? stall.ms : 0, stopping_));
    return;
  }
  res.set_content(slice, "application/octet-stream");
}

}  // namespace parley::test
