// The after-action report of an exercise as files, from the JSON the coordinator makes
// (GET /v1/incidents/{id}/exercise/report, coordinator/views/after_action.h):
// after-action.md, after-action.json and the charts steps.png (planned against actual),
// alerts.png (time to acknowledge) and checkins.png (the gaps in what HQ heard).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "charts.h"
#include "muster/result.h"

namespace muster::console {

std::string AfterActionMarkdown(const nlohmann::json& report);

// The report's charts, by file name.
std::vector<std::pair<std::string, Chart>> AfterActionCharts(const nlohmann::json& report);

// Writes the Markdown, the JSON and the charts into |folder| (made if missing); returns
// the paths written.
Result<std::vector<std::string>> WriteAfterAction(const nlohmann::json& report,
                                                  const std::string& folder);

}  // namespace muster::console
