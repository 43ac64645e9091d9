// The JSON form of the measurement structs that more than one module writes
// and reads: a result record's "training" (harness/result) is also the
// trained-model cache's sidecar file (workloads/train).
#pragma once

#include <nlohmann/json.hpp>

#include "core/measurement.h"

namespace effbench {

nlohmann::json ToJson(const Training& t);
// Throws nlohmann::json::exception on a missing or mistyped field.
Training TrainingFromJson(const nlohmann::json& j);

}  // namespace effbench
