// The one list of attacks: a name -> how to make the attack from AttackSettings, a line of help,
// and which settings it reads. make_attack, attack_names and the command line's method list, help
// and validation all come from here, so a new attack is one register_attack call (the built-ins are
// registered in registry.cpp; a test or a user registers more the same way).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nnlab/attack/apgd.h"
#include "nnlab/attack/attack.h"
#include "nnlab/attack/auto_attack.h"
#include "nnlab/attack/carlini_wagner_l2.h"
#include "nnlab/attack/deepfool.h"
#include "nnlab/attack/difgsm.h"
#include "nnlab/attack/fab.h"
#include "nnlab/attack/hop_skip_jump.h"
#include "nnlab/attack/mifgsm.h"
#include "nnlab/attack/pgd.h"
#include "nnlab/attack/square.h"

namespace nnlab::attack {

// What make_attack reads: the options every attack shares and each attack's own section (the
// flags of `nnlab attack` fill them one to one). An attack reads only the sections it names.
struct AttackSettings : AttackOptions {
  AttackSettings() = default;
  AttackSettings(const AttackOptions& shared) : AttackOptions(shared) {}  // NOLINT: own defaults
  PgdOptions pgd;
  MiFgsmOptions mifgsm;
  DiFgsmOptions difgsm;
  CarliniWagnerL2Options cw;
  DeepFoolOptions deepfool;
  ApgdOptions apgd;  // its restarts come from pgd.restarts: one restart count for both
  AutoAttackOptions autoattack;
  HopSkipJumpOptions hsj;
  SquareOptions square;
  FabOptions fab;  // its restarts and target_classes come from pgd.restarts and
                   // apgd.target_classes: one count each for every attack
};

using AttackFactory = std::function<std::unique_ptr<Attack>(const AttackSettings&)>;

struct AttackEntry {
  std::string help;                // one line: what the attack is
  std::vector<std::string> reads;  // the AttackSettings fields it reads, e.g. "pgd.restarts"
  AttackFactory make;
};

// Adds an attack under `name` (after the ones already there), or replaces the entry of that
// name. Register at start-up (or in a test) before attacks are made.
void register_attack(const std::string& name, AttackEntry entry);
// Removes a registered attack (a test's own); false when there was none.
bool unregister_attack(const std::string& name);

// The attack `name` made from settings. Throws core::OptionError("make_attack.name", ...) for an
// unknown name, listing the known ones, and the attack's own OptionError for settings out of its
// domain.
std::unique_ptr<Attack> make_attack(const std::string& name, const AttackSettings& settings);
// The registered names, in registration order (the built-ins first).
std::vector<std::string> attack_names();
// The registered entry (help, reads); throws like make_attack for an unknown name.
AttackEntry attack_entry(const std::string& name);

}  // namespace nnlab::attack
