#include "cli/output_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace parley::cli {

namespace fs = std::filesystem;

namespace {

// What the signal handler may touch: plain arrays and atomics, filled in before they are published.
struct InterruptSlot {
  std::atomic<bool> used{false};
  std::atomic<bool> keep{false};
  std::atomic<int> fd{-1};
  char temp[PATH_MAX] = {};
  char target[PATH_MAX] = {};
  char header[2][256] = {};
  std::atomic<int> header_len[2] = {0, 0};
  std::atomic<long long> length[2] = {0, 0};  // the file's length that header describes
  std::atomic<int> current{-1};  // which header buffer is complete
};

constexpr int kSlots = 4;
InterruptSlot g_slots[kSlots];

void on_interrupt(int sig) {
  for (InterruptSlot& s : g_slots) {
    if (!s.used.load()) continue;
    const int fd = s.fd.load();
    const int h = s.current.load();  // a header is set once there is audio to keep
    if (!s.keep.load() || h < 0) {
      if (s.temp[0]) ::unlink(s.temp);
      continue;
    }
    if (fd >= 0) {
      // The file becomes exactly what the header describes: bytes written after it was set go, and
      // a write it already counts but the signal cut short is completed with zeros.
      (void)!::ftruncate(fd, static_cast<off_t>(s.length[h].load()));
      (void)!::pwrite(fd, s.header[h], static_cast<size_t>(s.header_len[h].load()), 0);
    }
    if (s.temp[0]) ::rename(s.temp, s.target);
  }
  _exit(sig == SIGINT ? 130 : 128 + sig);
}

int take_slot() {
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (g_slots[i].used.compare_exchange_strong(expected, true)) return i;
  }
  return -1;  // more outputs than slots: still written, just not cleaned up on Ctrl-C
}

void copy_path(char (&to)[PATH_MAX], const std::string& from) {
  std::snprintf(to, sizeof to, "%s", from.size() < PATH_MAX ? from.c_str() : "");
}

[[noreturn]] void cannot_write(const std::string& name, const std::string& why, ErrorKind kind = ErrorKind::Internal) {
  fail(kind, "cannot write " + name + ": " + why);
}

// `path` with its symbolic links followed (a link to a file that does not exist yet names that file).
fs::path follow_links(const std::string& name) {
  fs::path p = name;
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) return p;
    const fs::path to = fs::read_symlink(p, ec);
    if (ec) cannot_write(name, ec.message());
    p = to.is_absolute() ? to : p.parent_path() / to;
  }
  cannot_write(name, "too many levels of symbolic links");
}

void write_all(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) cannot_write(name, std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

OutputFile::OutputFile(const std::string& path) : name_(path) {
  if (path == "-") return;
  if (path.empty()) cannot_write("''", "empty file name", ErrorKind::InvalidArgument);
  target_ = follow_links(path).string();
  struct stat st {};
  if (::stat(target_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) cannot_write(path, "it is a folder", ErrorKind::BadInput);
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
      if (::access(target_.c_str(), W_OK) != 0) cannot_write(path, std::strerror(errno));
      mode_ = Mode::Direct;  // opened at the first write: a FIFO's open waits for its reader
      return;
    }
    if (!S_ISREG(st.st_mode)) cannot_write(path, "not a regular file, FIFO or character device", ErrorKind::BadInput);
    if (::access(target_.c_str(), W_OK) != 0) cannot_write(path, std::strerror(errno));
  } else if (errno != ENOENT) {
    cannot_write(path, std::strerror(errno));
  }
  const fs::path target(target_);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) cannot_write(path, "no folder " + dir.string(), ErrorKind::NotFound);
  std::string temp = (dir / ("." + target.filename().string() + ".parley-XXXXXX")).string();
  fd_ = ::mkstemp(temp.data());
  if (fd_ < 0) cannot_write(path, std::strerror(errno));
  temp_ = temp;
  mode_ = Mode::Replace;
  // The new file gets the old one's permissions, or what a plain create would give.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, st.st_mode ? (st.st_mode & 07777) : (0666 & ~mask));
  slot_ = take_slot();
  if (slot_ >= 0) {
    InterruptSlot& s = g_slots[slot_];
    copy_path(s.temp, temp_);
    copy_path(s.target, target_);
    s.fd.store(fd_);
  }
}

OutputFile::~OutputFile() {
  if (slot_ >= 0) {
    InterruptSlot& s = g_slots[slot_];
    s.keep.store(false);
    s.current.store(-1);
    s.fd.store(-1);
    s.temp[0] = '\0';
    s.used.store(false);
  }
  if (fd_ >= 0) ::close(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

void OutputFile::open_direct() {
  fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) cannot_write(name_, std::strerror(errno));
}

void OutputFile::write(std::string_view bytes) {
  if (bytes.empty()) return;  // (an empty view's data() may be null, which fwrite must not be given)
  if (mode_ == Mode::Stdout) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0)
      cannot_write("stdout", std::strerror(errno));
    return;
  }
  if (fd_ < 0) open_direct();
  write_all(fd_, bytes, name_);
  written_ += bytes.size();
}

void OutputFile::set_header(std::string_view header, std::optional<uint64_t> file_length) {
  if (mode_ != Mode::Replace) return;
  header_ = header;
  if (slot_ < 0 || header.size() > sizeof(g_slots[0].header[0])) return;
  InterruptSlot& s = g_slots[slot_];
  const int next = s.current.load() == 0 ? 1 : 0;
  std::memcpy(s.header[next], header.data(), header.size());
  s.header_len[next].store(static_cast<int>(header.size()));
  s.length[next].store(static_cast<long long>(file_length.value_or(written_)));
  s.current.store(next);
}

void OutputFile::keep_partial() {
  if (slot_ >= 0) g_slots[slot_].keep.store(true);
}

void OutputFile::commit() {
  if (mode_ == Mode::Stdout) return write({});
  if (fd_ < 0) open_direct();  // an empty result still reaches a FIFO's reader as end of file
  if (!header_.empty() && ::pwrite(fd_, header_.data(), header_.size(), 0) < 0) cannot_write(name_, std::strerror(errno));
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) cannot_write(name_, std::strerror(errno));
  if (mode_ != Mode::Replace) return;
  if (::rename(temp_.c_str(), target_.c_str()) != 0) cannot_write(name_, std::strerror(errno));
  temp_.clear();
}

void write_output(const std::string& path, std::string_view bytes) {
  OutputFile out(path);
  out.write(bytes);
  out.commit();
}

}  // namespace parley::cli
