// ZIP directory parsing (APPNOTE.TXT 6.3: end of central directory, ZIP64 locator and record,
// central directory headers, local headers). Every read below is preceded by a bounds check.
#include "weights/zip_reader.h"

#include <zip.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/printable.h"

namespace parley {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndSize = 56;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr size_t kMaxComment = 0xffff;
constexpr uint32_t kZip64Marker = 0xffffffffu;
// Deflate cannot expand by more than about 1032:1; a size claim beyond that is a lie.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) { return static_cast<uint32_t>(le16(p)) | (static_cast<uint32_t>(le16(p + 2)) << 16); }
uint64_t le64(const uint8_t* p) { return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32); }

struct Directory {
  uint64_t offset = 0, size = 0, count = 0;
  uint64_t end = 0;  // where the records after the directory start
};

// Finds the end-of-central-directory record, which sits at the very end, after an optional comment.
size_t find_end_record(const uint8_t* data, size_t size) {
  if (size < kEndSize) return SIZE_MAX;
  for (size_t back = 0; back <= kMaxComment && back <= size - kEndSize; ++back) {
    const size_t p = size - kEndSize - back;
    if (le32(data + p) == kEndSig && le16(data + p + 20) == back) return p;
  }
  return SIZE_MAX;
}

// ZIP64 extended information: 8-byte values for the fields that hold the 0xffffffff marker, in
// the order uncompressed size, compressed size, local header offset.
bool read_zip64_extra(const uint8_t* extra, size_t len, uint64_t& size, uint64_t& packed, uint64_t& local) {
  size_t i = 0;
  while (len - i >= 4) {
    const uint16_t id = le16(extra + i), n = le16(extra + i + 2);
    if (n > len - i - 4) return false;
    if (id == 1) {
      const uint8_t* f = extra + i + 4;
      size_t left = n;
      for (uint64_t* v : {&size, &packed, &local}) {
        if (*v != kZip64Marker) continue;
        if (left < 8) return false;
        *v = le64(f);
        f += 8;
        left -= 8;
      }
      return true;
    }
    i += 4 + n;
  }
  return size != kZip64Marker && packed != kZip64Marker && local != kZip64Marker;
}

}  // namespace

ZipReader::ZipReader(const uint8_t* data, size_t size, std::string source)
    : data_(data), size_(size), source_(std::move(source)) {
  parse_directory();
}

ZipReader::~ZipReader() {
  if (libzip_) zip_discard(static_cast<zip_t*>(libzip_));
}

const ZipReader::Entry* ZipReader::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

void ZipReader::parse_directory() {
  const std::string z = source_ + ": zip archive: ";
  const size_t end_pos = find_end_record(data_, size_);
  if (end_pos == SIZE_MAX) bad_model(source_ + ": not a zip archive, or a truncated one (no end-of-central-directory record)");
  const uint8_t* e = data_ + end_pos;
  uint64_t disk = le16(e + 4), dir_disk = le16(e + 6), disk_count = le16(e + 8);
  Directory dir{le32(e + 16), le32(e + 12), le16(e + 10), end_pos};
  if (end_pos >= kZip64LocatorSize && le32(e - kZip64LocatorSize) == kZip64LocatorSig) {
    const uint8_t* loc = e - kZip64LocatorSize;
    const uint64_t off = le64(loc + 8);
    const uint64_t limit = end_pos - kZip64LocatorSize;
    if (le32(loc + 4) != 0 || le32(loc + 16) != 1) bad_model(z + "spans several disks");
    if (off > limit || limit - off < kZip64EndSize || le32(data_ + off) != kZip64EndSig)
      bad_model(z + "ZIP64 end record is missing or outside the file");
    const uint8_t* r = data_ + off;
    disk = le32(r + 16);
    dir_disk = le32(r + 20);
    disk_count = le64(r + 24);
    dir = {le64(r + 48), le64(r + 40), le64(r + 32), off};
  }
  if (disk != 0 || dir_disk != 0 || disk_count != dir.count) bad_model(z + "spans several disks");
  if (dir.offset > dir.end || dir.size > dir.end - dir.offset)
    bad_model(z + "central directory (offset " + std::to_string(dir.offset) + ", " + std::to_string(dir.size) +
              " bytes) lies outside the file (" + std::to_string(size_) + " bytes)");
  if (dir.count > dir.size / kCentralSize)
    bad_model(z + "claims " + std::to_string(dir.count) + " entries, more than its directory can hold");

  const uint8_t* p = data_ + dir.offset;
  uint64_t left = dir.size;
  entries_.reserve(dir.count);
  for (uint64_t i = 0; i < dir.count; ++i) {
    const std::string which = z + "entry " + std::to_string(i);
    if (left < kCentralSize || le32(p) != kCentralSig) bad_model(which + " has a malformed directory record");
    const uint16_t flags = le16(p + 8), name_len = le16(p + 28), extra_len = le16(p + 30), comment_len = le16(p + 32);
    const uint64_t record = kCentralSize + uint64_t{name_len} + extra_len + comment_len;
    if (record > left) bad_model(which + " has a directory record past the end of the directory");
    Entry entry;
    entry.name.assign(reinterpret_cast<const char*>(p + kCentralSize), name_len);
    const std::string where = z + "entry '" + printable(entry.name) + "'";
    entry.method = le16(p + 10);
    entry.packed_size = le32(p + 20);
    entry.size = le32(p + 24);
    uint64_t local = le32(p + 42);
    if (!read_zip64_extra(p + kCentralSize + name_len, extra_len, entry.size, entry.packed_size, local))
      bad_model(where + " lacks the ZIP64 sizes its record announces");
    if (flags & 1) bad_model(where + " is encrypted");
    if (entry.method != 0 && entry.method != 8)
      bad_model(where + " uses compression method " + std::to_string(entry.method) + " (only stored and deflated are read)");
    if (entry.method == 0 && entry.packed_size != entry.size)
      bad_model(where + " is stored but its sizes disagree (" + std::to_string(entry.packed_size) + " vs " +
                std::to_string(entry.size) + ")");
    if (local > size_ || size_ - local < kLocalSize || le32(data_ + local) != kLocalSig)
      bad_model(where + " has no local header at offset " + std::to_string(local));
    const uint8_t* lh = data_ + local;
    entry.data_offset = local + kLocalSize + le16(lh + 26) + le16(lh + 28);
    if (entry.data_offset > size_ || entry.packed_size > size_ - entry.data_offset)
      bad_model(where + " (" + std::to_string(entry.packed_size) + " bytes at offset " + std::to_string(entry.data_offset) +
                ") runs past the end of the file (" + std::to_string(size_) + " bytes)");
    if (le16(lh + 26) != name_len || std::memcmp(lh + kLocalSize, entry.name.data(), name_len) != 0)
      bad_model(where + " has a different name in its local header");
    // Two entries with one name would let two readers see two different files.
    if (!by_name_.emplace(entry.name, entries_.size()).second) bad_model(where + " appears twice");
    entries_.push_back(std::move(entry));
    p += record;
    left -= record;
  }
}

