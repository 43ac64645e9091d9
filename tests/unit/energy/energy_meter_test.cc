#include "harness/energy/energy_meter.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/test_util.h"

namespace effbench::energy {
namespace {

void WriteDomain(const std::filesystem::path& root, const std::string& dir, const std::string& name,
                 long long energy_uj, long long range_uj) {
  std::filesystem::create_directories(root / dir);
  std::ofstream(root / dir / "name") << name << "\n";
  std::ofstream(root / dir / "energy_uj") << energy_uj << "\n";
  std::ofstream(root / dir / "max_energy_range_uj") << range_uj << "\n";
}

TEST_CASE("no powercap directory means energy is unavailable", "[energy]") {
  testing::TempDir dir;
  auto meter = MakeEnergyMeter(dir.File("missing"));
  CHECK(meter->source() == "unavailable");
  CHECK_FALSE(meter->ReadJoules().has_value());
}

TEST_CASE("RAPL package domains are summed and unwrapped", "[energy]") {
  testing::TempDir dir;
  WriteDomain(dir.path(), "intel-rapl:0", "package-0", 1'000'000, 10'000'000);
  WriteDomain(dir.path(), "intel-rapl:1", "package-1", 2'000'000, 10'000'000);
  WriteDomain(dir.path(), "intel-rapl:0:0", "core", 5, 10'000'000);  // sub-domain: not summed
  auto meter = MakeEnergyMeter(dir.path().string());
  CHECK(meter->source() == "rapl:package-0+package-1");
  auto first = meter->ReadJoules();
  REQUIRE(first.has_value());
  CHECK(*first == Approx(3.0));

  // Package 0 wraps past its range: 9.5 J → 0.5 J is +1 J, not −9 J.
  WriteDomain(dir.path(), "intel-rapl:0", "package-0", 9'500'000, 10'000'000);
  const double before_wrap = *meter->ReadJoules();
  WriteDomain(dir.path(), "intel-rapl:0", "package-0", 500'000, 10'000'000);
  const double after_wrap = *meter->ReadJoules();
  CHECK(after_wrap - before_wrap == Approx(1.0));
}

}  // namespace
}  // namespace effbench::energy
