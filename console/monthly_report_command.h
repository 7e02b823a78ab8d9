// The verb of the monthly intelligence report (docs/programme.md, "The monthly report"):
// report monthly --month YYYY-MM [--releasable MARKING] [--out FOLDER] writes it as
// Markdown, JSON and PNG charts.
#pragma once

#include <CLI/CLI.hpp>

#include "cli_support.h"

namespace muster::console {

// Adds `monthly` to the `report` group; |context| must outlive parsing.
void AddMonthlyReportVerb(CLI::App& report, const Context& context);

}  // namespace muster::console