std::string_view ZipReader::read(const Entry& e, std::vector<std::shared_ptr<const void>>& keep) {
  if (e.method == 0) return {reinterpret_cast<const char*>(data_ + e.data_offset), static_cast<size_t>(e.size)};
  auto buffer = std::make_shared<std::string>(inflate(e));
  keep.push_back(buffer);
  return *buffer;
}

std::string ZipReader::inflate(const Entry& e) {
  const std::string where = source_ + ": zip archive: entry '" + printable(e.name) + "'";
  if (e.size > e.packed_size * kMaxDeflateRatio + 1024)
    bad_model(where + " claims " + std::to_string(e.size) + " bytes from " + std::to_string(e.packed_size) +
              " compressed ones, more than deflate can produce");
  if (e.size > kMaxInflatedBytes - inflated_)
    bad_model(where + ": compressed entries over " + std::to_string(kMaxInflatedBytes >> 30) +
              " GiB in total are not read (torch.save stores entries uncompressed)");
  if (e.name.find('\0') != std::string::npos) bad_model(where + " has a NUL byte in its name");
  zip_t* zip = static_cast<zip_t*>(libzip_);
  if (!zip) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(data_, size_, 0, &err);
    if (src) {
      zip = zip_open_from_source(src, ZIP_RDONLY, &err);
      if (!zip) zip_source_free(src);
    }
    if (!zip) {
      std::string why = zip_error_strerror(&err);
      zip_error_fini(&err);
      bad_model(source_ + ": zip archive: libzip cannot open it (" + why + ")");
    }
    libzip_ = zip;
  }
  const zip_int64_t index = zip_name_locate(zip, e.name.c_str(), ZIP_FL_ENC_RAW);
  zip_stat_t st;
  if (index < 0 || zip_stat_index(zip, static_cast<zip_uint64_t>(index), 0, &st) != 0 || st.size != e.size ||
      st.comp_size != e.packed_size || st.comp_method != e.method)
    bad_model(where + " is read differently by libzip");
  zip_file_t* f = zip_fopen_index(zip, static_cast<zip_uint64_t>(index), 0);
  if (!f) bad_model(where + " cannot be opened: " + zip_strerror(zip));
  std::string out;
  out.reserve(static_cast<size_t>(std::min<uint64_t>(e.size, 64u << 20)));
  char chunk[1 << 16];
  for (;;) {
    const zip_int64_t n = zip_fread(f, chunk, sizeof chunk);
    if (n < 0) {
      std::string why = zip_file_strerror(f);
      zip_fclose(f);
      bad_model(where + " cannot be inflated: " + why);
    }
    if (n == 0) break;
    if (static_cast<uint64_t>(n) > e.size - out.size()) {
      zip_fclose(f);
      bad_model(where + " inflates to more than the " + std::to_string(e.size) + " bytes it claims");
    }
    out.append(chunk, static_cast<size_t>(n));
  }
  zip_fclose(f);
  if (out.size() != e.size)
    bad_model(where + " inflates to " + std::to_string(out.size()) + " bytes, not the " + std::to_string(e.size) +
              " it claims");
  inflated_ += out.size();
  return out;
}

}  // namespace parley
