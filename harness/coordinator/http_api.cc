// The coordinator's HTTP API on Boost.Beast: read-only JSON views of the
// fleet and the results, Prometheus metrics, and POST /api/jobs with the
// fleet token.
#include <sys/socket.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <sstream>

#include "harness/coordinator/http_views.h"
#include "harness/coordinator/internal/coordinator_impl.h"
#include "harness/coordinator/internal/shared_fleet.h"
#include "harness/store/stores.h"

namespace effbench::coordinator {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr size_t kMaxBody = 1 << 20;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response Reply(const Request& req, http::status status, std::string body,
               std::string content_type = "application/json") {
  Response res{status, req.version()};
  res.set(http::field::server, "effbench-serve/" EFFBENCH_VERSION);
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response JsonReply(const Request& req, http::status status, const json& body) {
  return Reply(req, status, body.dump(2) + "\n");
}

Response ErrorReply(const Request& req, http::status status, const std::string& message) {
  return JsonReply(req, status, json{{"error", message}});
}

// A request target ("/api/results?run=x&workload=y%2A"), parsed by Boost.URL:
// the path as sent, and the query parameters decoded ('+' is a space).
struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};

Result<Target> ParseTarget(std::string_view text) {
  const auto url = boost::urls::parse_origin_form(text);
  if (!url) {
    return Status::InvalidArgument("malformed request target (" + url.error().message() + ")");
  }
  Target target{std::string(url->encoded_path()), {}};
  for (const auto& param : url->params()) {
    target.query[std::string(param.key)] = param.has_value ? std::string(param.value) : "";
  }
  return target;
}

// A database view (http_views.h) as the response to `req`.
Response DatabaseReply(const Request& req, const std::string& path,
                       const std::map<std::string, std::string>& query, store::QueryStore& db) {
  View view = DatabaseView(path, query, db);
  return Reply(req, static_cast<http::status>(view.status), std::move(view.body),
               std::move(view.content_type));
}

}  // namespace

asio::awaitable<Result<json>> Coordinator::Impl::AgentsJson() {
  const bool require_enrolled = options.require_enrolled;
  const auto fresh = PresenceFresh(options.heartbeat, options.heartbeat_misses);
  Result<json> agents = co_await OnReader<json>([require_enrolled, fresh](store::QueryStore& db) {
    return AgentsView(db, require_enrolled, fresh);
  });
  if (!agents.ok()) co_return agents;
  // The agents connected here, as their sessions say now: their presence in
  // the database is refreshed only every few heartbeats.
  for (json& a : *agents) {
    if (const auto live = roster.Live(a.value("name", ""))) {
      ShowConnection(a, sessions->Presence(*live));
    }
  }
  co_return agents;
}

std::string Coordinator::Impl::MetricsText() const {
  Gauges g;
  g.agents_connected = roster.sessions().size();
  g.agents_known = roster.agents().size();
  g.connections_preauth = sessions->preauth();
  g.http_connections = http_connections.open();
  g.http_evicted = http_connections.evicted();
  g.http_refused = http_connections.refused();
  g.results_ingested = ingest->ingested();
  g.ingest_commits = ingest->commits();
  g.ingest_queue_depth = ingest->queued_records();
  for (const auto& [name, s] : roster.sessions())
    g.send_queue_depth += s->channel->send_queue_depth();
  g.jobs_by_state = {{"queued", 0}, {"dispatched", 0}, {"done", 0}, {"failed", 0}};
  jobs->queue().ForEach([&](const store::JobRow& job) { ++g.jobs_by_state[job.state]; });
  return PrometheusText(metrics, g);
}

namespace {

// Whether `req` carries the fleet token as a Bearer token.
bool HasToken(const Request& req, const fleet::Key& stored_key) {
  const auto auth = req[http::field::authorization];
  const std::string_view bearer = "Bearer ";
  return auth.size() > bearer.size() && auth.substr(0, bearer.size()) == bearer &&
         fleet::VerifyToken(stored_key, std::string_view(auth.data() + bearer.size(),
                                                         auth.size() - bearer.size()));
}

Response Unauthorized(const Request& req, const std::string& what) {
  Response res = ErrorReply(req, http::status::unauthorized,
                            what + " needs the fleet token: Authorization: Bearer TOKEN");
  res.set(http::field::www_authenticate, "Bearer");
  return res;
}

// The HTTP status of a refusal, by its Status code.
http::status StatusOf(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound:
      return http::status::not_found;
    case Status::Code::kFailedPrecondition:
      return http::status::conflict;
    case Status::Code::kIoError:
      return http::status::service_unavailable;
    case Status::Code::kInvalidArgument:
      return http::status::bad_request;
    default:
      return http::status::internal_server_error;
  }
}

