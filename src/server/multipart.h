// multipart/form-data (RFC 7578) parsing of a whole, already size-limited request body.
//
// Parley parses it itself rather than through httplib 0.11, whose streaming parser drops data when
// a read ends inside the opening boundary (which chunked uploads make likely). A pure function over
// bytes, so it is unit-tested and fuzzed directly.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::server {

struct FormPart {
  std::string name;
  std::string filename;  // empty for plain fields
  std::string content_type;
  std::string data;
};

// The boundary parameter of a multipart/form-data Content-Type, or "" when there is none or it is
// not a valid boundary (1 to 70 characters).
std::string multipart_boundary(std::string_view content_type);

// The parts of `body`, in order. Throws ApiError(400) for a body that does not follow the format
// (no opening or closing delimiter, a part without a blank line after its headers, a part without a
// name) or has more than `max_parts` parts.
std::vector<FormPart> parse_multipart(std::string_view body, std::string_view boundary, size_t max_parts);

}  // namespace parley::server
