// Hostile and malformed .bin files, built byte by byte: every one must fail with a one-line
// Error(BadModel) and never read outside the buffer (run under AddressSanitizer too).
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "builders.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "weights/torch_pickle.h"
#include "weights/weights.h"

namespace parley {
namespace {

using test::bad_model_message;
using test::FakeTensor;
using test::parse_bin;
using test::Pickle;

std::vector<FakeTensor> two_tensors() {
  return {{"a.weight", "FloatStorage", "0", 6, 0, {2, 3}, {}}, {"a.bias", "FloatStorage", "1", 2, 0, {2}, {}}};
}
const std::vector<std::pair<std::string, std::string>> kStorages = {
    {"0", test::f32_bytes({1, 2, 3, 4, 5, 6})}, {"1", test::f32_bytes({7, 8})}};

std::string valid_archive(const test::ZipOptions& o = {}) {
  return test::torch_archive(test::state_dict_pickle(two_tensors()), kStorages, o);
}
std::string archive_with_pickle(const std::string& pickle) { return test::torch_archive(pickle, kStorages); }
std::string archive_with(const std::vector<FakeTensor>& ts) { return archive_with_pickle(test::state_dict_pickle(ts)); }

// Asserts that parsing fails with BadModel and a message containing `needle`.
#define EXPECT_BAD_BIN(bytes, needle)                                                   \
  do {                                                                                  \
    const std::string msg_ = bad_model_message([&] { parse_bin(bytes); });              \
    EXPECT_NE(msg_.find(needle), std::string::npos) << "message: " << msg_;             \
  } while (0)

void expect_two_tensors(const Weights& w) {
  ASSERT_EQ(w.names().size(), 2u);
  Tensor a = w.get("a.weight", {2, 3});
  for (int i = 0; i < 6; ++i) EXPECT_EQ(a[i], i + 1);
  Tensor b = w.get("a.bias", {2});
  EXPECT_EQ(b[0], 7);
  EXPECT_EQ(b[1], 8);
}

TEST(TorchBinSynthetic, WellFormedArchivesLoad) {
  expect_two_tensors(parse_bin(valid_archive()));
  expect_two_tensors(parse_bin(valid_archive({1, false})));   // unaligned data: copied, not wrapped
  expect_two_tensors(parse_bin(valid_archive({64, true})));   // ZIP64 records, as for files over 4 GB
}

TEST(TorchBinSynthetic, StridedAndSharedViews) {
  std::vector<FakeTensor> ts = two_tensors();
  ts.push_back({"t", "FloatStorage", "0", 6, 0, {3, 2}, {1, 3}});  // transpose of a.weight
  ts.push_back({"tail", "FloatStorage", "0", 6, 4, {2}, {}});
  Weights w = parse_bin(archive_with(ts));
  Tensor t = w.get("t", {3, 2});
  const float want[] = {1, 4, 2, 5, 3, 6};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t[i], want[i]);
  EXPECT_EQ(w.raw("tail").data, w.raw("a.weight").data + 16);
}

TEST(TorchBinSynthetic, NonTensorValuesAreSkipped) {
  Pickle p;
  p.bytes = test::state_dict_pickle(two_tensors(), false);
  p.mark().str("none").op('N').str("float").op('G').bytes += std::string(8, '\0');
  p.str("flag").op(0x88).str("negative").op(0x8a).byte(2).byte(0x00).byte(0x80);
  p.str("list").op(']').mark().str("x").integer(70000).op('e').str("nested").op('}').str("k").integer(1).op('s');
  p.op('u').stop();
  Weights w = parse_bin(archive_with_pickle(p.bytes));
  EXPECT_EQ(w.names().size(), 2u);
}

TEST(TorchBinSynthetic, ForbiddenGlobalsAreNamed) {
  const std::pair<std::string, std::string> globals[] = {
      {"os", "system"}, {"posix", "system"}, {"builtins", "eval"}, {"builtins", "exec"}, {"__builtin__", "getattr"},
      {"subprocess", "Popen"}, {"torch._utils", "_rebuild_qtensor"}, {"torch", "ComplexFloatStorage"},
      {"torch.nn.modules.linear", "Linear"}, {"torch", "load"}, {"collections", "defaultdict"}};
  for (const auto& [module, name] : globals) {
    Pickle p;
    p.proto().global(module, name).str("echo hi").op(0x85).reduce().stop();
    EXPECT_BAD_BIN(archive_with_pickle(p.bytes), "'" + module + "." + name + "'");
    Pickle q;  // the protocol 4 spelling
    q.proto(4).str(module).str(name).op(0x93).str("x").op(0x85).reduce().stop();
    EXPECT_BAD_BIN(archive_with_pickle(q.bytes), "'" + module + "." + name + "'");
  }
}

TEST(TorchBinSynthetic, HostileNamesStayOnOneLine) {
  Pickle p;
  p.proto(4).str("os\nimport").str(std::string("sys\0tem", 7)).op(0x93).stop();
  EXPECT_BAD_BIN(archive_with_pickle(p.bytes), "'os\\x0aimport.sys\\x00tem'");
  std::vector<FakeTensor> ts = two_tensors();
  ts[0].key = "\x1b[31mred";
  EXPECT_BAD_BIN(archive_with(ts), "storage '\\x1b[31mred'");
  EXPECT_BAD_BIN(test::make_zip({{"archive/data.pkl", "x"}, {"archive/data.pkl", "y"}, {std::string(500, 'n'), ""}}),
                 "appears twice");
}

TEST(TorchBinSynthetic, UnknownOpcodesAreRefused) {
  // INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1, PERSID (text), BYTEARRAY8, 0xff
  for (uint8_t op : {uint8_t('i'), uint8_t('o'), uint8_t(0x81), uint8_t(0x92), uint8_t(0x82), uint8_t('P'), uint8_t(0x96),
                     uint8_t(0xff)}) {
    Pickle p;
    p.proto().op(op).bytes += std::string(16, 'A');
    EXPECT_BAD_BIN(archive_with_pickle(p.bytes), "unsupported pickle opcode");
  }
}

TEST(TorchBinSynthetic, TruncatedPickleAtEveryLength) {
  const std::string pickle = test::state_dict_pickle(two_tensors());
  for (size_t n = 0; n < pickle.size(); ++n) {
    SCOPED_TRACE(n);
    bad_model_message([&] { parse_bin(archive_with_pickle(pickle.substr(0, n))); });
  }
}

TEST(TorchBinSynthetic, TruncatedArchiveAtEveryLength) {
  const std::string zip = valid_archive();
  for (size_t n = 0; n < zip.size(); ++n) {
    SCOPED_TRACE(n);
    bad_model_message([&] { parse_bin(zip.substr(0, n)); });
  }
}

TEST(TorchBinSynthetic, ViewsOutsideTheirStorage) {
  auto with = [](auto change) {
    std::vector<FakeTensor> ts = two_tensors();
    change(ts[0]);
    return archive_with(ts);
  };
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.offset = 1; }), "reaches past the end of storage '0'");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.offset = 100000; t.shape = {0}; }), "reaches past the end");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.stride = {4, 1}; }), "reaches past the end");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.shape = {int64_t{1} << 40, int64_t{1} << 40}; }), "impossibly large");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.shape = {int64_t{1} << 62}; }), "out of range");
  // A zero dimension must not let the others be anything at all.
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.shape = {0, int64_t{1} << 40, int64_t{1} << 40}; }), "impossibly large");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.shape = {-1, 3}; t.stride = {3, 1}; }), "out of range");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.offset = -2; }), "out of range");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.shape = {1, 1, 1, 1, 1, 1, 1, 1, 6}; }), "dimensions");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.stride = {3}; }), "differ in length");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.shape = {1, 1, int64_t{1} << 59}; t.stride = {0, 0, 0}; }), "strided view");
}