// "/api/jobs/ID/cancel" → ID; empty when `path` is not of that form.
std::string JobToCancel(const std::string& path) {
  const std::string prefix = "/api/jobs/", suffix = "/cancel";
  if (path.size() <= prefix.size() + suffix.size() || path.rfind(prefix, 0) != 0 ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return "";
  }
  return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

}  // namespace

asio::awaitable<Response> Coordinator::Impl::HandleHttp(const Request& req) {
  ++metrics.http_requests;
  auto target = ParseTarget(std::string_view(req.target().data(), req.target().size()));
  if (!target.ok()) co_return ErrorReply(req, http::status::bad_request, target.status().message());
  const std::string path = std::move(target->path);
  const auto query = std::move(target->query);
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  const bool post = req.method() == http::verb::post;
  const std::string cancel_id = JobToCancel(path);
  // /api/agents/NAME (DELETE: forget it) and /api/agents/NAME/key (POST:
  // enroll it, DELETE: revoke its key).
  const std::string agent_prefix = "/api/agents/", key_suffix = "/key";
  const bool agent_path = path.rfind(agent_prefix, 0) == 0 && path.size() > agent_prefix.size();
  const bool key_path =
      agent_path && path.size() > agent_prefix.size() + key_suffix.size() &&
      path.compare(path.size() - key_suffix.size(), key_suffix.size(), key_suffix) == 0;
  const bool known = IsDatabaseView(path) || path == "/healthz" || path == "/metrics" ||
                     path == "/api/agents" || path == "/api/jobs" || !cancel_id.empty() ||
                     agent_path;
  if (!known) co_return ErrorReply(req, http::status::not_found, "no such endpoint: " + path);
  const bool allowed = (get && cancel_id.empty() && !agent_path) ||
                       (post && (path == "/api/jobs" || !cancel_id.empty() || key_path)) ||
                       (req.method() == http::verb::delete_ && agent_path);
  if (!allowed) {
    co_return ErrorReply(req, http::status::method_not_allowed,
                         std::string(req.method_string()) + " is not allowed on " + path);
  }
  if (path == "/healthz") {
    // Unhealthy while stopping, or while database writes fail (nothing is
    // acknowledged then); healthy again once a write succeeds.
    const bool healthy = !stopping && !ingest->fault();
    json health = {{"status", stopping          ? "stopping"
                              : ingest->fault() ? "database writes fail"
                                                : "ok"},
                   {"agents_connected", roster.sessions().size()},
                   {"ingest_queue", ingest->queued_records()}};
    if (ingest->fault()) health["reason"] = options.db_path + ": " + *ingest->fault();
    co_return JsonReply(req, healthy ? http::status::ok : http::status::service_unavailable,
                        health);
  }
  if (path == "/metrics") {
    co_return Reply(req, http::status::ok, MetricsText(), "text/plain; version=0.0.4");
  }
  // Reads expose inventories, addresses and results: with --http-read-token
  // they need the token too. Every write always does.
  if ((get && options.http_read_token) || !get) {
    if (!HasToken(req, options.stored_key)) {
      co_return Unauthorized(req, std::string(req.method_string()) + " " + path);
    }
  }
  if (!get && stopping) {
    co_return ErrorReply(req, http::status::service_unavailable, "the coordinator is stopping");
  }
  // Agents and jobs as the database holds them: every coordinator on it
  // answers alike.
  if (path == "/api/agents" && get) {
    const Result<json> agents = co_await AgentsJson();
    if (!agents.ok())
      co_return ErrorReply(req, http::status::internal_server_error, agents.status().message());
    co_return JsonReply(req, http::status::ok, json{{"agents", *agents}});
  }
  if (path == "/api/jobs" && get) {
    const Result<json> listed =
        co_await OnReader<json>([](store::QueryStore& db) { return JobsView(db); });
    if (!listed.ok())
      co_return ErrorReply(req, http::status::internal_server_error, listed.status().message());
    co_return JsonReply(req, http::status::ok, json{{"jobs", *listed}});
  }
  if (path == "/api/jobs") {
    const json body = json::parse(req.body(), nullptr, false);
    if (body.is_discarded())
      co_return ErrorReply(req, http::status::bad_request, "the body is not JSON");
    const std::string origin = "POST /api/jobs";  // named: see Write
    // The agents as the database holds them now: those connected to another
    // coordinator a moment ago too.
    co_await Sync();
    const Result<json> submitted = co_await jobs->Submit(body, origin);
    if (submitted.ok()) co_return JsonReply(req, http::status::created, *submitted);
    const Status::Code code = submitted.status().code();
    co_return ErrorReply(req,
                         code == Status::Code::kNotFound  ? http::status::conflict
                         : code == Status::Code::kIoError ? http::status::service_unavailable
                                                          : http::status::bad_request,
                         submitted.status().message());
  }
  if (!cancel_id.empty()) {
    const std::string state = "cancelled", reason = "cancelled through the HTTP API";
    const Status ended = co_await jobs->End(cancel_id, state, reason);
    if (!ended.ok()) co_return ErrorReply(req, StatusOf(ended), ended.message());
    co_return JsonReply(req, http::status::ok,
                        json{{"job", JobJson(*jobs->queue().Find(cancel_id))}});
  }
  if (key_path) {
    const std::string name =
        path.substr(agent_prefix.size(), path.size() - agent_prefix.size() - key_suffix.size());
    if (post) {
      const Result<std::string> key = co_await sessions->Enroll(name);
      if (!key.ok()) co_return ErrorReply(req, StatusOf(key.status()), key.status().message());
      co_return JsonReply(req, http::status::created, json{{"agent", name}, {"key", *key}});
    }
    const Status revoked = co_await sessions->Revoke(name);
    if (!revoked.ok()) co_return ErrorReply(req, StatusOf(revoked), revoked.message());
    co_return JsonReply(req, http::status::ok, json{{"revoked", name}});
  }
  if (agent_path) {
    const std::string name = path.substr(agent_prefix.size());
    const Status forgotten = co_await ForgetAgent(name);
    if (!forgotten.ok()) co_return ErrorReply(req, StatusOf(forgotten), forgotten.message());
    co_return JsonReply(req, http::status::ok, json{{"forgotten", name}});
  }
  // /, /api/report, /api/runs, /api/machines, /api/results: the database's views, read (and
  // serialized) on the reader thread: a large one must not hold up the
  // agents' acks and heartbeats on this thread.
  store::QueryStore& db = *reader;
  auto read = [&req, &path, &query, &db]() -> asio::awaitable<Response> {
    co_return DatabaseReply(req, path, query, db);
  };
  auto on_reader = asio::co_spawn(reads, read, asio::use_awaitable);
  co_return co_await std::move(on_reader);
}

