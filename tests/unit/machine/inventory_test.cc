#include "harness/machine/inventory.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "harness/machine/gpu_inventory.h"
#include "workloads/catalog.h"

namespace effbench::machine {
namespace {

TEST_CASE("x86 cpuinfo gives the model and the ISA flags effbench cares about", "[inventory]") {
  Inventory inv;
  ParseCpuinfo(
      "processor\t: 0\nmodel name\t: AMD EPYC 9R14\n"
      "flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_vnni avx512_bf16 hypervisor\n\n"
      "processor\t: 1\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu avx2\n",
      inv);
  CHECK(inv.cpu_model == "AMD EPYC 9R14");
  CHECK(inv.HasIsa("avx512_vnni"));
  CHECK(inv.HasIsa("avx512_bf16"));
  CHECK(inv.HasIsa("avx2"));
  CHECK_FALSE(inv.HasIsa("fpu"));
  CHECK_FALSE(inv.HasIsa("neon"));
}

TEST_CASE("Arm cpuinfo gives neon and dot-product flags", "[inventory]") {
  Inventory inv;
  ParseCpuinfo(
      "processor\t: 0\nFeatures\t: fp asimd evtstrm aes asimddp sve i8mm bf16\n"
      "CPU implementer\t: 0x41\nCPU part\t: 0xd0c\n",
      inv);
  CHECK(inv.HasIsa("neon"));
  CHECK(inv.HasIsa("asimddp"));
  CHECK(inv.HasIsa("i8mm"));
  // Named from the MIDR fields, as core/arm_features.h names a MIDR_EL1.
  CHECK(inv.cpu_model == "Arm Neoverse-N1 r0p0");
  Inventory pi5;
  ParseCpuinfo(
      "processor\t: 0\nFeatures\t: fp asimd asimddp\nCPU implementer\t: 0x41\n"
      "CPU variant\t: 0x4\nCPU part\t: 0xd0b\nCPU revision\t: 1\n",
      pi5);
  CHECK(pi5.cpu_model == "Arm Cortex-A76 r4p1");
}

TEST_CASE("this machine's inventory is complete and its fingerprint stable", "[inventory]") {
  const Inventory inv = Probe();
  CHECK_FALSE(inv.cpu_model.empty());
  CHECK(inv.threads >= 1);
  CHECK(inv.cores >= 1);
  CHECK(inv.cores <= inv.threads);
  CHECK(inv.memory_bytes > 0);
  CHECK_FALSE(inv.kernel.empty());
  // The machine layer links no kernel: the oneDNN it names is the one it was
  // built against, which must be the one the kernels run on.
  for (const auto& [name, version] : workloads::BackendVersions()) {
    INFO(name);
    CHECK(std::count(inv.libraries.begin(), inv.libraries.end(), std::pair(name, version)) == 1);
  }
  const std::string fp = Fingerprint(inv);
  CHECK(fp.size() == 64);
  CHECK(Fingerprint(Probe()) == fp);

  Inventory changed = inv;
  changed.libraries.emplace_back("onednn", "9.9.9");
  CHECK(Fingerprint(changed) != fp);
}

}  // namespace
}  // namespace effbench::machine

namespace effbench::machine {

TEST_CASE("GPUs are probed through a driver loaded at run time, absent or present", "[machine]") {
  // No such driver: no GPU, no error, no crash.
  CHECK(ProbeGpus("libcuda-that-does-not-exist.so.1").empty());
  // The real probe: whatever this machine has, each line names the GPU's
  // compute capability and memory.
  for (const std::string& gpu : ProbeGpus()) {
    CHECK(gpu.find(", sm_") != std::string::npos);
    CHECK(gpu.find(" MiB") != std::string::npos);
  }
}

}  // namespace effbench::machine