TEST(TorchBinSynthetic, StoragesThatLie) {
  auto with = [](auto change) {
    std::vector<FakeTensor> ts = two_tensors();
    change(ts[0]);
    return archive_with(ts);
  };
  // The record holds 24 bytes; the pickle claims other sizes or types.
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.storage_type = "HalfStorage"; }), "holds 24 bytes, but data.pkl says 6 x F16");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.storage_type = "DoubleStorage"; }), "6 x F64");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.storage_numel = 1000; t.shape = {1000}; }), "holds 24 bytes");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.storage_numel = int64_t{1} << 58; }), "holds 24 bytes, but data.pkl says");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.storage_numel = int64_t{1} << 60; }), "storage size 1152921504606846976 is out of range");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.key = "7"; }), "has no record archive/data/7");
  EXPECT_BAD_BIN(with([](FakeTensor& t) { t.key = "../../etc/passwd"; }), "has no record");
  std::vector<FakeTensor> ts = two_tensors();
  ts.push_back({"again", "HalfStorage", "0", 12, 0, {12}, {}});
  EXPECT_BAD_BIN(archive_with(ts), "storage '0' is described both as 6 x F32 and as 12 x F16");
}

TEST(TorchBinSynthetic, MalformedPersistentIdsAndCalls) {
  Pickle p;  // a persistent id that is not a storage tuple
  p.proto().str("module").op('Q').stop();
  EXPECT_BAD_BIN(archive_with_pickle(p.bytes), "persistent id");
  Pickle q;  // _rebuild_tensor_v2 with five arguments
  q.proto().global("torch._utils", "_rebuild_tensor_v2").mark().integer(1).integer(2).integer(3).integer(4).integer(5).tuple();
  q.reduce().stop();
  EXPECT_BAD_BIN(archive_with_pickle(q.bytes), "called with 5 arguments, expected 6 to 7");
  Pickle r;  // a tensor built from a string instead of a storage
  r.proto().global("torch._utils", "_rebuild_tensor").mark().str("x").integer(0).ints({1}).ints({1}).tuple().reduce().stop();
  EXPECT_BAD_BIN(archive_with_pickle(r.bytes), "tensor built from a string");
  Pickle s;  // REDUCE of something that is not a recognised callable
  s.proto().str("x").empty_tuple().reduce().stop();
  EXPECT_BAD_BIN(archive_with_pickle(s.bytes), "REDUCE calls a string");
  Pickle t;  // BUILD on a list
  t.proto().op(']').op('}').op('b').stop();
  EXPECT_BAD_BIN(archive_with_pickle(t.bytes), "BUILD on a list");
  Pickle u;  // _rebuild_parameter of a non-tensor
  u.proto().global("torch._utils", "_rebuild_parameter").mark().integer(1).op(0x89).op('}').tuple().reduce().stop();
  EXPECT_BAD_BIN(archive_with_pickle(u.bytes), "not a tensor");
}

