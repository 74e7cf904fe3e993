// Small file-system helpers with Parley's error conventions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace parley {

// Whole file as bytes; throws Error(NotFound) when missing, Error(BadInput) when unreadable.
std::string read_file(const std::filesystem::path& path);

// Writes through a temporary file in the same folder and renames it over `path`, so a reader never
// sees a half-written file.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// A read-only memory map of a whole file (empty files map to an empty view).
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace parley
