// Built when the CUDA Toolkit is absent: no GPU can be used, so none is listed.
#include "harness/machine/gpu_inventory.h"

namespace effbench::machine {

std::vector<std::string> ProbeGpus() { return {}; }

}  // namespace effbench::machine