TEST(TorchBinSynthetic, StackAndMemoAbuse) {
  Pickle a;
  a.proto().op(0x85).stop();  // TUPLE1 on an empty stack
  EXPECT_BAD_BIN(archive_with_pickle(a.bytes), "stack underflow");
  Pickle b;
  b.proto().integer(1).mark().op(0x85).stop();  // a MARK hides what is below it
  EXPECT_BAD_BIN(archive_with_pickle(b.bytes), "stack underflow");
  Pickle c;
  c.proto().op('}').integer(1).op('u').stop();  // SETITEMS without MARK
  EXPECT_BAD_BIN(archive_with_pickle(c.bytes), "no MARK");
  Pickle d;
  d.proto().op('h').byte(9).stop();  // BINGET of nothing
  EXPECT_BAD_BIN(archive_with_pickle(d.bytes), "memo entry 9 was never stored");
  Pickle e;
  e.proto().op('}').mark().str("odd").op('u').stop();
  EXPECT_BAD_BIN(archive_with_pickle(e.bytes), "odd number");
  Pickle f;
  f.proto().op('}').integer(5).integer(6).op('s').stop();  // a state dict with an int key
  EXPECT_BAD_BIN(archive_with_pickle(f.bytes), "key that is not a string");
  Pickle g;
  g.proto().integer(1).stop();
  EXPECT_BAD_BIN(archive_with_pickle(g.bytes), "holds a int, not a state dict");
  Pickle h;
  h.proto().op(0x8a).byte(9).bytes += std::string(9, '\x01');
  EXPECT_BAD_BIN(archive_with_pickle(h.bytes), "integer of 9 bytes");
  Pickle i;
  i.proto().op('X').u32(0xffffffffu).stop();  // a string longer than the pickle
  EXPECT_BAD_BIN(archive_with_pickle(i.bytes), "truncated pickle");
  Pickle j;
  j.proto().op('c').bytes += std::string(1000, 'a');  // GLOBAL without newline
  EXPECT_BAD_BIN(archive_with_pickle(j.bytes), "GLOBAL");
}

