// A read-only view of a ZIP archive held in memory (a memory-mapped torch.save file).
//
// The central directory (ZIP64 included) is parsed here, with every offset and size checked against
// the buffer, so that stored entries can be used in place without copying: that is what lets a
// multi-gigabyte pytorch_model.bin be memory-mapped like a safetensors file. libzip cannot say where
// an entry's bytes start, so it is used only to inflate the rare compressed entry.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

class ZipReader {
 public:
  struct Entry {
    std::string name;
    uint16_t method = 0;        // 0 stored, 8 deflated
    uint64_t packed_size = 0;   // bytes in the archive
    uint64_t size = 0;          // bytes once unpacked
    uint64_t data_offset = 0;   // where the packed bytes start in the buffer
  };

  // Parses the directory of `data[0, size)`, which must outlive the reader. Throws Error(BadModel)
  // naming `source` when the bytes are not a well-formed, single-disk, unencrypted archive, when
  // any entry lies outside the buffer, or when two entries share a name.
  ZipReader(const uint8_t* data, size_t size, std::string source);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  const std::vector<Entry>& entries() const { return entries_; }
  // nullptr when there is no such entry.
  const Entry* find(const std::string& name) const;

  // An entry's unpacked bytes. Stored entries are returned in place; deflated ones are inflated
  // into a buffer that is appended to `keep` (the caller keeps it alive as long as the view).
  // Inflated bytes are limited in total (see kMaxInflatedBytes) so that a small file cannot
  // expand into an unbounded amount of memory.
  std::string_view read(const Entry& e, std::vector<std::shared_ptr<const void>>& keep);

  static constexpr uint64_t kMaxInflatedBytes = uint64_t{2} << 30;

 private:
  void parse_directory();
  std::string inflate(const Entry& e);

  const uint8_t* data_;
  size_t size_;
  std::string source_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t> by_name_;
  uint64_t inflated_ = 0;
  void* libzip_ = nullptr;  // zip_t*, opened on first use
};

}  // namespace parley
