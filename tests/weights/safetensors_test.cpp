// The safetensors reader on files written here: values of each float dtype, and every way a
// header can lie.
#include <cmath>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "builders.h"
#include "common/test_util.h"
#include "core/error.h"
#include "weights/weights.h"

namespace parley {
namespace {

using test::bad_model_message;
using test::make_safetensors;
using test::parse_st;

#define EXPECT_BAD_ST(bytes, needle)                                                  \
  do {                                                                                \
    const std::string msg_ = bad_model_message([&] { parse_st(bytes); });             \
    EXPECT_NE(msg_.find(needle), std::string::npos) << "message: " << msg_;           \
  } while (0)

// One tensor `t` with this dtype, shape and byte range over `body`.
std::string one_tensor(const std::string& dtype, const std::string& shape, const std::string& offsets,
                       const std::string& body) {
  return make_safetensors(R"({"t":{"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":)" + offsets + "}}",
                          body);
}

TEST(Safetensors, FloatDtypesConvertExactly) {
  const std::string f32 = test::f32_bytes({1.5f, -2.25f, 1e-30f, 3e38f});
  // float16: 1, -2, 0.5, smallest subnormal (2^-24), 65504 (largest), +inf
  const std::string f16 = test::f16_bytes({0x3c00, 0xc000, 0x3800, 0x0001, 0x7bff, 0x7c00});
  // bfloat16: 1, -5, 2^-133 (subnormal)
  const std::string bf16 = test::f16_bytes({0x3f80, 0xc0a0, 0x0001});
  double f64v[2] = {0.1, -1e10};
  std::string f64(16, '\0');
  std::memcpy(f64.data(), f64v, 16);
  const std::string header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("h":{"dtype":"F16","shape":[6],"data_offsets":[16,28]},)"
      R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[28,34]},)"
      R"("d":{"dtype":"F64","shape":[1,2],"data_offsets":[34,50]}})";
  Weights w = parse_st(make_safetensors(header, f32 + f16 + bf16 + f64));
  EXPECT_EQ(w.names(), (std::vector<std::string>{"a", "b", "d", "h"}));
  Tensor a = w.get("a", {2, 2});
  EXPECT_EQ(a[0], 1.5f);
  EXPECT_EQ(a[1], -2.25f);
  EXPECT_EQ(a[2], 1e-30f);
  EXPECT_EQ(a[3], 3e38f);
  Tensor h = w.get("h", {6});
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], -2.0f);
  EXPECT_EQ(h[2], 0.5f);
  EXPECT_EQ(h[3], std::ldexp(1.0f, -24));
  EXPECT_EQ(h[4], 65504.0f);
  EXPECT_TRUE(std::isinf(h[5]) && h[5] > 0);
  Tensor b = w.get("b", {3});
  EXPECT_EQ(b[0], 1.0f);
  EXPECT_EQ(b[1], -5.0f);
  EXPECT_EQ(b[2], std::ldexp(1.0f, -133));
  Tensor d = w.get("d", {1, 2});
  EXPECT_EQ(d[0], 0.1f);
  EXPECT_EQ(d[1], -1e10f);
}

TEST(Safetensors, UnalignedFloat32IsCopied) {
  // A header length of 61 puts the data at byte 69: not 4-aligned, so it must be copied, not wrapped.
  std::string header = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  header.append(61 - header.size(), ' ');
  Weights w = parse_st(make_safetensors(header, test::f32_bytes({4, 5})));
  Tensor t = w.get("t");
  EXPECT_EQ(t[0], 4);
  EXPECT_EQ(t[1], 5);
}

TEST(Safetensors, WrongUseIsReported) {
  Weights w = parse_st(one_tensor("I64", "[1]", "[0,8]", std::string(8, '\0')));
  std::string msg = bad_model_message([&] { w.get("t"); });
  EXPECT_NE(msg.find("expected a float type"), std::string::npos) << msg;
  msg = bad_model_message([&] { w.get("t", {2}); });
  EXPECT_NE(msg.find("has shape [1], expected [2]"), std::string::npos) << msg;
  msg = bad_model_message([&] { w.get("missing"); });
  EXPECT_NE(msg.find("'missing' is missing"), std::string::npos) << msg;
}

TEST(Safetensors, TruncatedAtEveryLength) {
  const std::string file = one_tensor("F32", "[2,3]", "[0,24]", test::f32_bytes({1, 2, 3, 4, 5, 6}));
  parse_st(file);
  for (size_t n = 0; n < file.size(); ++n) {
    SCOPED_TRACE(n);
    bad_model_message([&] { parse_st(file.substr(0, n)); });
  }
}

TEST(Safetensors, HeaderLengthLies) {
  EXPECT_BAD_ST(std::string("\x10\0\0\0\0\0\0\0{}", 10), "past the end of the file");
  EXPECT_BAD_ST(std::string("\xff\xff\xff\xff\xff\xff\xff\xff{}", 10), "past the end of the file");
  std::string big(8, '\0');
  big[3] = 0x10;  // 256 MiB: over the format's own limit
  EXPECT_BAD_ST(big + std::string(1000, ' '), "header length");
  EXPECT_BAD_ST(std::string("1234567"), "too short");
}

