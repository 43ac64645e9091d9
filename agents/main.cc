// effbench-agent: see agent.h; its flags are declared in kAgent below.
//   effbench-agent --coordinator tcp://HOST:PORT --token-file F [--spool DIR]
//                  [--name NAME] [--labels k=v,...] [--ca FILE]
#include <csignal>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "agents/agent.h"
#include "core/cpu_features.h"
#include "core/flags.h"
#include "harness/fleet/auth.h"
#include "harness/machine/inventory.h"

namespace {

const effbench::CommandSpec kAgent = {
    "effbench-agent",
    "",
    "connect to a coordinator, take its jobs, run them and stream every result",
    "",
    {effbench::TextFlag("coordinator", "URL[,URL...]",
                        "the coordinator's agent port (effbench serve --listen): tcp://HOST:PORT, "
                        "or tls://HOST:PORT over TLS; several, comma-separated: when one goes, "
                        "the next"),
     effbench::TextFlag("token-file", "FILE",
                        "the fleet token, or this agent's own key (effbench agents enroll)"),
     effbench::TextFlag("ca", "FILE",
                        "the CA (or self-signed certificate) to verify a tls:// coordinator with "
                        "[the system's CAs]")
         .Replaces({"tls-ca"}),
     effbench::TextFlag("spool", "DIR",
                        "where results wait for their acknowledgement [effbench-spool]"),
     effbench::IntegerFlag("spool-max-mb", "MB",
                           "the most unacknowledged results the spool holds; past it the job "
                           "pauses until the coordinator acknowledges [1024]"),
     effbench::TextFlag("name", "NAME", "this agent's name in the fleet [the hostname]"),
     effbench::TextFlag("labels", "K=V,...",
                        "labels that job selectors match (gpu=h100,site=lab2)"),
     effbench::Switch("no-calibrate",
                      "do not measure the roofline at start (no roofline fractions)"),
     effbench::NumberFlag("max-backoff", "SECONDS", "the longest wait between reconnects [30]"),
     effbench::TextFlag("data-dir", "DIR",
                        "datasets of the accuracy suite [$EFFBENCH_DATA_DIR or "
                        "/usr/share/datasets/fashion-mnist]"),
     effbench::TextFlag("cache-dir", "DIR",
                        "trained models [$EFFBENCH_CACHE_DIR or ~/.cache/effbench]"),
     effbench::Switch("tls", "deprecated: give a tls:// coordinator URL")},
    "",
    "0 stopped by SIGTERM/SIGINT, 1 refused by the coordinator or error, 2 usage"};

int Usage(const std::string& problem) {
  std::cerr << "effbench-agent: " << problem << "\n(effbench-agent --help lists its flags)\n";
  return 2;
}

// tcp://HOST:PORT or tls://HOST:PORT ([v6]:PORT too); a bare HOST:PORT, the
// old spelling, is tcp:// with a warning.
struct Endpoint {
  std::string host, port;
  bool tls = false;
};
std::optional<Endpoint> ParseCoordinator(std::string text) {
  Endpoint e;
  if (text.rfind("tls://", 0) == 0) {
    e.tls = true;
    text = text.substr(6);
  } else if (text.rfind("tcp://", 0) == 0) {
    text = text.substr(6);
  } else if (text.find("://") != std::string::npos) {
    return std::nullopt;
  } else {
    std::cerr << "effbench-agent: --coordinator HOST:PORT is deprecated; use tcp://HOST:PORT or "
                 "tls://HOST:PORT (the old spelling goes in the next release)\n";
  }
  const size_t colon = text.rfind(':');
  if (text.empty() || colon == std::string::npos || colon == 0 || colon + 1 == text.size() ||
      text.find('/') != std::string::npos) {
    return std::nullopt;
  }
  e.host = text.substr(0, colon);
  e.port = text.substr(colon + 1);
  if (e.host.size() > 2 && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  // A write past a file size limit must fail (EFBIG: the spool pauses the
  // job until it can write) rather than kill the agent.
  std::signal(SIGXFSZ, SIG_IGN);
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") {
      std::cout << kAgent.Help();
      return 0;
    }
    if (arg == "--help-markdown") {  // its part of the README's command reference
      std::cout << kAgent.Markdown();
      return 0;
    }
    if (arg == "--version") {
      std::cout << "effbench-agent " << EFFBENCH_VERSION << "\n"
                << "build: " << effbench::machine::BuildDescription() << "\n";
      return 0;
    }
  }
  auto flags = effbench::Flags::Parse(args, kAgent, std::cerr);
  if (!flags.ok()) return Usage(flags.status().message());
  if (!flags->positional().empty()) return Usage("unexpected word " + flags->positional().front());
  effbench::agent::AgentOptions o;
  if (flags->Has("tls")) {
    std::cerr << "effbench-agent: --tls is deprecated; give a tls:// coordinator URL (it goes in "
                 "the next release)\n";
  }
  o.tls = flags->Has("tls");
  o.calibrate = !flags->Has("no-calibrate");
  o.spool_dir = flags->GetOr("spool", o.spool_dir);
  auto spool_mb = flags->GetInt("spool-max-mb", 1024, 1, 1 << 24);
  if (!spool_mb.ok()) return Usage(spool_mb.status().message());
  o.spool_max_bytes = static_cast<uint64_t>(*spool_mb) << 20;
  o.name = flags->GetOr("name", o.name);
  o.data_dir = flags->GetOr("data-dir", "");
  o.cache_dir = flags->GetOr("cache-dir", "");
  if (auto ca = flags->Get("ca")) o.tls_ca = *ca;
  if (auto text = flags->Get("labels")) {
    auto labels = effbench::agent::ParseLabels(*text);
    if (!labels.ok()) return Usage(labels.status().message());
    o.labels = *labels;
  }
  if (flags->Has("max-backoff")) {
    auto seconds = flags->GetDouble("max-backoff", 30, 0.01, 86400);
    if (!seconds.ok()) return Usage(seconds.status().message());
    o.backoff_max = std::chrono::milliseconds(static_cast<int64_t>(*seconds * 1000));
    o.backoff_initial = std::min(o.backoff_initial, o.backoff_max);
  }
  const std::string coordinator = flags->GetOr("coordinator", "");
  const std::string token_file = flags->GetOr("token-file", "");
  if (coordinator.empty()) return Usage("--coordinator URL is required (tcp://HOST:PORT)");
  std::stringstream list(coordinator);
  for (std::string one; std::getline(list, one, ',');) {
    const auto endpoint = ParseCoordinator(one);
    if (!endpoint) {
      return Usage("--coordinator " + one + " is not tcp://HOST:PORT or tls://HOST:PORT");
    }
    o.coordinators.push_back({endpoint->host, endpoint->port, o.tls || endpoint->tls});
  }
  if (o.coordinators.empty()) return Usage("--coordinator URL is required (tcp://HOST:PORT)");
  o.host = o.coordinators.front().host;
  o.port = o.coordinators.front().port;
  o.tls = o.coordinators.front().tls;
  for (const auto& c : o.coordinators) {
    if (o.tls_ca && !c.tls) {
      return Usage("--ca verifies a tls:// coordinator; " + c.host + ":" + c.port + " is not one");
    }
  }
  if (token_file.empty()) return Usage("--token-file is required");
  auto token = effbench::fleet::ReadTokenFile(token_file);
  if (!token.ok()) return Usage(token.status().message());
  if (auto exposed = effbench::fleet::TokenFileExposure(token_file)) {
    std::cerr << "effbench-agent: " << *exposed << "\n";
  }
  if (token->rfind(effbench::fleet::kStoredKeyPrefix, 0) == 0) {
    return Usage("--token-file " + token_file +
                 " holds a stored key (for the coordinator); the agent needs the token itself");
  }
  o.token = *token;
  if (auto cap = effbench::cpu::IsaCapFromEnvironment(); !cap.ok()) {
    return Usage(cap.status().message());
  }
  auto agent = effbench::agent::Agent::Create(std::move(o), std::cerr);
  if (!agent.ok()) {
    std::cerr << "effbench-agent: " << agent.status().message() << "\n";
    return 1;
  }
  return (*agent)->Run();
}
