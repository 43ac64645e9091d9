// Machine inventory: what the hardware and software of this machine are, and
// the fingerprint that identifies them. A changed fingerprint is a new machine.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace effbench::machine {

struct Cache {
  int level = 0;
  std::string type;  // Data, Instruction, Unified
  int64_t bytes = 0;
};

struct Inventory {
  std::string hostname;
  std::string arch;              // x86_64, aarch64
  std::string cpu_model;         // "AMD EPYC 9R14"
  int cores = 0;                 // physical cores
  int threads = 0;               // logical CPUs online
  std::vector<std::string> isa;  // the ISA features effbench cares about, sorted, under the cap
  std::string isa_cap;           // EFFBENCH_MAX_ISA when set ("avx2"), else empty
  std::vector<Cache> caches;
  int64_t memory_bytes = 0;
  std::string os;        // PRETTY_NAME of /etc/os-release
  std::string kernel;    // uname -r
  std::string compiler;  // compiler that built effbench, with its flags
  std::vector<std::pair<std::string, std::string>> libraries;  // name, version
  std::vector<std::string> gpus;  // one line per GPU, empty without CUDA
  int sve_bits = 0;               // Arm: the SVE vector length, bits (0 without SVE)
  // Run under an emulator (qemu-user: /proc/cpuinfo is another
  // architecture's): its timings say nothing of a real machine.
  bool emulated = false;

  bool HasIsa(std::string_view flag) const;
};

// Probes this machine. Never fails: what cannot be read is left empty. The
// ISA flags are those EFFBENCH_MAX_ISA allows (core/cpu_features.h),
// so a capped machine is a machine of its own, with its own calibration.
Inventory Probe();

// How this binary was built, for --version: the compiler and its flags, the
// libraries it measures with, and the CUDA Toolkit it was built beside (or
// none; GPUs are found through the driver at run time either way).
std::string BuildDescription();

// The CPU model and ISA flags from /proc/cpuinfo text (x86 "model name" and
// "flags", or Arm "Features" and "CPU part"). Exposed for tests.
void ParseCpuinfo(std::string_view cpuinfo, Inventory& inventory);

nlohmann::json ToJson(const Inventory& inventory);

// sha256 (hex) of the canonical JSON of the inventory.
std::string Fingerprint(const Inventory& inventory);

// The sha256 of `text`, 64 lower-case hex digits: what a fingerprint is of a
// machine's canonical description (also of one read from another tool's file).
std::string Sha256Hex(std::string_view text);

}  // namespace effbench::machine
