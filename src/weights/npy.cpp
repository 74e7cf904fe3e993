#include "weights/npy.h"

#include <cstring>
#include <limits>
#include <regex>

#include "core/error.h"
#include "core/files.h"
#include "core/printable.h"

namespace parley {

namespace {

// Extracts 'key': value from the header's Python dict literal.
std::string dict_value(const std::string& header, const std::string& key) {
  const std::string k = "'" + key + "':";
  size_t p = header.find(k);
  if (p == std::string::npos) return {};
  p += k.size();
  while (p < header.size() && header[p] == ' ') ++p;
  if (p >= header.size()) return {};
  char open = header[p];
  char close = open == '(' ? ')' : open == '\'' ? '\'' : 0;
  if (close) {
    size_t e = header.find(close, p + 1);
    return e == std::string::npos ? std::string() : header.substr(p, e - p + 1);
  }
  size_t e = header.find_first_of(",}", p);
  return e == std::string::npos ? std::string() : header.substr(p, e - p);
}

}  // namespace

Tensor parse_npy(std::string_view bytes, const std::string& source) {
  auto bad = [&](const std::string& why) -> Error { return Error(ErrorKind::BadInput, source + ": " + why); };
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") throw bad("not a .npy file");
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw bad("truncated .npy header");
    header_len = 0;
    for (int i = 11; i >= 8; --i) header_len = (header_len << 8) | static_cast<uint8_t>(bytes[i]);
    header_start = 12;
  } else {
    throw bad("unsupported .npy version " + std::to_string(major));
  }
  if (header_len > bytes.size() - header_start) throw bad("truncated .npy header");
  const std::string header(bytes.substr(header_start, header_len));
  const std::string descr = dict_value(header, "descr");
  const std::string fortran = dict_value(header, "fortran_order");
  const std::string shape_s = dict_value(header, "shape");
  if (descr.size() < 4 || shape_s.empty() || fortran.empty()) throw bad("malformed .npy header");
  if (fortran.find("True") != std::string::npos) throw bad("Fortran-ordered arrays are not supported");
  const std::string type = descr.substr(1, descr.size() - 2);  // e.g. <f4, |b1
  if (type.size() < 3 || (type[0] != '<' && type[0] != '|' && type[0] != '=')) throw bad("big-endian or unknown dtype " + printable(type));
  const char kind = type[1];
  const int width = std::atoi(type.c_str() + 2);

  Shape shape;
  uint64_t numel = 1;
  static const std::regex num("[0-9]+");
  for (auto it = std::sregex_iterator(shape_s.begin(), shape_s.end(), num); it != std::sregex_iterator(); ++it) {
    const std::string d = it->str();
    if (d.size() > 12) throw bad("array dimension too large");
    const uint64_t v = std::stoull(d);
    if (v != 0 && numel > (1ull << 40) / v) throw bad("array too large");
    numel *= v;
    shape.push_back(static_cast<int64_t>(v));
  }
  const size_t data_start = header_start + header_len;
  const uint64_t need = numel * static_cast<uint64_t>(width);
  if (width <= 0 || width > 8 || bytes.size() - data_start < need)
    throw bad("holds " + std::to_string(bytes.size() - data_start) + " data bytes, its header promises " +
              std::to_string(need));
  const char* p = bytes.data() + data_start;
  Tensor t(shape);
  float* out = t.data();
  for (uint64_t i = 0; i < numel; ++i, p += width) {
    float v;
    if (kind == 'f' && width == 4) {
      std::memcpy(&v, p, 4);
    } else if (kind == 'f' && width == 8) {
      double d;
      std::memcpy(&d, p, 8);
      v = static_cast<float>(d);
    } else if (kind == 'f' && width == 2) {
      uint16_t h;
      std::memcpy(&h, p, 2);
      // half -> float via the exponent rebias (normal numbers; subnormals flush towards 0)
      const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
      uint32_t bits = exp == 0 ? sign : exp == 31 ? (sign | 0x7f800000u | (mant << 13))
                                                  : (sign | ((exp + 112) << 23) | (mant << 13));
      std::memcpy(&v, &bits, 4);
    } else if ((kind == 'i' || kind == 'u' || kind == 'b') && (width == 1 || width == 2 || width == 4 || width == 8)) {
      int64_t iv = 0;
      uint64_t uv = 0;
      std::memcpy(&uv, p, width);
      if (kind == 'i' && width < 8 && (uv >> (8 * width - 1)) & 1) uv |= ~0ull << (8 * width);
      iv = static_cast<int64_t>(uv);
      v = kind == 'u' ? static_cast<float>(uv) : static_cast<float>(iv);
    } else {
      throw bad("unsupported dtype " + printable(type));
    }
    out[i] = v;
  }
  return t;
}

Tensor read_npy(const std::filesystem::path& file) { return parse_npy(read_file(file), file.string()); }

std::string encode_npy(const Tensor& t) {
  std::string shape = "(";
  for (int i = 0; i < t.ndim(); ++i) shape += (i ? ", " : "") + std::to_string(t.dim(i));
  shape += t.ndim() == 1 ? ",)" : ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(t.data()), t.numel() * sizeof(float));
  return out;
}

void write_npy(const std::filesystem::path& file, const Tensor& t) { write_file_atomic(file, encode_npy(t)); }

}  // namespace parley
