#include "builders.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"

namespace parley::test {

namespace {

uint32_t crc32(const std::string& s) {
  uint32_t c = 0xffffffffu;
  for (unsigned char ch : s) {
    c ^= ch;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void put16(std::string& s, uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void put32(std::string& s, uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}
void put64(std::string& s, uint64_t v) {
  put32(s, static_cast<uint32_t>(v));
  put32(s, static_cast<uint32_t>(v >> 32));
}

}  // namespace

std::string make_zip(const std::vector<std::pair<std::string, std::string>>& entries, const ZipOptions& options) {
  std::string out, central;
  for (const auto& [name, data] : entries) {
    const uint64_t local = out.size();
    const uint32_t crc = crc32(data);
    const uint32_t small_size = options.zip64 ? 0xffffffffu : static_cast<uint32_t>(data.size());
    // local header, padded with an extra field so the data lands on an aligned offset
    std::string header;
    put32(header, 0x04034b50);
    put16(header, options.zip64 ? 45 : 20);
    put16(header, 0);  // flags
    put16(header, 0);  // stored
    put32(header, 0);  // time, date
    put32(header, crc);
    put32(header, small_size);
    put32(header, small_size);
    put16(header, static_cast<uint32_t>(name.size()));
    size_t extra = options.zip64 ? 20 : 0;
    size_t end = local + 30 + name.size() + extra;
    if (options.align > 1 && end % options.align) extra += 4 + (options.align - (end + 4) % options.align) % options.align;
    put16(header, static_cast<uint32_t>(extra));
    header += name;
    if (options.zip64) {
      put16(header, 1);
      put16(header, 16);
      put64(header, data.size());
      put64(header, data.size());
      extra -= 20;
    }
    if (extra) {
      put16(header, 0xcafe);  // padding field
      put16(header, static_cast<uint32_t>(extra - 4));
      header.append(extra - 4, '\0');
    }
    out += header + data;
    // central directory record
    put32(central, 0x02014b50);
    put16(central, options.zip64 ? 45 : 20);
    put16(central, options.zip64 ? 45 : 20);
    put16(central, 0);
    put16(central, 0);
    put32(central, 0);
    put32(central, crc);
    put32(central, small_size);
    put32(central, small_size);
    put16(central, static_cast<uint32_t>(name.size()));
    put16(central, options.zip64 ? 28 : 0);
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, 0);  // external attributes
    put32(central, options.zip64 ? 0xffffffffu : static_cast<uint32_t>(local));
    central += name;
    if (options.zip64) {
      put16(central, 1);
      put16(central, 24);
      put64(central, data.size());
      put64(central, data.size());
      put64(central, local);
    }
  }
  const uint64_t dir_offset = out.size();
  out += central;
  if (options.zip64) {
    const uint64_t record = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);
    put16(out, 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, entries.size());
    put64(out, entries.size());
    put64(out, central.size());
    put64(out, dir_offset);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, record);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, options.zip64 ? 0xffff : static_cast<uint32_t>(entries.size()));
  put16(out, options.zip64 ? 0xffff : static_cast<uint32_t>(entries.size()));
  put32(out, options.zip64 ? 0xffffffffu : static_cast<uint32_t>(central.size()));
  put32(out, options.zip64 ? 0xffffffffu : static_cast<uint32_t>(dir_offset));
  put16(out, 0);
  return out;
}

Pickle& Pickle::u32(uint32_t v) {
  put32(bytes, v);
  return *this;
}

Pickle& Pickle::integer(int64_t v) {
  if (v >= 0 && v < 256) return op('K').byte(static_cast<uint8_t>(v));
  if (v >= 0 && v < 65536) {
    op('M');
    put16(bytes, static_cast<uint32_t>(v));
    return *this;
  }
  if (v >= INT32_MIN && v <= INT32_MAX) return op('J').u32(static_cast<uint32_t>(v));
  op(0x8a).byte(8);
  put64(bytes, static_cast<uint64_t>(v));
  return *this;
}

Pickle& Pickle::ints(const std::vector<int64_t>& v) {
  mark();
  for (int64_t x : v) integer(x);
  return tuple();
}

std::string state_dict_pickle(const std::vector<FakeTensor>& tensors, bool stop) {
  Pickle p;
  p.proto().ordered_dict().mark();
  for (const FakeTensor& t : tensors) {
    std::vector<int64_t> stride = t.stride;
    if (stride.empty()) {
      stride.assign(t.shape.size(), 1);
      for (size_t d = t.shape.size(); d-- > 1;)  // wraps for the absurd shapes of hostile tests
        stride[d - 1] = static_cast<int64_t>(static_cast<uint64_t>(stride[d]) * static_cast<uint64_t>(t.shape[d]));
    }
    p.str(t.name).global("torch._utils", "_rebuild_tensor_v2").mark();
    p.mark().str("storage").global("torch", t.storage_type).str(t.key).str("cpu").integer(t.storage_numel).tuple().op('Q');
    p.integer(t.offset).ints(t.shape).ints(stride).op(0x89).ordered_dict().tuple().reduce();
  }
  p.op('u');
  if (stop) p.stop();
  return p.bytes;
}

std::string torch_archive(const std::string& pickle, const std::vector<std::pair<std::string, std::string>>& storages,
                          const ZipOptions& options) {
  std::vector<std::pair<std::string, std::string>> entries{{"archive/data.pkl", pickle}};
  for (const auto& [key, data] : storages) entries.emplace_back("archive/data/" + key, data);
  entries.emplace_back("archive/version", "3\n");
  return make_zip(entries, options);
}

std::string f32_bytes(const std::vector<float>& v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

std::string f16_bytes(const std::vector<uint16_t>& v) {
  std::string s(v.size() * 2, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

std::string make_safetensors(const std::string& header_json, const std::string& body) {
  std::string out;
  put64(out, header_json.size());
  return out + header_json + body;
}

namespace {

template <typename Parse>
Weights parse_exact(const std::string& bytes, const std::string& source, Parse parse) {
  auto buf = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
  const uint8_t* data = buf->data();
  const size_t size = buf->size();
  return parse(data, size, std::move(buf), source);
}

}  // namespace

Weights parse_bin(const std::string& bytes, const std::string& source) {
  return parse_exact(bytes, source, parse_torch_bin);
}

Weights parse_st(const std::string& bytes, const std::string& source) {
  return parse_exact(bytes, source, parse_safetensors);
}

std::string bad_model_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadModel) << e.what();
    const std::string msg = e.what();
    for (unsigned char c : msg) EXPECT_GE(c, 0x20) << "a control byte in the message: " << msg;
    return msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw something other than parley::Error: " << e.what();
    return "";
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

}  // namespace parley::test
