// effbench serve | submit | token: the coordinator and its clients.
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "harness/coordinator/coordinator.h"
#include "harness/fleet/auth.h"

namespace effbench::cli {
namespace {

using nlohmann::json;
namespace beast = boost::beast;
namespace http = beast::http;

// The server config file: the serve flags by name, plus "schedule", a list of
// {"at": "02:00", "suite": "standard", "workload": GLOB, "agents": "*",
// "options": {...}}.
Result<json> ReadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("config file " + path + " cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("config file " + path + " is not a JSON object");
  }
  return j;
}

Result<std::vector<coordinator::Schedule>> SchedulesOf(const json& config) {
  std::vector<coordinator::Schedule> out;
  if (!config.contains("schedule")) return out;
  const json& list = config["schedule"];
  for (const json& item : list.is_array() ? list : json::array({list})) {
    coordinator::Schedule s;
    if (item.is_string()) {
      s.at = item;
    } else if (item.is_object() && item.contains("at") && item["at"].is_string()) {
      for (const char* key : {"suite", "agents", "workload"}) {
        if (item.contains(key) && !item[key].is_string()) {
          return Status::InvalidArgument(std::string("config \"schedule\": \"") + key +
                                         "\" must be a string");
        }
      }
      s.at = item["at"];
      s.suite = item.value("suite", s.suite);
      s.agents = item.value("agents", s.agents);
      s.workload = item.value("workload", s.workload);
      if (item.contains("options")) s.options = item["options"];
    } else {
      return Status::InvalidArgument(
          "config \"schedule\": each entry is \"HH:MM\" or {\"at\": \"HH:MM\", \"suite\": ...}");
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

int ServeCommand(const std::vector<std::string>& args, std::ostream& /*out*/, std::ostream& err) {
  auto flags =
      Flags::Parse(args, {"db", "listen", "http", "tls-cert", "tls-key", "token-file", "config",
                          "schedule", "schedule-suite", "schedule-agents", "heartbeat", "max-frame",
                          "frame-timeout", "drain-timeout", "ready-file"});
  if (!flags.ok()) {
    err << "effbench serve: " << flags.status().message() << "\n";
    return kExitUsage;
  }
  json config = json::object();
  if (auto path = flags->Get("config")) {
    auto read = ReadConfig(*path);
    if (!read.ok()) {
      err << "effbench serve: " << read.status().message() << "\n";
      return kExitUsage;
    }
    config = *read;
  }
  // A flag wins over the config file, which wins over the default.
  const auto setting = [&](const std::string& name, const std::string& fallback) {
    if (auto v = flags->Get(name)) return *v;
    std::string key = name;
    std::replace(key.begin(), key.end(), '-', '_');
    if (config.contains(key) && config[key].is_string()) return config[key].get<std::string>();
    return fallback;
  };
  coordinator::CoordinatorOptions o;
  o.db_path = setting("db", "effbench.db");
  o.listen = setting("listen", "127.0.0.1:7450");
  if (auto v = setting("http", ""); !v.empty()) o.http = v;
  if (auto v = setting("tls-cert", ""); !v.empty()) o.tls_cert = v;
  if (auto v = setting("tls-key", ""); !v.empty()) o.tls_key = v;
  if (auto v = flags->Get("ready-file")) o.ready_file = *v;
  const std::string token_file = setting("token-file", "");
  if (token_file.empty()) {
    err << "effbench serve: --token-file is required: agents authenticate with the fleet token "
           "in it (make one with `effbench token new > fleet.token`)\n";
    return kExitUsage;
  }
  auto token = fleet::ReadTokenFile(token_file);
  auto key =
      token.ok() ? fleet::StoredKeyFromTokenFile(*token) : Result<fleet::Key>(token.status());
  if (!key.ok()) {
    err << "effbench serve: " << key.status().WithContext(token_file).message() << "\n";
    return kExitUsage;
  }
  o.stored_key = *key;
  const auto heartbeat = flags->GetDouble("heartbeat", 5, 0.05, 3600);
  const auto max_frame = flags->GetInt("max-frame", fleet::kDefaultMaxFrame, 1024, 1L << 30);
  const auto frame_timeout = flags->GetDouble("frame-timeout", 10, 0.01, 3600);
  const auto drain = flags->GetDouble("drain-timeout", 10, 0, 3600);
  for (const Status& s :
       {heartbeat.status(), max_frame.status(), frame_timeout.status(), drain.status()}) {
    if (!s.ok()) {
      err << "effbench serve: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  o.heartbeat = std::chrono::milliseconds(static_cast<int64_t>(*heartbeat * 1000));
  o.limits.max_frame = static_cast<size_t>(*max_frame);
  o.limits.frame_timeout = std::chrono::milliseconds(static_cast<int64_t>(*frame_timeout * 1000));
  o.drain_timeout = std::chrono::milliseconds(static_cast<int64_t>(*drain * 1000));
  auto schedules = SchedulesOf(config);
  if (!schedules.ok()) {
    err << "effbench serve: " << schedules.status().message() << "\n";
    return kExitUsage;
  }
  o.schedules = *schedules;
  if (auto at = flags->Get("schedule")) {
    coordinator::Schedule s;
    s.at = *at;
    s.suite = flags->GetOr("schedule-suite", s.suite);
    s.agents = flags->GetOr("schedule-agents", s.agents);
    o.schedules.push_back(s);
  }
  // A write past a file size limit must fail (EFBIG, which the store reports)
  // rather than kill the server; and a server holding many agents wants all
  // the descriptors it may have (it sheds connections at the limit).
  std::signal(SIGXFSZ, SIG_IGN);
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  auto server = coordinator::Coordinator::Create(std::move(o), err);
  if (!server.ok()) {
    err << "effbench serve: " << server.status().message() << "\n";
    return server.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitError;
  }
  if (Status s = (*server)->Run(); !s.ok()) {
    err << "effbench serve: " << s.message() << "\n";
    return kExitError;
  }
  return kExitOk;
}

int SubmitCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(
      args, {"coordinator", "suite", "workload", "agents", "repo", "commit", "branch",
             "commit-time", "token-file", "repetitions", "min-time", "threads", "seed", "format"});
  if (!flags.ok()) {
    err << "effbench submit: " << flags.status().message() << "\n";
    return kExitUsage;
  }
  const std::string url = flags->GetOr("coordinator", "");
  const std::string scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) {
    err << "effbench submit: --coordinator must be the coordinator's HTTP API, "
           "http://HOST:PORT (effbench serve --http)\n";
    return kExitUsage;
  }
  std::string hostport = url.substr(scheme.size());
  if (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
  const size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) {
    err << "effbench submit: --coordinator " << url << " has no port\n";
    return kExitUsage;
  }
  if (!flags->Has("suite") && !flags->Has("workload")) {
    err << "effbench submit: give --suite NAME or --workload GLOB\n";
    return kExitUsage;
  }
  auto token = fleet::ReadTokenFile(flags->GetOr("token-file", "fleet.token"));
  if (!token.ok()) {
    err << "effbench submit: " << token.status().message() << " (--token-file)\n";
    return kExitUsage;
  }
  json request = json::object();
  for (const char* key : {"suite", "workload", "agents"}) {
    if (auto v = flags->Get(key)) request[key] = *v;
  }
  json revision = json::object();
  for (const char* key : {"repo", "commit", "branch"}) {
    if (auto v = flags->Get(key)) revision[key] = *v;
  }
  if (auto v = flags->Get("commit-time")) revision["time"] = *v;
  request["revision"] = revision;
  json options = json::object();
  const auto reps = flags->GetInt("repetitions", 5, 1, 1000);
  const auto min_time = flags->GetDouble("min-time", 0.1, 0.0001, 3600);
  const auto threads = flags->GetInt("threads", 1, 1, 4096);
  const auto seed = flags->GetInt("seed", -1, 0, std::numeric_limits<int32_t>::max());
  for (const Status& s : {reps.status(), min_time.status(), threads.status(), seed.status()}) {
    if (!s.ok()) {
      err << "effbench submit: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  options["repetitions"] = *reps;
  options["min_time_s"] = *min_time;
  options["threads"] = *threads;
  if (*seed >= 0) options["seed"] = *seed;
  request["options"] = options;

  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(resolver.resolve(hostport.substr(0, colon), hostport.substr(colon + 1)));
    http::request<http::string_body> req{http::verb::post, "/api/jobs", 11};
    req.set(http::field::host, hostport);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::authorization, "Bearer " + *token);
    req.body() = request.dump();
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    const json body = json::parse(res.body(), nullptr, false);
    if (res.result() != http::status::created) {
      err << "effbench submit: the coordinator refused (" << res.result_int() << "): "
          << (body.is_object() && body.contains("error") ? body["error"].get<std::string>()
                                                         : res.body())
          << "\n";
      return res.result() == http::status::unauthorized || res.result() == http::status::bad_request
                 ? kExitUsage
                 : kExitError;
    }
    if (flags->GetOr("format", "console") == "json") {
      out << body.dump(2) << "\n";
    } else {
      for (const json& job : body["jobs"]) {
        out << "queued job " << job["id"].get<std::string>() << " on "
            << job["agent"].get<std::string>() << ": run " << job["run_id"].get<std::string>()
            << ", " << job["workloads"] << " workloads\n";
      }
    }
    return kExitOk;
  } catch (const std::exception& e) {
    err << "effbench submit: cannot reach the coordinator at " << url << ": " << e.what() << "\n";
    return kExitError;
  }
}

int TokenCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, {"token-file"});
  if (!flags.ok() || flags->positional().size() != 1) {
    err << "usage: effbench token new | effbench token hash --token-file F\n";
    return kExitUsage;
  }
  const std::string& what = flags->positional()[0];
  if (what == "new") {
    out << fleet::NewNonceHex() << "\n";
    return kExitOk;
  }
  if (what == "hash") {
    auto token = fleet::ReadTokenFile(flags->GetOr("token-file", "fleet.token"));
    if (!token.ok()) {
      err << "effbench token: " << token.status().message() << "\n";
      return kExitUsage;
    }
    auto key = fleet::StoredKeyFromTokenFile(*token);
    if (!key.ok()) {
      err << "effbench token: " << key.status().message() << "\n";
      return kExitUsage;
    }
    out << fleet::kStoredKeyPrefix << fleet::Hex(key->data(), key->size()) << "\n";
    return kExitOk;
  }
  err << "effbench token: unknown action '" << what << "' (new, hash)\n";
  return kExitUsage;
}

}  // namespace effbench::cli
