#include "harness/machine/inventory.h"

#include <openssl/evp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "core/arm_features.h"
#include "core/cpu_features.h"
#include "harness/machine/gpu_inventory.h"

#ifndef EFFBENCH_CXX_FLAGS
#define EFFBENCH_CXX_FLAGS ""
#endif
#ifndef EFFBENCH_BENCHMARK_VERSION
#define EFFBENCH_BENCHMARK_VERSION "unknown"
#endif

namespace effbench::machine {
namespace {

namespace fs = std::filesystem;

// The ISA features that decide which kernels can run and how fast.
const std::set<std::string_view> kInterestingIsa = {
    "sse4_2",   "avx",      "avx2",        "fma",         "f16c",        "avx512f",
    "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni",
    "amx_tile", "amx_int8", "amx_bf16",    "asimd",       "asimddp",     "neon",
    "sve",      "sve2",     "bf16",        "i8mm",        "fphp",        "asimdhp"};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t\n");
  return std::string(s.substr(b, e - b + 1));
}

int64_t ParseSize(const std::string& text) {  // "32K", "1024K", "32768K", "2M"
  if (text.empty()) return 0;
  int64_t value = std::atoll(text.c_str());
  const char unit = text.back();
  if (unit == 'K') value *= 1024;
  if (unit == 'M') value *= 1024 * 1024;
  return value;
}

std::vector<Cache> ProbeCaches() {
  std::vector<Cache> caches;
  const fs::path base = "/sys/devices/system/cpu/cpu0/cache";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(base, ec)) {
    if (entry.path().filename().string().rfind("index", 0) != 0) continue;
    Cache c;
    c.level = std::atoi(ReadFile(entry.path() / "level").c_str());
    c.type = Trim(ReadFile(entry.path() / "type"));
    c.bytes = ParseSize(Trim(ReadFile(entry.path() / "size")));
    caches.push_back(c);
  }
  std::sort(caches.begin(), caches.end(), [](const Cache& a, const Cache& b) {
    return std::tie(a.level, a.type) < std::tie(b.level, b.type);
  });
  return caches;
}

int CountPhysicalCores(int logical) {
  std::set<std::pair<std::string, std::string>> cores;
  for (int cpu = 0; cpu < logical; ++cpu) {
    const fs::path topo = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology";
    cores.emplace(Trim(ReadFile(topo / "physical_package_id")), Trim(ReadFile(topo / "core_id")));
  }
  return cores.empty() || (cores.size() == 1 && cores.begin()->second.empty())
             ? logical
             : static_cast<int>(cores.size());
}

std::string OsName() {
  std::istringstream in(ReadFile("/etc/os-release"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
      return v;
    }
  }
  return "unknown";
}

}  // namespace

bool Inventory::HasIsa(std::string_view flag) const {
  return std::find(isa.begin(), isa.end(), flag) != isa.end();
}

void ParseCpuinfo(std::string_view cpuinfo, Inventory& inv) {
  std::set<std::string> isa;
  std::string arm_part, arm_implementer, arm_variant, arm_revision;
  size_t pos = 0;
  while (pos < cpuinfo.size()) {
    size_t end = cpuinfo.find('\n', pos);
    if (end == std::string_view::npos) end = cpuinfo.size();
    const std::string_view line = cpuinfo.substr(pos, end - pos);
    pos = end + 1;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string key = Trim(line.substr(0, colon));
    const std::string value = Trim(line.substr(colon + 1));
    if (key == "model name" && inv.cpu_model.empty()) inv.cpu_model = value;
    if (key == "CPU part" && arm_part.empty()) arm_part = value;
    if (key == "CPU implementer" && arm_implementer.empty()) arm_implementer = value;
    if (key == "CPU variant" && arm_variant.empty()) arm_variant = value;
    if (key == "CPU revision" && arm_revision.empty()) arm_revision = value;
    if (key == "flags" || key == "Features") {
      std::istringstream words(value);
      for (std::string w; words >> w;) {
        if (kInterestingIsa.count(w)) isa.insert(w);
      }
    }
  }
  if (isa.count("asimd")) isa.insert("neon");
  if (inv.cpu_model.empty() && !arm_part.empty()) {
    // The MIDR_EL1 these fields come from, named (core/arm_features.h).
    const auto number = [](const std::string& text) {
      return text.empty() ? 0ull : std::strtoull(text.c_str(), nullptr, 0);
    };
    inv.cpu_model = cpu::ArmCoreName(number(arm_implementer) << 24 | number(arm_variant) << 20 |
                                     number(arm_part) << 4 | number(arm_revision));
  }
  inv.isa.assign(isa.begin(), isa.end());
}

