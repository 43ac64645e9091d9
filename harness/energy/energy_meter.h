// Energy meters: read a cumulative energy counter around timed work.
//
// RaplMeter reads the Linux powercap files of the package domains
// (/sys/class/powercap/intel-rapl:N/energy_uj, also used for AMD) where they
// are readable; elsewhere MakeEnergyMeter returns a meter whose source is
// "unavailable" and that reads nothing.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace effbench::energy {

class EnergyMeter {
 public:
  virtual ~EnergyMeter() = default;
  // "rapl:package-0+package-1", or "unavailable".
  virtual std::string source() const = 0;
  // Energy consumed since an arbitrary origin, in joules, or nullopt when it
  // cannot be read. Successive reads are monotonic (counter wraps are undone).
  virtual std::optional<double> ReadJoules() = 0;
};

// The best meter this machine offers. `powercap_root` is injectable for tests.
std::unique_ptr<EnergyMeter> MakeEnergyMeter(
    const std::string& powercap_root = "/sys/class/powercap");

}  // namespace effbench::energy
