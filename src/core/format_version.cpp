#include "nnlab/core/format_version.h"

#include "nnlab/core/error.h"

namespace nnlab::core {

void check_format_version(const std::string& source, const std::string& format, long long found,
                          long long oldest, long long newest) {
  const auto range = oldest == newest ? std::to_string(newest)
                                      : std::to_string(oldest) + " to " + std::to_string(newest);
  if (found > newest) {
    throw FileError(source, format + " version " + std::to_string(found) +
                                " is newer than this nnlab reads (" + range + "); upgrade nnlab");
  }
  if (found < oldest) {
    throw FileError(source, format + " version " + std::to_string(found) +
                                " is older than this nnlab reads (" + range + ")");
  }
}

nlohmann::json with_format_version(nlohmann::json j) {
  if (j.is_object()) j[kJsonFormatVersionKey] = kJsonFormatVersion;
  return j;
}

void check_json_format_version(const nlohmann::json& j, const std::string& format,
                               const std::string& source) {
  if (!j.is_object()) throw FileError(source, format + ": not a JSON object");
  const auto it = j.find(kJsonFormatVersionKey);
  if (it == j.end()) return;  // written before JSON outputs carried a version: read as it is
  if (!it->is_number_integer()) {
    throw FileError(source, format + ": \"" + kJsonFormatVersionKey + "\" is not an integer");
  }
  check_format_version(source, format, it->get<long long>(), 1, kJsonFormatVersion);
}

}  // namespace nnlab::core
