// The effbench commands that talk to a coordinator's HTTP API (submit, jobs,
// agents): its URL, and one request with the fleet token.
//
// The token never travels in clear to another machine: over http:// it is
// sent only to a loopback address, unless the user says --insecure; https://
// verifies the coordinator's certificate (against --ca FILE, else the
// system's roots) and its host name.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/status.h"

namespace effbench::cli {

struct CoordinatorUrl {
  bool tls = false;
  std::string host, port;
  std::string text;  // as given, for messages
};

// http://HOST:PORT or https://HOST:PORT (a trailing / is fine).
Result<CoordinatorUrl> ParseCoordinatorUrl(const std::string& url);

struct ClientOptions {
  std::optional<std::string> token;  // sent as Authorization: Bearer
  std::optional<std::string> ca_file;
  bool insecure = false;  // allows the token over plain HTTP to a non-loopback host
};

struct HttpReply {
  int status = 0;
  nlohmann::json body;  // the JSON body, or a string when it is not JSON
};

// One request. InvalidArgument when the token would travel in clear;
// IoError, in words, when the coordinator cannot be reached.
Result<HttpReply> CallCoordinator(const CoordinatorUrl& url, const std::string& method,
                                  const std::string& target, const std::string& body,
                                  const ClientOptions& options);

// The "error" of a refusal's body, or its text.
std::string RefusalText(const HttpReply& reply);

}  // namespace effbench::cli