// Serves HTTP/1.1 requests on `stream` (plain or TLS) until the peer is done.
template <typename Stream>
asio::awaitable<void> Coordinator::Impl::ServeRequests(Stream& stream, uint64_t connection) {
  beast::flat_buffer buffer;
  for (;;) {
    // The whole request (and the wait for it on a kept-alive connection)
    // within the deadline: a peer trickling a byte a second is cut off.
    http_connections.Waiting(connection, options.clock->Steady());
    beast::get_lowest_layer(stream).expires_after(options.http_request_timeout);
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    parser.header_limit(16 * 1024);
    error_code ec;
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated) {
      break;
    }
    http_connections.Answering(connection);
    Request req = parser.release();
    Response res;
    if (ec) {
      req.keep_alive(false);
      res = ErrorReply(req,
                       ec == http::error::body_limit ? http::status::payload_too_large
                                                     : http::status::bad_request,
                       "bad HTTP request: " + ec.message());
    } else {
      res = co_await HandleHttp(req);
    }
    const bool keep_alive = res.keep_alive();
    if (req.method() == http::verb::head) {
      // The GET's headers, its length included, and no body (RFC 9110 9.3.2).
      http::response<http::empty_body> head{res.result(), res.version()};
      for (const auto& field : res) head.set(field.name_string(), field.value());
      head.content_length(res.body().size());
      head.keep_alive(keep_alive);
      co_await http::async_write(stream, head, asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec || !keep_alive || stopping) break;
  }
}

asio::awaitable<void> Coordinator::Impl::ServeHttp(tcp::socket socket) {
  // Evicting a connection shuts its socket down: its pending read ends, and
  // so does this coroutine, which releases its place.
  const int fd = socket.native_handle();
  const auto connection =
      http_connections.Admit(options.clock->Steady(), [fd] { ::shutdown(fd, SHUT_RDWR); });
  if (!connection) {
    LogLimited(peer_log, "HTTP: a connection closed at once: all " +
                             std::to_string(http_connections.max()) +
                             " (--http-max-connections) are answering requests");
    co_return;
  }
  if (http_connections.evicted() > evictions_logged) {
    evictions_logged = http_connections.evicted();
    LogLimited(peer_log, "HTTP: " + std::to_string(http_connections.max()) +
                             " connections open (--http-max-connections): the one waiting "
                             "longest for its request was closed to make room");
  }
  struct Release {
    HttpConnections& connections;
    uint64_t id;
    ~Release() { connections.Release(id); }
  } release{http_connections, *connection};
  if (!http_ssl) {
    beast::tcp_stream stream(std::move(socket));
    co_await ServeRequests(stream, *connection);
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *http_ssl);
  beast::get_lowest_layer(stream).expires_after(10s);
  error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    LogLimited(peer_log, "HTTP: TLS handshake failed: " + ec.message());
    co_return;
  }
  co_await ServeRequests(stream, *connection);
  beast::get_lowest_layer(stream).expires_after(2s);
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace effbench::coordinator
