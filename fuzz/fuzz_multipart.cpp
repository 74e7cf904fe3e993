// multipart/form-data: the boundary parameter of a Content-Type and the body's parts. The input is the
// Content-Type header value, a NUL byte, then the body. Every part returned must be a named piece of
// the body, and there are never more than the limit.
#include "common.h"
#include "server/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  auto pieces = fuzz::split(fuzz::as_text(data, size), '\0', 2);
  if (pieces.size() < 2) return 0;
  const std::string_view body = pieces[1];
  const std::string boundary = server::multipart_boundary(pieces[0]);
  FUZZ_CHECK(boundary.size() <= 70);
  if (boundary.empty()) return 0;
  constexpr size_t kMaxParts = 8;
  fuzz::refuse_cleanly([&] {
    auto parts = server::parse_multipart(body, boundary, kMaxParts);
    FUZZ_CHECK(parts.size() <= kMaxParts);
    size_t total = 0;
    for (const auto& p : parts) {
      FUZZ_CHECK(!p.name.empty());
      FUZZ_CHECK(body.find(p.data) != std::string_view::npos);
      total += p.data.size();
    }
    FUZZ_CHECK(total <= body.size());
  });
  return 0;
}
