// What this nnlab is: its version and the git commit it was built from, as every result's
// provenance block reports them (core/execution_context.h).
#pragma once

#include <string>

namespace nnlab::core {

// The project version, "0.1.0".
std::string nnlab_version();

// What `git describe` says of the source tree at build time, always a name ("d3ca1d6", and
// "d3ca1d6-dirty" with uncommitted changes),
// or "unknown" when it was built outside a git checkout.
std::string nnlab_commit();

}  // namespace nnlab::core
