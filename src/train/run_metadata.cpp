#include "nnlab/train/run_metadata.h"

namespace nnlab::train {

void write_run_metadata(const RunMetadata& record, nlohmann::json& meta) {
  meta["data"] = record.data;
  meta["limit"] = record.limit;
  if (record.dropout) meta["dropout"] = *record.dropout;
  if (record.noise_sigma) meta["noise_sigma"] = *record.noise_sigma;
  if (record.distillation) {
    const auto& d = *record.distillation;
    meta["distillation"] = {{"teacher", d.teacher},
                            {"teacher_arch", d.teacher_arch},
                            {"temperature", d.temperature},
                            {"alpha", d.alpha}};
  }
  if (record.adversarial) meta["adversarial"] = *record.adversarial;
}

RunMetadata read_run_metadata(const nlohmann::json& meta) {
  RunMetadata record;
  record.data = meta.value("data", record.data);
  record.limit = meta.value("limit", record.limit);
  if (meta.contains("dropout")) record.dropout = meta["dropout"].get<double>();
  if (meta.contains("noise_sigma")) record.noise_sigma = meta["noise_sigma"].get<double>();
  if (meta.contains("adversarial")) record.adversarial = meta["adversarial"];
  if (meta.contains("distillation")) {
    const auto& saved = meta["distillation"];
    DistillationRecord d;
    d.teacher = saved.value("teacher", "");
    d.teacher_arch = saved.value("teacher_arch", "");
    d.temperature = saved.value("temperature", d.temperature);
    d.alpha = saved.value("alpha", d.alpha);
    record.distillation = d;
  }
  return record;
}

}  // namespace nnlab::train