// 300,000 levels: far more than a recursive reader or a recursive destructor survives.
TEST(TorchBinSynthetic, DeepNestingNeverRecurses) {
  constexpr int kDepth = 300000;
  Pickle tuples;  // nested 1-tuples
  tuples.proto().empty_tuple();
  tuples.bytes.append(kDepth, '\x85');
  tuples.stop();
  EXPECT_BAD_BIN(archive_with_pickle(tuples.bytes), "holds a tuple");
  Pickle lists;  // nested lists [[[...]]], each made from the previous one via the memo
  lists.proto().op(']').op('q').byte(0).op('0');
  for (int k = 0; k < kDepth; ++k) lists.mark().op('h').byte(0).op('l').op('q').byte(0).op('0');
  lists.op('h').byte(0).stop();
  EXPECT_BAD_BIN(archive_with_pickle(lists.bytes), "holds a list");
  Pickle dicts;  // a state dict whose value is a deeply nested dict
  dicts.proto().op('}').op('q').byte(0).op('0');
  for (int k = 0; k < kDepth; ++k) dicts.op('}').str("k").op('h').byte(0).op('s').op('q').byte(0).op('0');
  dicts.op('}').str("weights").op('h').byte(0).op('s').stop();
  EXPECT_EQ(parse_bin(archive_with_pickle(dicts.bytes)).names().size(), 0u);
  Pickle cycle;  // a list that contains itself
  cycle.proto().op(']').op('q').byte(0).op('h').byte(0).op('a').stop();
  EXPECT_BAD_BIN(archive_with_pickle(cycle.bytes), "holds a list");
}

TEST(TorchBinSynthetic, StackAndMarkLimits) {
  PickleLimits limits;
  limits.max_stack = 1000;
  Pickle marks;  // MARKs without end
  marks.proto().bytes.append(1001, '(');
  std::string msg = bad_model_message([&] { unpickle_state_dict(marks.bytes, "x.bin", limits); });
  EXPECT_NE(msg.find("too many MARKs"), std::string::npos) << msg;
  Pickle stack;
  stack.proto().bytes.append(1001, 'N');
  msg = bad_model_message([&] { unpickle_state_dict(stack.bytes, "x.bin", limits); });
  EXPECT_NE(msg.find("stack deeper than 1000"), std::string::npos) << msg;
}

TEST(TorchBinSynthetic, PickleLimitsAreEnforced) {
  PickleLimits small;
  small.max_values = 20;
  const std::string pickle = test::state_dict_pickle(two_tensors());
  const std::string msg = bad_model_message([&] { unpickle_state_dict(pickle, "x.bin", small); });
  EXPECT_NE(msg.find("more than 20 values"), std::string::npos) << msg;
  PickleLimits tiny;
  tiny.max_bytes = 10;
  bad_model_message([&] { unpickle_state_dict(pickle, "x.bin", tiny); });
  EXPECT_EQ(unpickle_state_dict(pickle, "x.bin").tensors.size(), 2u);
}

// ---- archive structure

uint32_t rd32(const std::string& s, size_t p) {
  uint32_t v;
  std::memcpy(&v, s.data() + p, 4);
  return v;
}
void wr16(std::string& s, size_t p, uint16_t v) { std::memcpy(s.data() + p, &v, 2); }
void wr32(std::string& s, size_t p, uint32_t v) { std::memcpy(s.data() + p, &v, 4); }
size_t first_central_record(const std::string& zip) { return rd32(zip, zip.size() - 22 + 16); }

TEST(TorchBinSynthetic, NotAZip) {
  EXPECT_BAD_BIN(std::string(), "not a zip archive");
  EXPECT_BAD_BIN(std::string("\x89PNG\r\n\x1a\n") + std::string(100, '\0'), "not a zip archive");
  EXPECT_BAD_BIN(test::make_zip({{"notes/readme.txt", "hello"}}), "without <name>/data.pkl");
  EXPECT_BAD_BIN(test::make_zip({{"a/data.pkl", "x"}, {"b/data.pkl", "y"}}), "several data.pkl");
  EXPECT_BAD_BIN(test::make_zip({{"archive/data.pkl", "x"}, {"archive/data.pkl", "y"}}), "appears twice");
}