TEST(Safetensors, OffsetsOutOfRange) {
  const std::string body = test::f32_bytes({1, 2});
  EXPECT_BAD_ST(one_tensor("F32", "[2]", "[0,12]", body), "outside the data (8 bytes)");
  EXPECT_BAD_ST(one_tensor("F32", "[2]", "[8,16]", body), "outside the data");
  EXPECT_BAD_ST(one_tensor("F32", "[0]", "[8,4]", body), "outside the data");
  EXPECT_BAD_ST(one_tensor("F32", "[2]", "[18446744073709551608,18446744073709551615]", body), "outside the data");
  EXPECT_BAD_ST(one_tensor("F32", "[2]", "[-8,0]", body), "malformed data_offsets");
  EXPECT_BAD_ST(one_tensor("F32", "[2]", "[0]", body), "malformed data_offsets");
  EXPECT_BAD_ST(one_tensor("F32", "[2]", "[0,8.0]", body), "malformed data_offsets");
}

TEST(Safetensors, SizeAndDtypeLies) {
  const std::string body = test::f32_bytes({1, 2, 3, 4});
  EXPECT_BAD_ST(one_tensor("F32", "[2,2]", "[0,8]", body), "holds 8 bytes, but its shape and dtype need 16");
  EXPECT_BAD_ST(one_tensor("F16", "[2,2]", "[0,16]", body), "holds 16 bytes, but its shape and dtype need 8");
  EXPECT_BAD_ST(one_tensor("F8_E4M3", "[2]", "[0,2]", body), "unknown dtype");
  EXPECT_BAD_ST(one_tensor("f32", "[4]", "[0,16]", body), "unknown dtype");
  // A hostile name cannot break the message into lines.
  EXPECT_BAD_ST(make_safetensors(R"({"line\nbreak\u0000":{"dtype":"F32","shape":[9],"data_offsets":[0,16]}})", body),
                "'line\\x0abreak\\x00'");
}

TEST(Safetensors, MalformedJson) {
  const std::string body(16, '\0');
  EXPECT_BAD_ST(make_safetensors("{not json", body), "not valid JSON");
  EXPECT_BAD_ST(make_safetensors(std::string("{\"t\":\"\xff\xfe\"}"), body), "not valid JSON");  // bad UTF-8
  EXPECT_BAD_ST(make_safetensors("[1,2]", body), "not a JSON object");
  EXPECT_BAD_ST(make_safetensors(R"({"t":[1]})", body), "lacks dtype");
  EXPECT_BAD_ST(make_safetensors(R"({"t":{"dtype":"F32","shape":[4]}})", body), "lacks dtype");
  EXPECT_BAD_ST(make_safetensors(R"({"t":{"dtype":7,"shape":[4],"data_offsets":[0,16]}})", body), "unknown dtype");
  EXPECT_BAD_ST(one_tensor("F32", "4", "[0,16]", body), "malformed shape");
  EXPECT_BAD_ST(one_tensor("F32", "[\"4\"]", "[0,16]", body), "non-integer dimension");
  EXPECT_BAD_ST(one_tensor("F32", "[-4]", "[0,16]", body), "negative or non-integer dimension");
  EXPECT_BAD_ST(one_tensor("F32", "[4.5]", "[0,16]", body), "non-integer dimension");
  // Deeply nested JSON must neither overflow the stack when parsed nor when destroyed.
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  EXPECT_BAD_ST(make_safetensors(deep, body), "not a JSON object");
  EXPECT_BAD_ST(make_safetensors(R"({"t":)" + deep + "}", body), "lacks dtype");
}

TEST(Safetensors, OverflowingShapes) {
  const std::string body(16, '\0');
  EXPECT_BAD_ST(one_tensor("F32", "[4611686018427387904,4611686018427387904]", "[0,16]", body), "impossible size");
  EXPECT_BAD_ST(one_tensor("F32", "[18446744073709551615]", "[0,16]", body), "impossible size");
  EXPECT_BAD_ST(one_tensor("F64", "[4294967296,4294967296]", "[0,16]", body), "impossible size");
  // A zero dimension must not let the others be anything at all.
  EXPECT_BAD_ST(one_tensor("F32", "[0,18446744073709551615]", "[0,0]", body), "impossible size");
  EXPECT_BAD_ST(one_tensor("F32", "[0,4294967296,4294967296]", "[0,0]", body), "impossible size");
  EXPECT_BAD_ST(one_tensor("F32", "[1,1,1,1,1,1,1,1,4]", "[0,16]", body), "malformed shape");
  // Zero-sized and scalar tensors are fine.
  Weights w = parse_st(one_tensor("F32", "[0,3]", "[0,0]", body));
  EXPECT_EQ(w.raw("t").nbytes, 0u);
  Weights s = parse_st(one_tensor("F32", "[]", "[0,4]", test::f32_bytes({2.5f})));
  EXPECT_EQ(s.get("t")[0], 2.5f);
}

