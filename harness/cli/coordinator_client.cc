#include "harness/cli/coordinator_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace effbench::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

template <typename Stream>
HttpReply Exchange(Stream& stream, const http::request<http::string_body>& req) {
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  HttpReply reply;
  reply.status = res.result_int();
  reply.body = json::parse(res.body(), nullptr, false);
  if (reply.body.is_discarded()) reply.body = res.body();
  return reply;
}

}  // namespace

Result<CoordinatorUrl> ParseCoordinatorUrl(const std::string& url) {
  CoordinatorUrl out;
  out.text = url;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return Status::InvalidArgument(
        "--coordinator must be the coordinator's HTTP API, "
        "http://HOST:PORT or https://HOST:PORT (effbench serve --http)");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon + 1 == rest.size() || colon == 0) {
    return Status::InvalidArgument("--coordinator " + url + " has no HOST:PORT");
  }
  out.host = rest.substr(0, colon);
  out.port = rest.substr(colon + 1);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.port.find_first_not_of("0123456789") != std::string::npos || out.port.size() > 5) {
    return Status::InvalidArgument("--coordinator " + url + ": the port must be a number");
  }
  return out;
}

Result<HttpReply> CallCoordinator(const CoordinatorUrl& url, const std::string& method,
                                  const std::string& target, const std::string& body,
                                  const ClientOptions& options) {
  if (options.token && !url.tls && !IsLoopback(url.host) && !options.insecure) {
    return Status::InvalidArgument(
        "refusing to send the fleet token in clear to " + url.host +
        " over http://; serve the API with --http-tls-cert/--http-tls-key and use https://, "
        "or pass --insecure on a network you trust");
  }
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, url.host + ":" + url.port);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  if (options.token) req.set(http::field::authorization, "Bearer " + *options.token);
  req.body() = body;
  req.prepare_payload();
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(url.host, url.port);
    if (!url.tls) {
      beast::tcp_stream stream(io);
      stream.expires_after(std::chrono::seconds(60));
      stream.connect(endpoints);
      return Exchange(stream, req);
    }
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    if (options.ca_file) {
      ctx.load_verify_file(*options.ca_file);
    } else {
      ctx.set_default_verify_paths();
    }
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
    stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(asio::ssl::stream_base::client);
    HttpReply reply = Exchange(stream, req);
    boost::system::error_code ignored;
    stream.shutdown(ignored);
    return reply;
  } catch (const boost::system::system_error& e) {
    // The error's words, not Boost's source location.
    return Status::IoError("cannot reach the coordinator at " + url.text + ": " +
                           e.code().message());
  } catch (const std::exception& e) {
    return Status::IoError("cannot reach the coordinator at " + url.text + ": " + e.what());
  }
}

std::string RefusalText(const HttpReply& reply) {
  if (reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_string()) {
    return reply.body["error"].get<std::string>();
  }
  return reply.body.is_string() ? reply.body.get<std::string>() : reply.body.dump();
}

}  // namespace effbench::cli