TEST(TorchBinSynthetic, DirectoryLies) {
  const std::string zip = valid_archive();
  const size_t end = zip.size() - 22, cd = first_central_record(zip);
  std::string z = zip;
  wr32(z, end + 16, 0x7fffffff);  // directory offset
  EXPECT_BAD_BIN(z, "central directory");
  z = zip;
  wr16(z, end + 8, 0xfff0);  // entry counts
  wr16(z, end + 10, 0xfff0);
  EXPECT_BAD_BIN(z, "more than its directory can hold");
  z = zip;
  wr32(z, cd + 42, static_cast<uint32_t>(zip.size() - 10));  // local header offset
  EXPECT_BAD_BIN(z, "no local header");
  z = zip;
  wr32(z, cd + 20, 0x7ffffff0);  // stored sizes disagree
  EXPECT_BAD_BIN(z, "sizes disagree");
  z = zip;
  wr32(z, cd + 20, 0x7ffffff0);
  wr32(z, cd + 24, 0x7ffffff0);
  EXPECT_BAD_BIN(z, "runs past the end of the file");
  z = zip;
  wr16(z, cd + 8, 1);  // encrypted
  EXPECT_BAD_BIN(z, "is encrypted");
  z = zip;
  wr16(z, cd + 10, 12);  // bzip2
  EXPECT_BAD_BIN(z, "compression method 12");
  z = zip;
  wr16(z, cd + 10, 8);  // "deflated" entry whose bytes are not deflate data
  EXPECT_BAD_BIN(z, "archive/data.pkl");
  z = zip;
  wr16(z, cd + 28, 200);  // name length past the record
  EXPECT_BAD_BIN(z, "zip archive");
  z = zip;
  z[cd + 46] = 'X';  // central and local names differ
  EXPECT_BAD_BIN(z, "different name in its local header");
}

TEST(TorchBinSynthetic, DeflatedEntryThatLies) {
  // A real deflated archive (tools/make_torch_bin_cases.py) with its sizes changed.
  const std::string zip = read_file(test::data_path("weights/torch_bin/deflated.bin"));
  parse_bin(zip);
  const size_t cd = first_central_record(zip);
  std::string z = zip;
  wr32(z, cd + 24, rd32(zip, cd + 24) + 1);  // one byte more than it inflates to
  EXPECT_BAD_BIN(z, "deflated/data.pkl");
  z = zip;
  wr32(z, cd + 24, 0x7fffffff);  // a compression ratio deflate cannot reach
  EXPECT_BAD_BIN(z, "more than deflate can produce");
  z = zip;
  wr32(z, cd + 16, rd32(zip, cd + 16) ^ 1);  // CRC
  EXPECT_BAD_BIN(z, "deflated/data.pkl");
}

TEST(TorchBinSynthetic, ByteOrderRecord) {
  auto with_order = [](const std::string& order) {
    return test::make_zip({{"archive/data.pkl", test::state_dict_pickle(two_tensors())},
                           {"archive/byteorder", order},
                           {"archive/data/0", kStorages[0].second},
                           {"archive/data/1", kStorages[1].second}});
  };
  expect_two_tensors(parse_bin(with_order("little")));
  EXPECT_BAD_BIN(with_order("big"), "only little-endian");
}

// Random damage to a valid archive and to its pickle: the reader may accept a change that keeps
// the file meaningful, but must never crash, hang or read outside the buffer.
TEST(TorchBinSynthetic, RandomCorruptionNeverCrashes) {
  std::vector<FakeTensor> ts = two_tensors();
  ts.push_back({"t", "FloatStorage", "0", 6, 0, {3, 2}, {1, 3}});
  const std::string pickle = test::state_dict_pickle(ts);
  const std::string zip = archive_with_pickle(pickle);
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int iter = 0; iter < 10000; ++iter) {
    const bool damage_pickle = iter % 2 == 0;
    std::string bytes = damage_pickle ? pickle : zip;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0: bytes[at] = static_cast<char>(rng()); break;
        case 1: bytes.erase(at, 1 + rng() % 8); break;
        default: bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(rng())); break;
      }
      if (bytes.empty()) bytes.push_back('x');
    }
    if (damage_pickle) bytes = archive_with_pickle(bytes);
    try {
      Weights w = parse_bin(bytes);
      for (const auto& name : w.names()) {
        const RawTensor& r = w.raw(name);
        volatile uint8_t sink = 0;
        for (size_t b = 0; b < r.nbytes; ++b) sink = sink ^ r.data[b];  // touch every byte
      }
      ++accepted;
    } catch (const Error& e) {
      ASSERT_EQ(e.kind(), ErrorKind::BadModel) << e.what();
    }
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace parley
