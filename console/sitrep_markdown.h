// The SITREP as Markdown, from the JSON the coordinator makes (GET
// /v1/incidents/{id}/sitrep): what an officer reads or pastes into a report.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace muster::console {

std::string SitrepMarkdown(const nlohmann::json& sitrep);

// Text from the store for a Markdown document: a string escaped (it cannot break a table
// row, make a heading or a link, or act on a terminal), a list joined, a number as is.
std::string Md(const nlohmann::json& value);

}  // namespace muster::console
