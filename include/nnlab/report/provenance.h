// The provenance block (core/execution_context.h: which nnlab, LibTorch, device, precision,
// threads and seed produced a result) as a section of an HTML report, so a report says what
// produced it as the JSON results do.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace nnlab::report {

// <section id="provenance"> with a two-column table, one row per key of the block, in its order.
std::string provenance_section(const nlohmann::json& provenance);

// The report with the section inserted before its last "</body>" (appended when it has none).
std::string with_provenance_section(std::string html, const nlohmann::json& provenance);

}  // namespace nnlab::report
