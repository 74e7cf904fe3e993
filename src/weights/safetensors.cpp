// safetensors: 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
// and byte range, then the raw data. https://github.com/huggingface/safetensors (format only).

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "core/printable.h"
#include "weights/weights.h"

namespace parley {

namespace {

constexpr uint64_t kMaxHeader = 100u << 20;  // the format's own limit
constexpr uint64_t kMaxElements = uint64_t{1} << 59;  // times 8 bytes, still below 2^63

bool parse_dtype(const std::string& s, DType& out) {
  static const std::pair<const char*, DType> table[] = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F64", DType::F64}, {"I64", DType::I64},
      {"I32", DType::I32}, {"I16", DType::I16}, {"I8", DType::I8},     {"U8", DType::U8},   {"BOOL", DType::Bool}};
  for (auto& [name, t] : table)
    if (s == name) {
      out = t;
      return true;
    }
  return false;
}

}  // namespace

Weights parse_safetensors(const uint8_t* data, size_t size, std::shared_ptr<const void> owner,
                          const std::string& source) {
  if (size < 8) bad_model(source + ": too short to be a safetensors file (" + std::to_string(size) + " bytes)");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | data[i];
  if (header_len > kMaxHeader || header_len > size - 8)
    bad_model(source + ": safetensors header length " + std::to_string(header_len) + " is past the end of the file (" +
              std::to_string(size) + " bytes)");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data + 8, data + 8 + header_len);
  } catch (const nlohmann::json::exception&) {
    bad_model(source + ": safetensors header is not valid JSON");
  }
  if (!header.is_object()) bad_model(source + ": safetensors header is not a JSON object");
  const uint8_t* body = data + 8 + header_len;
  const uint64_t body_size = size - 8 - header_len;

  Weights w;
  w.set_source(source);
  for (auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = source + ": tensor '" + printable(name) + "'";
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
      bad_model(where + " lacks dtype, shape or data_offsets");
    RawTensor t;
    if (!info["dtype"].is_string() || !parse_dtype(info["dtype"].get<std::string>(), t.dtype))
      bad_model(where + " has an unknown dtype");
    const auto& shape = info["shape"];
    if (!shape.is_array() || shape.size() > 8) bad_model(where + " has a malformed shape");
    // Every dimension and the product of the non-zero ones stay far below 2^63 bytes, so no later
    // product of dimensions (whatever a model multiplies) can overflow, even when one is zero.
    uint64_t numel = 1, nonzero = 1;
    for (const auto& d : shape) {
      if (!d.is_number_unsigned()) bad_model(where + " has a negative or non-integer dimension");
      const uint64_t v = d.get<uint64_t>();
      if (v > kMaxElements || (v != 0 && nonzero > kMaxElements / v)) bad_model(where + " has an impossible size");
      if (v != 0) nonzero *= v;
      numel *= v;
      t.shape.push_back(static_cast<int64_t>(v));
    }
    const auto& off = info["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      bad_model(where + " has malformed data_offsets");
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > body_size)
      bad_model(where + " has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                "] outside the data (" + std::to_string(body_size) + " bytes)");
    if (end - begin != numel * dtype_size(t.dtype))
      bad_model(where + " holds " + std::to_string(end - begin) + " bytes, but its shape and dtype need " +
                std::to_string(numel * dtype_size(t.dtype)));
    t.data = body + begin;
    t.nbytes = end - begin;
    w.add(name, t);
  }
  w.keep_alive(std::move(owner));
  return w;
}

Weights read_safetensors(const std::filesystem::path& file) {
  auto mapped = std::make_shared<MappedFile>(file);
  const uint8_t* data = mapped->data();
  size_t size = mapped->size();
  Weights w = parse_safetensors(data, size, std::move(mapped), file.string());
  w.mark_file_backed();
  return w;
}

}  // namespace parley
