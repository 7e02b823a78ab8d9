// The monthly intelligence report as files, from the JSON the coordinator makes
// (GET /v1/reports/monthly, coordinator/views/monthly_report.h): monthly-report.md,
// monthly-report.json and the charts hazards.png (incidents by hazard class),
// countries.png, trend.png (incidents per month), materials.png (seizures per material)
// and routes.png (the trafficking routes as a flow between countries).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "charts.h"
#include "muster/result.h"

namespace muster::console {

std::string MonthlyMarkdown(const nlohmann::json& report);

// The report's files: the Markdown, the JSON and the charts.
ReportFiles MonthlyFiles(const nlohmann::json& report);

}  // namespace muster::console
