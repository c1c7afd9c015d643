#include "nnlab/core/build_info.h"

// Generated at every build by cmake/build_info.cmake.
#include "nnlab_build_info.h"

namespace nnlab::core {

std::string nnlab_version() {
  return NNLAB_VERSION;
}

std::string nnlab_commit() {
  return NNLAB_GIT_COMMIT;
}

}  // namespace nnlab::core
