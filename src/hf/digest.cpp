#include "hf/digest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <openssl/evp.h>

#include "core/error.h"

namespace parley::hub {

namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

class FileDescriptor {
 public:
  explicit FileDescriptor(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) fail(ErrorKind::Internal, "cannot read " + path.string() + ": " + std::strerror(errno));
  }
  ~FileDescriptor() { ::close(fd_); }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Feeds `prefix` then the whole file to a digest and returns it in hex.
std::string digest_file(const std::filesystem::path& path, const EVP_MD* md, bool git_blob_prefix) {
  FileDescriptor fd(path);
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) fail(ErrorKind::Internal, "OpenSSL digest init failed");
  if (git_blob_prefix) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail(ErrorKind::Internal, "cannot stat " + path.string());
    std::string prefix = "blob " + std::to_string(st.st_size);
    EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size() + 1);  // with the terminating NUL
  }
  std::vector<unsigned char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(ErrorKind::Internal, "cannot read " + path.string() + ": " + std::strerror(errno));
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) fail(ErrorKind::Internal, "OpenSSL digest failed");
  static const char* hex = "0123456789abcdef";
  std::string text;
  for (unsigned int i = 0; i < len; ++i) {
    text += hex[out[i] >> 4];
    text += hex[out[i] & 15];
  }
  return text;
}

}  // namespace

std::string sha256_file_hex(const std::filesystem::path& path) { return digest_file(path, EVP_sha256(), false); }

std::string git_blob_sha1_file_hex(const std::filesystem::path& path) {
  return digest_file(path, EVP_sha1(), true);
}

}  // namespace parley::hub