// Resident kilobytes of this process' mappings of `file` (/proc/self/smaps).
int64_t resident_kb_of(const std::filesystem::path& file) {
  std::ifstream smaps("/proc/self/smaps");
  const std::string name = std::filesystem::canonical(file).string();
  std::string line;
  bool in_file = false;
  int64_t kb = 0;
  while (std::getline(smaps, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') != std::string::npos) {
      in_file = line.size() >= name.size() && line.compare(line.size() - name.size(), name.size(), name) == 0;
    } else if (in_file && line.rfind("Rss:", 0) == 0) {
      kb += std::stoll(line.substr(4));
    }
  }
  return kb;
}

// Writes a safetensors file of float32 tensors, laid out in order, data 64-byte aligned.
std::filesystem::path write_f32_file(const std::string& tag, const std::vector<std::pair<std::string, std::vector<float>>>& tensors) {
  std::string header = "{", body;
  for (const auto& [name, values] : tensors) {
    const size_t begin = body.size(), end = begin + 4 * values.size();
    if (header.size() > 1) header += ",";
    header += "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + std::to_string(values.size()) + "],\"data_offsets\":[";
    header += std::to_string(begin) + "," + std::to_string(end) + "]}";
    body += test::f32_bytes(values);
  }
  header += "}";
  header.append(64 - (8 + header.size()) % 64, ' ');  // data 64-byte aligned, as safetensors writes it
  const std::filesystem::path file = test::temp_dir(tag) / "model.safetensors";
  std::ofstream out(file, std::ios::binary);
  out << test::make_safetensors(header, body);
  return file;
}

// A model that copies a mapped tensor at load (a Linear's own copy, a fused projection, a reduced
// precision) must not keep the file's pages of it resident as well: they go as soon as the last
// tensor get() gave for it goes. A tensor still shared keeps its pages and values.
TEST(Safetensors, PagesOfTensorsNoLongerSharedLeaveMemory) {
  const int64_t n = 1 << 20;  // 4 MiB per tensor
  std::vector<float> a(n), b(n);
  for (int64_t i = 0; i < n; ++i) {
    a[i] = static_cast<float>(i % 1000);
    b[i] = static_cast<float>(-(i % 777));
  }
  const std::filesystem::path file = write_f32_file("drop-pages", {{"a", a}, {"b", b}});
  Weights w = Weights::load(file);
  Tensor kept = w.get("b", {n});
  double sum = 0;
  {
    const Tensor read = w.get("a", {n});  // read once (a model would copy it)
    for (int64_t i = 0; i < n; ++i) sum += read[i] + kept[i];
    EXPECT_GE(resident_kb_of(file), 8 * 1024 - 8);  // both tensors were read
  }  // the last tensor of a goes: its pages with it
  double want = 0;
  for (int64_t i = 0; i < n; ++i) want += a[i] + b[i];
  EXPECT_EQ(sum, want);
  const int64_t after = resident_kb_of(file);
  EXPECT_LE(after, 4 * 1024 + 16);  // b's pages and a page at each edge
  EXPECT_GE(after, 4 * 1024 - 8);
  w.drop_unshared_pages();  // b is still shared: kept
  EXPECT_GE(resident_kb_of(file), 4 * 1024 - 8);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(kept[i], b[i]) << i;
  // The dropped tensor reads back the same from the file.
  Tensor again = w.get("a", {n});
  for (int64_t i = 0; i < n; i += 4099) ASSERT_EQ(again[i], a[i]) << i;
}

// Small float32 tensors (biases, norms) are copies, large ones share the file's mapping: a model
// reading a bias at run time must not map back the pages of the weights beside it, which it let go.
TEST(Safetensors, SmallTensorsAreCopiesLargeOnesShareTheMapping) {
  const std::vector<float> bias(100, 0.25f), weight(1 << 16, -2.f);  // 400 bytes, 256 KiB
  const std::filesystem::path file = write_f32_file("small-copies", {{"bias", bias}, {"weight", weight}});
  const Weights w = Weights::load(file);
  const Tensor b = w.get("bias", {100});
  const Tensor m = w.get("weight", {1 << 16});
  EXPECT_NE(static_cast<const void*>(b.data()), static_cast<const void*>(w.raw("bias").data));
  EXPECT_EQ(static_cast<const void*>(m.data()), static_cast<const void*>(w.raw("weight").data));
  for (int i = 0; i < 100; ++i) ASSERT_EQ(b[i], 0.25f);
  for (int i = 0; i < (1 << 16); i += 101) ASSERT_EQ(m[i], -2.f);
}

}  // namespace
}  // namespace parley
