// Every file nnlab writes carries a format version (docs/FORMAT.md, "Versions"), so that a file
// written today opens tomorrow: a newer nnlab reads every version it still supports, and an older
// nnlab refuses a newer file with one line that names both versions. This is that line, and the
// version of the JSON nnlab prints and writes (metrics.json), which every such object
// carries under one key.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace nnlab::core {

// The version of every JSON object nnlab prints or writes, under the key "format_version".
inline constexpr int kJsonFormatVersion = 1;
inline constexpr const char* kJsonFormatVersionKey = "format_version";

// Throws core::FileError when `found` lies outside oldest..newest:
//   "m.ckpt: nnlab-checkpoint version 2 is newer than this nnlab reads (1); upgrade nnlab"
//   "m.nnz: nnlab-nnz version 1 is older than this nnlab reads (2 to 3)"
void check_format_version(const std::string& source, const std::string& format, long long found,
                          long long oldest, long long newest);

// The object with "format_version": kJsonFormatVersion added (anything but an object unchanged).
nlohmann::json with_format_version(nlohmann::json j);

// Checks a JSON object nnlab wrote: its "format_version" (absent: written before versions, read)
// must not be newer than kJsonFormatVersion. `format` names the file kind in the error.
void check_json_format_version(const nlohmann::json& j, const std::string& format,
                               const std::string& source);

}  // namespace nnlab::core
