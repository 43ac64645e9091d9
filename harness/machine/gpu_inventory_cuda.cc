// Built when the CUDA Toolkit is present: lists the devices the runtime sees.
#include <cuda_runtime_api.h>

#include "harness/machine/gpu_inventory.h"

namespace effbench::machine {

std::vector<std::string> ProbeGpus() {
  std::vector<std::string> gpus;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return gpus;  // no driver or no device
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    gpus.push_back(std::string(p.name) + ", sm_" + std::to_string(p.major) +
                   std::to_string(p.minor) + ", " + std::to_string(p.multiProcessorCount) +
                   " SMs, " + std::to_string(p.totalGlobalMem >> 20) + " MiB, cuda runtime " +
                   std::to_string(runtime) + ", driver " + std::to_string(driver));
  }
  return gpus;
}

}  // namespace effbench::machine
