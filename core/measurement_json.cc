#include "core/measurement_json.h"

namespace effbench {

namespace {

nlohmann::json Optional(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::optional<double> OptionalFrom(const nlohmann::json& v) {
  if (v.is_null()) return std::nullopt;
  return v.get<double>();
}

}  // namespace

nlohmann::json ToJson(const Training& t) {
  nlohmann::json j = {{"model", t.model},
                      {"epochs", t.epochs},
                      {"batch", t.batch},
                      {"steps", t.steps},
                      {"seed", t.seed},
                      {"seconds", t.seconds},
                      {"images_per_second", t.images_per_second},
                      {"top1", t.top1},
                      {"target_top1", t.target_top1},
                      {"seconds_to_target", Optional(t.seconds_to_target)},
                      {"joules", Optional(t.joules)},
                      {"cache_hit", t.cache_hit},
                      {"cache_key", t.cache_key}};
  if (!t.teacher.empty()) j["teacher"] = t.teacher;
  return j;
}

Training TrainingFromJson(const nlohmann::json& j) {
  Training t;
  t.model = j.at("model");
  t.epochs = j.at("epochs");
  t.batch = j.at("batch");
  t.steps = j.at("steps");
  t.seed = j.at("seed");
  t.seconds = j.at("seconds");
  t.images_per_second = j.at("images_per_second");
  t.top1 = j.at("top1");
  t.target_top1 = j.at("target_top1");
  t.seconds_to_target = OptionalFrom(j.at("seconds_to_target"));
  t.joules = OptionalFrom(j.at("joules"));
  t.cache_hit = j.at("cache_hit");
  t.cache_key = j.at("cache_key");
  t.teacher = j.value("teacher", "");
  return t;
}

}  // namespace effbench
