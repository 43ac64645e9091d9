// effbench-agent: see agent.h.
//   effbench-agent --coordinator HOST:PORT --token-file F [--spool DIR]
//                  [--name NAME] [--labels k=v,...] [--tls [--tls-ca FILE]]
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "agents/agent.h"
#include "core/cpu_features.h"
#include "core/flags.h"
#include "harness/fleet/auth.h"
#include "harness/machine/inventory.h"

namespace {

constexpr char kUsage[] = R"(usage: effbench-agent --coordinator HOST:PORT --token-file F [flags]

  --coordinator HOST:PORT  the coordinator's agent port (effbench serve --listen)
  --token-file F           the fleet token (the same token as the coordinator's)
  --spool DIR              where results wait for their acknowledgement [effbench-spool]
  --name NAME              this agent's name in the fleet [the hostname]
  --labels k=v,...         labels that job selectors match (gpu=h100,site=lab2)
  --tls                    connect over TLS (verify with the system's CAs, or --tls-ca)
  --tls-ca FILE            the CA (or self-signed certificate) to verify the coordinator with
  --no-calibrate           do not measure the roofline at start (no roofline fractions)
  --max-backoff S          the longest wait between reconnects [30]
  --data-dir DIR           datasets of the accuracy suite [$EFFBENCH_DATA_DIR or
                           /usr/share/datasets/fashion-mnist]
  --cache-dir DIR          trained models [$EFFBENCH_CACHE_DIR or ~/.cache/effbench]

exit codes: 0 stopped by SIGTERM/SIGINT, 1 refused by the coordinator or error, 2 usage
)";

int Usage(const std::string& problem) {
  std::cerr << "effbench-agent: " << problem << "\n\n" << kUsage;
  return 2;
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
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "effbench-agent " << EFFBENCH_VERSION << "\n"
                << "build: " << effbench::machine::BuildDescription() << "\n";
      return 0;
    }
  }
  auto flags = effbench::Flags::Parse(args,
                                      {"coordinator", "token-file", "spool", "name", "labels",
                                       "tls-ca", "max-backoff", "data-dir", "cache-dir"},
                                      {"tls", "no-calibrate"});
  if (!flags.ok()) return Usage(flags.status().message());
  if (!flags->positional().empty()) return Usage("unexpected word " + flags->positional().front());
  effbench::agent::AgentOptions o;
  o.tls = flags->Has("tls");
  o.calibrate = !flags->Has("no-calibrate");
  o.spool_dir = flags->GetOr("spool", o.spool_dir);
  o.name = flags->GetOr("name", o.name);
  o.data_dir = flags->GetOr("data-dir", "");
  o.cache_dir = flags->GetOr("cache-dir", "");
  if (auto ca = flags->Get("tls-ca")) o.tls_ca = *ca;
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
  const size_t colon = coordinator.rfind(':');
  if (coordinator.empty() || colon == std::string::npos || colon + 1 == coordinator.size()) {
    return Usage("--coordinator HOST:PORT is required");
  }
  o.host = coordinator.substr(0, colon);
  o.port = coordinator.substr(colon + 1);
  if (o.host.size() > 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
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
