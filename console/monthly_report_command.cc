#include "monthly_report_command.h"

#include <iostream>
#include <memory>

#include "monthly_report.h"

namespace muster::console {
namespace {

struct Options {
  std::string month;
  std::string releasable;
  std::string out;
};

}  // namespace

void AddMonthlyReportVerb(CLI::App& report, const Context& context) {
  auto options = std::make_shared<Options>();
  auto* monthly = report.add_subcommand(
      "monthly", "the monthly intelligence report: Markdown, JSON and PNG charts in a folder");
  monthly->add_option("--month", options->month, "the month, YYYY-MM (e.g. 2026-11)")->required();
  auto* releasable =
      monthly->add_option("--releasable", options->releasable,
                          "only what a partner cleared for this marking may see (e.g. TLP:GREEN)");
  monthly->add_option("--out", options->out, "the folder (default: monthly-report-MONTH)");
  monthly->callback([&context, options, releasable] {
    std::string path = "/v1/reports/monthly?month=" + UrlEncode(options->month);
    // Given empty, it is still sent: HQ refuses it rather than write an unrestricted
    // report into a folder meant for a partner.
    if (releasable->count() > 0) path += "&releasable=" + UrlEncode(options->releasable);
    Result<json> found = ApiGet(context, path);
    if (!found.ok()) Fail(context, found.status());
    const std::string folder =
        options->out.empty() ? "monthly-report-" + options->month : options->out;
    Result<std::vector<std::string>> written = WriteReportFolder(MonthlyFiles(*found), folder);
    if (!written.ok()) Fail(context, written.status());
    Answer(context,
           json{{"written", *written},
                {"month", (*found)["month"]},
                {"marking", (*found)["marking"]},
                {"withheld", (*found)["withheld"]},
                {"incidents", (*found)["incidents"]["total"]},
                {"seizures", (*found)["seizures"].size()}},
           [](const json& done) {
             if (!Text(done["marking"]).empty()) std::cout << Text(done["marking"]) << "\n";
             std::cout << "monthly report " << Text(done["month"]) << ": " << done["incidents"]
                       << " incidents, " << done["seizures"] << " seizures\n";
             for (const json& path : done["written"]) std::cout << "wrote " << Text(path) << "\n";
           });
  });
}

}  // namespace muster::console
