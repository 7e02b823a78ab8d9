// The SITREP as Markdown, from the JSON the coordinator makes (GET
// /v1/incidents/{id}/sitrep): what an officer reads or pastes into a report.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace muster::console {

std::string SitrepMarkdown(const nlohmann::json& sitrep);

}  // namespace muster::console
