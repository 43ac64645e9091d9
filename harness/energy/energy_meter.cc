#include "harness/energy/energy_meter.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

namespace effbench::energy {
namespace {

namespace fs = std::filesystem;

std::optional<long long> ReadNumber(const fs::path& path) {
  std::ifstream in(path);
  long long value = 0;
  if (!(in >> value)) return std::nullopt;
  return value;
}

class UnavailableMeter final : public EnergyMeter {
 public:
  std::string source() const override { return "unavailable"; }
  std::optional<double> ReadJoules() override { return std::nullopt; }
};

// Sums the package domains; each counter is unwrapped with its own range.
class RaplMeter final : public EnergyMeter {
 public:
  struct Domain {
    fs::path energy_file;
    std::string name;
    long long range_uj = 0;
    long long last_uj = 0;
    long long wraps = 0;
  };
  explicit RaplMeter(std::vector<Domain> domains) : domains_(std::move(domains)) {}

  std::string source() const override {
    std::string s = "rapl:";
    for (size_t i = 0; i < domains_.size(); ++i) s += (i ? "+" : "") + domains_[i].name;
    return s;
  }

  std::optional<double> ReadJoules() override {
    double total_uj = 0;
    for (Domain& d : domains_) {
      const auto now = ReadNumber(d.energy_file);
      if (!now) return std::nullopt;
      if (*now < d.last_uj) ++d.wraps;
      d.last_uj = *now;
      total_uj += static_cast<double>(*now) + static_cast<double>(d.wraps * d.range_uj);
    }
    return total_uj * 1e-6;
  }

 private:
  std::vector<Domain> domains_;
};

}  // namespace

std::unique_ptr<EnergyMeter> MakeEnergyMeter(const std::string& powercap_root) {
  std::vector<RaplMeter::Domain> domains;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(powercap_root, ec)) {
    const std::string dir = entry.path().filename().string();
    // Top-level package domains only: intel-rapl:0, not the sub-domain intel-rapl:0:0.
    if (dir.rfind("intel-rapl:", 0) != 0 || std::count(dir.begin(), dir.end(), ':') != 1) continue;
    RaplMeter::Domain d;
    d.energy_file = entry.path() / "energy_uj";
    std::ifstream name_in(entry.path() / "name");
    if (!(name_in >> d.name)) d.name = dir;
    const auto first = ReadNumber(d.energy_file);
    if (!first) continue;  // present but not readable (root-only since CVE-2020-8694)
    d.last_uj = *first;
    d.range_uj = ReadNumber(entry.path() / "max_energy_range_uj").value_or(0);
    domains.push_back(std::move(d));
  }
  if (domains.empty()) return std::make_unique<UnavailableMeter>();
  std::sort(domains.begin(), domains.end(),
            [](const auto& a, const auto& b) { return a.energy_file < b.energy_file; });
  return std::make_unique<RaplMeter>(std::move(domains));
}

}  // namespace effbench::energy
