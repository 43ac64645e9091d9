// effbench-agent: see agent.h.
//   effbench-agent --coordinator HOST:PORT --token-file F [--spool DIR]
//                  [--name NAME] [--labels k=v,...] [--tls [--tls-ca FILE]]
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "agents/agent.h"
#include "harness/fleet/auth.h"
#include "workloads/common/cpu_isa.h"

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
  effbench::agent::AgentOptions o;
  std::string coordinator, token_file;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    const auto value = [&]() -> const std::string* {
      if (i + 1 >= args.size()) return nullptr;
      return &args[++i];
    };
    const std::string* v = nullptr;
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (flag == "--version") {
      std::cout << "effbench-agent " << EFFBENCH_VERSION << "\n";
      return 0;
    } else if (flag == "--tls") {
      o.tls = true;
    } else if (flag == "--no-calibrate") {
      o.calibrate = false;
    } else if (flag == "--coordinator" || flag == "--token-file" || flag == "--spool" ||
               flag == "--name" || flag == "--labels" || flag == "--tls-ca" ||
               flag == "--max-backoff") {
      if (!(v = value())) return Usage(flag + " needs a value");
      if (flag == "--coordinator") coordinator = *v;
      if (flag == "--token-file") token_file = *v;
      if (flag == "--spool") o.spool_dir = *v;
      if (flag == "--name") o.name = *v;
      if (flag == "--tls-ca") o.tls_ca = *v;
      if (flag == "--labels") {
        auto labels = effbench::agent::ParseLabels(*v);
        if (!labels.ok()) return Usage(labels.status().message());
        o.labels = *labels;
      }
      if (flag == "--max-backoff") {
        char* end = nullptr;
        const double s = std::strtod(v->c_str(), &end);
        if (*end || s < 0.01 || s > 86400) return Usage("--max-backoff must be 0.01-86400 seconds");
        o.backoff_max = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
        o.backoff_initial = std::min(o.backoff_initial, o.backoff_max);
      }
    } else {
      return Usage("unknown flag " + flag);
    }
  }
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
  if (auto cap = effbench::workloads::IsaCapFromEnvironment(); !cap.ok()) {
    return Usage(cap.status().message());
  }
  auto agent = effbench::agent::Agent::Create(std::move(o), std::cerr);
  if (!agent.ok()) {
    std::cerr << "effbench-agent: " << agent.status().message() << "\n";
    return 1;
  }
  return (*agent)->Run();
}
