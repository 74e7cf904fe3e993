// Errors as the HTTP API reports them: a status code plus OpenAI's error object,
//   {"error": {"message": "...", "type": "invalid_request_error", "param": null, "code": "..."}}
// so that OpenAI's client libraries surface Parley's messages unchanged.
#pragma once

#include <exception>
#include <string>

#include "core/error.h"

namespace parley::server {

class ApiError : public std::exception {
 public:
  // code: a short machine-readable reason ("file_too_large"); param: the offending request field,
  // or empty.
  ApiError(int status, std::string code, std::string message, std::string param = "")
      : status_(status), code_(std::move(code)), message_(std::move(message)), param_(std::move(param)) {}

  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::string& param() const { return param_; }
  const char* what() const noexcept override { return message_.c_str(); }
  // "invalid_request_error" for 4xx, "server_error" for 5xx (OpenAI's two general types).
  std::string type() const;
  // The JSON body for this error.
  std::string json() const;

 private:
  int status_;
  std::string code_;
  std::string message_;
  std::string param_;
};

// The API's view of a library error: its kind decides the status (see core/error.h).
ApiError to_api_error(const Error& error);
// The API's view of anything a request threw: ApiError as is, Error by its kind, bad_alloc as 503
// (one request out of memory fails alone), anything else 500.
ApiError to_api_error(const std::exception_ptr& thrown);

}  // namespace parley::server
