#include "nnlab/attack/attack.h"

#include "nnlab/attack/carlini_wagner_l2.h"
#include "nnlab/attack/deepfool.h"
#include "nnlab/attack/difgsm.h"
#include "nnlab/attack/fgsm.h"
#include "nnlab/attack/ifgsm.h"
#include "nnlab/attack/mifgsm.h"
#include "nnlab/attack/pgd.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

std::vector<std::string> attack_names() {
  return {"fgsm", "ifgsm", "bim", "pgd", "pgdl2", "mifgsm", "difgsm", "cw", "deepfool"};
}

std::unique_ptr<Attack> make_attack(const std::string& method, const AttackOptions& options) {
  if (method == "fgsm") return std::make_unique<Fgsm>(options);
  if (method == "ifgsm" || method == "bim") return std::make_unique<Ifgsm>(options);
  if (method == "pgd") return std::make_unique<Pgd>(options);
  if (method == "pgdl2") {
    auto l2 = options;
    l2.norm = "l2";
    return std::make_unique<Pgd>(l2);
  }
  if (method == "mifgsm") return std::make_unique<MiFgsm>(options);
  if (method == "difgsm") return std::make_unique<DiFgsm>(options);
  if (method == "cw") return std::make_unique<CarliniWagnerL2>(options);
  if (method == "deepfool") return std::make_unique<DeepFool>(options);
  std::string known;
  for (const auto& name : attack_names()) known += (known.empty() ? "" : ", ") + name;
  throw core::OptionError("--method", "unknown attack '" + method + "'; known: " + known);
}

}  // namespace nnlab::attack
