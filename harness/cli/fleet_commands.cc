// effbench serve | submit | token: the coordinator and its clients.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/terminal.h"
#include "core/time.h"
#include "harness/cli/command_specs.h"
#include "harness/cli/commands.h"
#include "harness/cli/coordinator_client.h"
#include "harness/cli/flags.h"
#include "harness/coordinator/coordinator.h"
#include "harness/fleet/auth.h"
#include "harness/result/record.h"

namespace effbench::cli {
namespace {

using nlohmann::json;
namespace beast = boost::beast;
namespace http = beast::http;

// The server config file: the serve flags by name, plus "schedule", a list of
// {"at": "02:00", "suite": "standard", "workload": GLOB, "agents": "*",
// "options": {...}}.
Result<json> ReadConfig(const std::string& path) {
  const auto text = ReadFile(path);
  if (!text.ok()) return Status::NotFound("config file " + path + " cannot be read");
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("config file " + path + " is not a JSON object");
  }
  // A misspelt key must not be ignored in silence: the setting it meant
  // would quietly keep its default.
  static const std::vector<std::string> kKeys = {"db",           "listen",     "http",
                                                 "tls_cert",     "tls_key",    "http_tls_cert",
                                                 "http_tls_key", "token_file", "schedule"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      std::string known;
      for (const auto& k : kKeys) known += (known.empty() ? "" : ", ") + k;
      return Status::InvalidArgument("config file " + path + ": unknown key \"" + key +
                                     "\" (known: " + known + ")");
    }
    if (key != "schedule" && !value.is_string()) {
      return Status::InvalidArgument("config file " + path + ": \"" + key + "\" must be a string");
    }
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
  auto flags = Flags::Parse(args, kServeCommand, err);
  if (!flags.ok()) {
    return UsageError(err, flags.status().message(), kServeCommand);
  }
  json config = json::object();
  if (auto path = flags->Get("config")) {
    auto read = ReadConfig(*path);
    if (!read.ok()) {
      return UsageError(err, read.status().message(), kServeCommand);
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
  o.db_transport = TransportFromFlags(*flags);
  o.listen = setting("listen", "127.0.0.1:7450");
  if (auto v = setting("http", ""); !v.empty()) o.http = v;
  if (auto v = setting("tls-cert", ""); !v.empty()) o.tls_cert = v;
  if (auto v = setting("tls-key", ""); !v.empty()) o.tls_key = v;
  if (auto v = setting("http-tls-cert", ""); !v.empty()) o.http_tls_cert = v;
  if (auto v = setting("http-tls-key", ""); !v.empty()) o.http_tls_key = v;
  o.http_read_token = flags->Has("http-read-token");
  o.require_enrolled = flags->Has("require-enrolled");
  auto detection = DetectionFromFlags(*flags);
  if (!detection.ok()) return UsageError(err, detection.status().message(), kServeCommand);
  o.detection = *detection;
  if (auto v = flags->Get("ready-file")) o.ready_file = *v;
  const std::string token_file = setting("token-file", "");
  if (token_file.empty()) {
    return UsageError(err,
                      "--token-file is required: agents authenticate with the fleet token in it "
                      "(make one with `effbench token new > fleet.token`)",
                      kServeCommand);
  }
  auto token = fleet::ReadTokenFile(token_file);
  auto key =
      token.ok() ? fleet::StoredKeyFromTokenFile(*token) : Result<fleet::Key>(token.status());
  if (!key.ok()) {
    return UsageError(err, key.status().WithContext(token_file).message(), kServeCommand);
  }
  o.stored_key = *key;
  if (auto exposed = fleet::TokenFileExposure(token_file))
    err << "effbench serve: " << *exposed << "\n";
  const auto heartbeat = flags->GetDouble("heartbeat", 5, 0.05, 3600);
  const auto max_frame = flags->GetInt("max-frame", fleet::kDefaultMaxFrame, 1024, 1L << 30);
  const auto frame_timeout = flags->GetDouble("frame-timeout", 10, 0.01, 3600);
  const auto drain = flags->GetDouble("drain-timeout", 10, 0, 3600);
  const auto max_preauth = flags->GetInt("max-preauth", 64, 1, 100000);
  const auto lease = flags->GetDouble("job-lease", 600, 1, 30 * 86400);
  const auto ttl = flags->GetDouble("agent-ttl", 24, 0.001, 24 * 3650);
  const auto http_max = flags->GetInt("http-max-connections", 256, 1, 100000);
  const auto http_timeout = flags->GetDouble("http-request-timeout", 30, 0.1, 3600);
  for (const Status& s : {heartbeat.status(), max_frame.status(), frame_timeout.status(),
                          drain.status(), max_preauth.status(), lease.status(), ttl.status(),
                          http_max.status(), http_timeout.status()}) {
    if (!s.ok()) {
      return UsageError(err, s.message(), kServeCommand);
    }
  }
  o.heartbeat = std::chrono::milliseconds(static_cast<int64_t>(*heartbeat * 1000));
  o.limits.max_frame = static_cast<size_t>(*max_frame);
  o.limits.frame_timeout = std::chrono::milliseconds(static_cast<int64_t>(*frame_timeout * 1000));
  o.drain_timeout = std::chrono::milliseconds(static_cast<int64_t>(*drain * 1000));
  o.max_preauth = static_cast<size_t>(*max_preauth);
  o.http_max_connections = static_cast<size_t>(*http_max);
  o.http_request_timeout = std::chrono::milliseconds(static_cast<int64_t>(*http_timeout * 1000));
  o.job_lease = std::chrono::milliseconds(static_cast<int64_t>(*lease * 1000));
  o.agent_ttl = std::chrono::milliseconds(static_cast<int64_t>(*ttl * 3600'000));
  auto schedules = SchedulesOf(config);
  if (!schedules.ok()) {
    return UsageError(err, schedules.status().message(), kServeCommand);
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
    return Failure(err, s, kServeCommand);
  }
  return kExitOk;
}

namespace {

// The --coordinator, --token-file, --ca and --insecure of a client command.
struct Client {
  CoordinatorUrl url;
  ClientOptions options;
};

Result<Client> ClientOf(const Flags& flags, bool with_token) {
  auto url = ParseCoordinatorUrl(flags.GetOr("coordinator", ""));
  if (!url.ok()) return url.status();
  Client c{*url, {}};
  if (with_token) {
    const std::string file = flags.GetOr("token-file", "fleet.token");
    auto token = fleet::ReadTokenFile(file);
    if (!token.ok()) return token.status().WithContext("--token-file");
    c.options.token = *token;
  }
  if (auto ca = flags.Get("ca")) c.options.ca_file = *ca;
  c.options.insecure = flags.Has("insecure");
  return c;
}

// The exit code of a refusal: 2 when the request was wrong (bad request), 1
// otherwise (a wrong token, a conflict, a coordinator that cannot write).
int RefusalExit(int status) { return status == 400 ? kExitUsage : kExitError; }

// One call of a client command: the reply when the coordinator answered
// `expected`; else prints why as `effbench COMMAND: ...` and sets `exit`.
std::optional<HttpReply> Ask(const Client& client, const std::string& method,
                             const std::string& target, const std::string& body, int expected,
                             const std::string& command, std::ostream& err, int& exit) {
  auto reply = CallCoordinator(client.url, method, target, body, client.options);
  if (!reply.ok()) {
    err << "effbench " << command << ": " << reply.status().message() << "\n";
    exit = reply.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitError;
    return std::nullopt;
  }
  if (reply->status != expected) {
    err << "effbench " << command << ": the coordinator refused (" << reply->status
        << "): " << RefusalText(*reply) << "\n";
    exit = RefusalExit(reply->status);
    return std::nullopt;
  }
  return *reply;
}

}  // namespace

int SubmitCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kSubmitCommand, err);
  if (!flags.ok()) {
    return UsageError(err, flags.status().message(), kSubmitCommand);
  }
  if (!flags->Has("suite") && !flags->Has("workloads")) {
    return UsageError(err, "give --suite NAME or --workloads GLOB", kSubmitCommand);
  }
  const auto json_format = ListFormatIsJson(*flags);
  if (!json_format.ok()) return UsageError(err, json_format.status().message(), kSubmitCommand);
  auto client = ClientOf(*flags, /*with_token=*/true);
  if (!client.ok()) {
    return UsageError(err, client.status().message(), kSubmitCommand);
  }
  json request = json::object();
  // The API's field keeps its name: one pattern.
  if (auto v = flags->Get("suite")) request["suite"] = *v;
  if (auto v = flags->Get("workloads")) request["workload"] = *v;
  if (auto v = flags->Get("agents")) request["agents"] = *v;
  json revision = json::object();
  for (const char* key : {"repo", "commit", "branch"}) {
    if (auto v = flags->Get(key)) revision[key] = *v;
  }
  if (auto v = flags->Get("commit-time")) {
    if (auto t = effbench::ParseIso8601(*v); !t.ok()) {
      return UsageError(err, std::string("--commit-time: ") + t.status().message(), kSubmitCommand);
    }
    revision["time"] = *v;
  }
  request["revision"] = revision;
  json options = json::object();
  const auto reps = flags->GetInt("repetitions", 5, 1, 1000);
  const auto min_time = flags->GetDouble("min-time", 0.1, 0.0001, 3600);
  const auto threads = flags->GetInt("threads", 1, 1, 4096);
  const auto seed = flags->GetInt("seed", -1, 0, std::numeric_limits<int32_t>::max());
  for (const Status& s : {reps.status(), min_time.status(), threads.status(), seed.status()}) {
    if (!s.ok()) {
      return UsageError(err, s.message(), kSubmitCommand);
    }
  }
  options["repetitions"] = *reps;
  options["min_time_s"] = *min_time;
  options["threads"] = *threads;
  if (*seed >= 0) options["seed"] = *seed;
  request["options"] = options;

  int exit = kExitOk;
  const auto reply = Ask(*client, "POST", "/api/jobs", request.dump(), 201, "submit", err, exit);
  if (!reply) return exit;
  if (*json_format) {
    out << reply->body.dump(2) << "\n";
  } else {
    for (const json& job : reply->body["jobs"]) {
      out << "queued job " << job["id"].get<std::string>() << " on "
          << job["agent"].get<std::string>() << ": run " << job["run_id"].get<std::string>() << ", "
          << job["workloads"] << " workloads\n";
    }
  }
  return kExitOk;
}

int JobsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kJobsCommand, err);
  if (!flags.ok()) {
    return UsageError(err, flags.status().message(), kJobsCommand);
  }
  const auto& words = flags->positional();
  const std::string action = words.empty() ? "list" : words[0];
  if (!(action == "list" && words.size() <= 1) && !(action == "cancel" && words.size() == 2)) {
    return UsageError(err, "expected `jobs [list]` or `jobs cancel ID`", kJobsCommand);
  }
  const auto json_format = ListFormatIsJson(*flags);
  if (!json_format.ok()) return UsageError(err, json_format.status().message(), kJobsCommand);
  // A list needs the token only when the coordinator asks for it
  // (--http-read-token); it is sent when the token file is there.
  const bool cancel = action == "cancel";
  auto client = ClientOf(*flags, cancel || flags->Has("token-file"));
  if (!client.ok()) {
    return UsageError(err, client.status().message(), kJobsCommand);
  }
  const std::string target = cancel ? "/api/jobs/" + words[1] + "/cancel" : "/api/jobs";
  int exit = kExitOk;
  const auto reply = Ask(*client, cancel ? "POST" : "GET", target, "", 200, "jobs", err, exit);
  if (!reply) return exit;
  if (cancel) {
    const json& job = reply->body["job"];
    out << "job " << job["id"].get<std::string>() << " on " << job["agent"].get<std::string>()
        << ": " << job["state"].get<std::string>() << "\n";
    return kExitOk;
  }
  json jobs = json::array();
  for (const json& job : reply->body["jobs"]) {
    if (!flags->Has("state") || job["state"] == flags->GetOr("state", "")) jobs.push_back(job);
  }
  if (*json_format) {
    out << json{{"jobs", jobs}}.dump(2) << "\n";
    return kExitOk;
  }
  if (jobs.empty()) out << "no jobs\n";
  for (const json& job : jobs) {
    out << job["id"].get<std::string>() << "  " << job["state"].get<std::string>() << "  "
        << job["agent"].get<std::string>() << "  " << job["suite"].get<std::string>() << "  "
        << job.value("workloads", 0) << " workloads  " << job["updated_at"].get<std::string>();
    if (job.contains("error")) out << "  (" << job["error"].get<std::string>() << ")";
    out << "\n";
  }
  return kExitOk;
}

namespace {

// A secret (a fleet token, an agent's key) going to a file that is created
// 0600 and never replaced: another file of that name may be someone's. The
// file is made before the secret exists (so that a secret is never made for
// a file that cannot be), and removed again if the secret never comes.
class SecretFile {
 public:
  // Creates `path`, empty; the error names it.
  static Result<SecretFile> Create(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Status::IoError(
          "cannot create " + path + ": " + std::strerror(errno) +
          (errno == EEXIST ? " (it exists; a secret's file is never overwritten)" : ""));
    }
    return SecretFile(path, fd);
  }
  SecretFile(SecretFile&& other) noexcept
      : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}
  SecretFile& operator=(SecretFile&&) = delete;
  // Removed unless the secret was written.
  ~SecretFile() {
    if (fd_ < 0) return;
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // Writes `secret` and a newline, and closes the file.
  Status Write(const std::string& secret) {
    const std::string line = secret + "\n";
    const bool written =
        ::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    const bool closed = ::close(std::exchange(fd_, -1)) == 0;
    if (written && closed) return Status::Ok();
    ::unlink(path_.c_str());
    return Status::IoError("cannot write " + path_);
  }

 private:
  SecretFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

}  // namespace

int AgentsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kAgentsCommand, err);
  if (!flags.ok()) {
    return UsageError(err, flags.status().message(), kAgentsCommand);
  }
  const auto& words = flags->positional();
  const std::string action = words.empty() ? "list" : words[0];
  const bool on_one = action == "forget" || action == "enroll" || action == "revoke";
  if (!(action == "list" && words.size() <= 1) && !(on_one && words.size() == 2)) {
    return UsageError(err,
                      "expected `agents [list]`, `agents enroll NAME`, `agents revoke NAME` or "
                      "`agents forget NAME`",
                      kAgentsCommand);
  }
  if (flags->Has("out") && action != "enroll") {
    return UsageError(err, "--out is for `agents enroll`", kAgentsCommand);
  }
  const auto json_format = ListFormatIsJson(*flags);
  if (!json_format.ok()) return UsageError(err, json_format.status().message(), kAgentsCommand);
  auto client = ClientOf(*flags, on_one || flags->Has("token-file"));
  if (!client.ok()) {
    return UsageError(err, client.status().message(), kAgentsCommand);
  }
  int exit = kExitOk;
  if (action == "enroll") {
    // The key's file first: a key is never made for a file that cannot be.
    std::optional<SecretFile> file;
    if (auto path = flags->Get("out")) {
      auto created = SecretFile::Create(*path);
      if (!created.ok()) return Failure(err, created.status(), kAgentsCommand);
      file.emplace(std::move(*created));
    }
    const auto reply =
        Ask(*client, "POST", "/api/agents/" + words[1] + "/key", "", 201, "agents", err, exit);
    if (!reply) return exit;
    const std::string key = reply->body.value("key", "");
    if (!file) {
      out << key << "\n";
    } else if (Status s = file->Write(key); !s.ok()) {
      return Failure(err,
                     Status::IoError(s.message() + "; agent " + words[1] +
                                     " is enrolled with a key nobody has: enroll it again"),
                     kAgentsCommand);
    }
    err << "effbench agents: enrolled " << words[1] << " with a key of its own"
        << (file ? std::string(" in ") + *flags->Get("out") + " (mode 0600)" : std::string())
        << "; on its machine: effbench-agent --name " << words[1]
        << " --token-file KEYFILE ... (the fleet token no longer opens this name)\n";
    return kExitOk;
  }
  const bool forget = action == "forget", revoke = action == "revoke";
  const std::string target = forget   ? "/api/agents/" + words[1]
                             : revoke ? "/api/agents/" + words[1] + "/key"
                                      : "/api/agents";
  const auto reply = Ask(*client, on_one ? "DELETE" : "GET", target, "", 200, "agents", err, exit);
  if (!reply) return exit;
  if (on_one) {
    out << "agent " << words[1]
        << (forget ? " forgotten" : "'s key revoked: it is refused from now on") << "\n";
    return kExitOk;
  }
  if (*json_format) {
    out << reply->body.dump(2) << "\n";
    return kExitOk;
  }
  for (const json& a : reply->body["agents"]) {
    out << ForTerminal(a["name"].get<std::string>()) << "  " << a["state"].get<std::string>()
        << "  last seen " << a.value("last_seen", std::string("never")) << "  "
        << a.value("queued_jobs", 0) << " queued job(s)  " << a.value("credential", "") << "\n";
  }
  return kExitOk;
}

int TokenCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kTokenCommand, err);
  if (!flags.ok()) return UsageError(err, flags.status().message(), kTokenCommand);
  if (flags->positional().size() != 1) {
    return UsageError(err, "expected `token new` or `token hash`", kTokenCommand);
  }
  const std::string& what = flags->positional()[0];
  if (what == "new") {
    const std::string token = fleet::NewNonceHex();
    if (auto path = flags->Get("out")) {
      auto file = SecretFile::Create(*path);
      if (!file.ok()) return Failure(err, file.status(), kTokenCommand);
      if (Status s = file->Write(token); !s.ok()) return Failure(err, s, kTokenCommand);
      err << "effbench token: wrote a new fleet token to " << *path << " (mode 0600)\n";
      return kExitOk;
    }
    out << token << "\n";
    return kExitOk;
  }
  if (what == "hash") {
    auto token = fleet::ReadTokenFile(flags->GetOr("token-file", "fleet.token"));
    if (!token.ok()) {
      return UsageError(err, token.status().message(), kTokenCommand);
    }
    auto key = fleet::StoredKeyFromTokenFile(*token);
    if (!key.ok()) {
      return UsageError(err, key.status().message(), kTokenCommand);
    }
    out << fleet::kStoredKeyPrefix << fleet::Hex(key->data(), key->size()) << "\n";
    return kExitOk;
  }
  return UsageError(err, std::string("unknown action '") + what + "' (new, hash)", kTokenCommand);
}

}  // namespace effbench::cli