std::string BuildDescription() {
#if defined(__clang__)
  std::string text = "clang " __clang_version__;
#elif defined(__GNUC__)
  std::string text = "gcc " __VERSION__;
#else
  std::string text = "an unknown compiler";
#endif
  // The flags as the inventory (and so the fingerprint) has them, spaces
  // collapsed for reading.
  for (const char c : std::string(" ") + EFFBENCH_CXX_FLAGS) {
    if (c != ' ' || text.back() != ' ') text += c;
  }
  text += std::string("; onednn ") + EFFBENCH_ONEDNN_VERSION;
  text += std::string("; google-benchmark ") + EFFBENCH_BENCHMARK_VERSION;
  text += std::string("; CUDA Toolkit ") + EFFBENCH_CUDA_TOOLKIT;
  return text;
}

Inventory Probe() {
  Inventory inv;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) inv.hostname = host;
  utsname u{};
  if (uname(&u) == 0) {
    inv.arch = u.machine;
    inv.kernel = u.release;
  }
  // Under qemu-user /proc/cpuinfo is the host's: none of it is this CPU.
  const std::string cpuinfo = ReadFile("/proc/cpuinfo");
  inv.emulated = cpu::CpuinfoOfAnotherArch(cpuinfo, inv.arch);
  if (!inv.emulated) ParseCpuinfo(cpuinfo, inv);
  if (const auto arm = cpu::ProbeArm()) {
    // On Arm the kernel's hwcaps are the truth (and all there is, emulated).
    inv.isa = arm->features.flags;
    if (std::find(inv.isa.begin(), inv.isa.end(), "asimd") != inv.isa.end()) {
      inv.isa.push_back("neon");
      std::sort(inv.isa.begin(), inv.isa.end());
    }
    inv.sve_bits = arm->features.sve_bits;
    if (arm->midr && (inv.cpu_model.empty() || inv.emulated)) {
      inv.cpu_model = cpu::ArmCoreName(*arm->midr);
    }
  }
  std::erase_if(inv.isa, [](const std::string& flag) { return !cpu::IsaAllows(flag); });
  if (const cpu::IsaLevel cap = cpu::IsaCap(); cap != cpu::IsaLevel::kAll) {
    inv.isa_cap = cpu::IsaLevelName(cap);
  } else if (const cpu::ArmLevel arm_cap = cpu::ArmCap();
             arm_cap != cpu::ArmLevel::kAll && inv.arch == "aarch64") {
    inv.isa_cap = cpu::ArmLevelName(arm_cap);
  }
  if (!std::any_of(inv.isa.begin(), inv.isa.end(),
                   [](const std::string& f) { return f == "sve"; })) {
    inv.sve_bits = 0;  // capped below SVE
  }
  if (inv.cpu_model.empty()) inv.cpu_model = "unknown " + inv.arch + " CPU";
  inv.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  inv.cores = CountPhysicalCores(inv.threads);
  inv.caches = ProbeCaches();
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) inv.memory_bytes = static_cast<int64_t>(pages) * page_size;
  inv.os = OsName();
#if defined(__clang__)
  inv.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  inv.compiler = "gcc " __VERSION__;
#endif
  inv.compiler += std::string(" ") + EFFBENCH_CXX_FLAGS;
  inv.libraries = {{"onednn", EFFBENCH_ONEDNN_VERSION}};
  inv.libraries.emplace_back("google-benchmark", EFFBENCH_BENCHMARK_VERSION);
  inv.gpus = ProbeGpus();
  return inv;
}

nlohmann::json ToJson(const Inventory& inv) {
  nlohmann::json caches = nlohmann::json::array();
  for (const Cache& c : inv.caches) {
    caches.push_back({{"level", c.level}, {"type", c.type}, {"bytes", c.bytes}});
  }
  nlohmann::json libraries = nlohmann::json::object();
  for (const auto& [name, version] : inv.libraries) libraries[name] = version;
  nlohmann::json j = {{"hostname", inv.hostname},
                      {"arch", inv.arch},
                      {"cpu_model", inv.cpu_model},
                      {"cores", inv.cores},
                      {"threads", inv.threads},
                      {"isa", inv.isa},
                      {"caches", caches},
                      {"memory_bytes", inv.memory_bytes},
                      {"os", inv.os},
                      {"kernel", inv.kernel},
                      {"compiler", inv.compiler},
                      {"libraries", libraries},
                      {"gpus", inv.gpus}};
  // Only when capped: an uncapped machine keeps the fingerprint it always had.
  if (!inv.isa_cap.empty()) j["isa_cap"] = inv.isa_cap;
  // Likewise only where there is something to say.
  if (inv.sve_bits > 0) j["sve_bits"] = inv.sve_bits;
  if (inv.emulated) j["emulated"] = true;
  return j;
}

std::string Fingerprint(const Inventory& inv) {
  return Sha256Hex(ToJson(inv).dump());  // object keys are sorted: canonical
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace effbench::machine
