// GPUs visible to the CUDA runtime, one descriptive line each. Empty when
// effbench was built without CUDA or no device (or driver) is present.
#pragma once

#include <string>
#include <vector>

namespace effbench::machine {

std::vector<std::string> ProbeGpus();

}  // namespace effbench::machine
