// GPUs through the CUDA driver API, loaded with dlopen at run time: the
// binaries have no load-time dependency on any CUDA library, so one agent
// binary starts on machines without a driver (edge boards, CPU servers) and
// lists the GPUs of those that have one. The few entry points used are part
// of the driver's stable C ABI; the attribute numbers are those of cuda.h.
#include "harness/machine/gpu_inventory.h"

#include <dlfcn.h>

#include <cstddef>

namespace effbench::machine {
namespace {

using CuResult = int;  // CUresult: 0 is CUDA_SUCCESS
using CuDevice = int;

constexpr int kAttrMultiprocessorCount = 16;  // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
constexpr int kAttrComputeMajor = 75;         // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kAttrComputeMinor = 76;         // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR

struct DriverApi {
  CuResult (*init)(unsigned int) = nullptr;
  CuResult (*driver_version)(int*) = nullptr;
  CuResult (*device_count)(int*) = nullptr;
  CuResult (*device_get)(CuDevice*, int) = nullptr;
  CuResult (*device_name)(char*, int, CuDevice) = nullptr;
  CuResult (*total_mem)(size_t*, CuDevice) = nullptr;
  CuResult (*attribute)(int*, int, CuDevice) = nullptr;
};

template <typename Fn>
bool Load(void* lib, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  return fn != nullptr;
}

}  // namespace

std::vector<std::string> ProbeGpus(const char* driver_library) {
  std::vector<std::string> gpus;
  // Kept open for the life of the process: unloading a CUDA driver is not
  // supported, and the probe runs once or twice.
  void* lib = dlopen(driver_library, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return gpus;  // no driver: a CPU machine
  DriverApi api;
  if (!Load(lib, "cuInit", api.init) || !Load(lib, "cuDriverGetVersion", api.driver_version) ||
      !Load(lib, "cuDeviceGetCount", api.device_count) ||
      !Load(lib, "cuDeviceGet", api.device_get) || !Load(lib, "cuDeviceGetName", api.device_name) ||
      !Load(lib, "cuDeviceTotalMem_v2", api.total_mem) ||
      !Load(lib, "cuDeviceGetAttribute", api.attribute)) {
    return gpus;
  }
  int count = 0, driver = 0;
  if (api.init(0) != 0 || api.device_count(&count) != 0) return gpus;  // driver without devices
  api.driver_version(&driver);
  for (int i = 0; i < count; ++i) {
    CuDevice dev = 0;
    char name[256] = {};
    size_t bytes = 0;
    int sms = 0, major = 0, minor = 0;
    if (api.device_get(&dev, i) != 0 || api.device_name(name, sizeof name - 1, dev) != 0) continue;
    api.total_mem(&bytes, dev);
    api.attribute(&sms, kAttrMultiprocessorCount, dev);
    api.attribute(&major, kAttrComputeMajor, dev);
    api.attribute(&minor, kAttrComputeMinor, dev);
    gpus.push_back(std::string(name) + ", sm_" + std::to_string(major) + std::to_string(minor) +
                   ", " + std::to_string(sms) + " SMs, " + std::to_string(bytes >> 20) +
                   " MiB, driver " + std::to_string(driver));
  }
  return gpus;
}

}  // namespace effbench::machine
