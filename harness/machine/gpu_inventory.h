// GPUs visible to the CUDA driver, one descriptive line each; empty where
// there is no driver or no device. The driver is loaded with dlopen, so no
// effbench binary needs a CUDA library to start.
#pragma once

#include <string>
#include <vector>

namespace effbench::machine {

// `driver_library` is the driver's soname; tests name one that does not exist.
std::vector<std::string> ProbeGpus(const char* driver_library = "libcuda.so.1");

}  // namespace effbench::machine
