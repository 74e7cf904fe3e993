#include "server/api_error.h"

#include <new>

#include <nlohmann/json.hpp>

namespace parley::server {

std::string ApiError::type() const { return status_ >= 500 ? "server_error" : "invalid_request_error"; }

std::string ApiError::json() const {
  nlohmann::json error = {{"message", message_}, {"type", type()}, {"param", nullptr}, {"code", code_}};
  if (!param_.empty()) error["param"] = param_;
  // Messages may quote user input: replace invalid UTF-8 instead of throwing while reporting.
  return nlohmann::json{{"error", error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ApiError to_api_error(const Error& error) {
  switch (error.kind()) {
    case ErrorKind::InvalidArgument: return ApiError(400, "invalid_parameter", error.what());
    case ErrorKind::NotFound: return ApiError(404, "not_found", error.what());
    case ErrorKind::BadInput: return ApiError(422, "invalid_input", error.what());
    case ErrorKind::UnsupportedMedia: return ApiError(415, "unsupported_media_type", error.what());
    case ErrorKind::TooLarge: return ApiError(413, "too_large", error.what());
    case ErrorKind::Busy: return ApiError(503, "server_busy", error.what());
    // The client has gone: nobody reads this answer; 499 is what nginx logs for it.
    case ErrorKind::Cancelled: return ApiError(499, "cancelled", error.what());
    case ErrorKind::BadModel:
    case ErrorKind::Network:
    case ErrorKind::Internal: break;
  }
  return ApiError(500, "internal_error", error.what());
}

ApiError to_api_error(const std::exception_ptr& thrown) {
  try {
    std::rethrow_exception(thrown);
  } catch (const ApiError& e) {
    return e;
  } catch (const Error& e) {
    return to_api_error(e);
  } catch (const std::bad_alloc&) {
    return ApiError(503, "out_of_memory", "the server ran out of memory for this request; try a shorter input");
  } catch (const std::exception& e) {
    return ApiError(500, "internal_error", std::string("internal error: ") + e.what());
  } catch (...) {
  }
  return ApiError(500, "internal_error", "internal error");
}

}  // namespace parley::server
