// effbench: measure deep-learning workloads, store every sample, report efficiency.
#include <iostream>
#include <string>
#include <vector>

#include "harness/cli/commands.h"

int main(int argc, char** argv) {
  return effbench::cli::Main(std::vector<std::string>(argv, argv + argc), std::cout, std::cerr);
}
