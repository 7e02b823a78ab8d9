#include "exercise_commands.h"

#include <iostream>
#include <memory>

#include "after_action.h"
#include "muster/clock.h"
#include "muster/exercise/script.h"
#include "muster/files.h"
#include "table.h"

namespace muster::console {
namespace {

struct Options {
  std::string incident;
  std::string script;
  std::string out;
};

void PrintRun(const json& run) {
  std::cout << exercise::kExerciseMark << "\n"
            << Text(run["incident"]) << " plays '" << Text(run["name"]) << "', started "
            << When(run["started_at"]) << " by " << Text(run["started_by"]) << "\n\n";
  Table table({"#", "AT", "DUE", "FIRED", "INJECT", "OUTCOME"});
  for (const json& inject : run["injects"]) {
    table.Add({std::to_string(inject["index"].get<int>() + 1),
               "T+" + FormatAge(inject["at_ms"].get<Millis>()), When(inject["due_at"]),
               When(inject["fired_at"]), Text(inject["summary"]),
               inject["fired_at"].is_number() ? Text(inject["outcome"]) : "waiting"});
  }
  table.Print(std::cout);
}

}  // namespace

void RegisterExerciseCommands(CLI::App& app, const Context& context) {
  auto options = std::make_shared<Options>();
  auto* group = app.add_subcommand(
      "exercise", "play a script of injects on an exercise incident; the after-action report");
  group->require_subcommand(1);

  auto* start = group->add_subcommand("start", "start playing a script of injects now");
  start->add_option("INCIDENT", options->incident, "an incident opened with --exercise")
      ->required();
  start->add_option("SCRIPT", options->script, "the script (YAML, docs/programme.md)")
      ->required()
      ->check(CLI::ExistingFile);
  start->callback([&context, options] {
    auto text = ReadFile(options->script, 1 << 20);
    if (!text.ok()) Fail(context, text.status());
    // Checked here first, so that a mistake is named before anything is sent.
    auto script = exercise::ParseScript(*text, options->script);
    if (!script.ok()) Fail(context, script.status());
    Answer(context,
           ApiPost(context, "/v1/incidents/" + UrlEncode(options->incident) + "/exercise",
                   {{"script", *text}, {"file", options->script}}),
           PrintRun);
  });

  auto* status = group->add_subcommand("status", "the script's injects: planned and fired");
  status->add_option("INCIDENT", options->incident, "the exercise incident")->required();
  status->callback([&context, options] {
    Answer(context,
           ApiGet(context, "/v1/incidents/" + UrlEncode(options->incident) + "/exercise"),
           PrintRun);
  });

  auto* report = group->add_subcommand(
      "report", "the after-action report: Markdown, JSON and PNG charts in a folder");
  report->add_option("INCIDENT", options->incident, "the exercise incident")->required();
  report->add_option("--out", options->out, "the folder (default: after-action-INCIDENT)");
  report->callback([&context, options] {
    Result<json> found =
        ApiGet(context, "/v1/incidents/" + UrlEncode(options->incident) + "/exercise/report");
    if (!found.ok()) Fail(context, found.status());
    const std::string folder =
        options->out.empty() ? "after-action-" + options->incident : options->out;
    Result<std::vector<std::string>> written = WriteAfterAction(*found, folder);
    if (!written.ok()) Fail(context, written.status());
    Answer(context, json{{"written", *written}, {"summary", (*found)["summary"]}},
           [](const json& done) {
             std::cout << exercise::kExerciseMark << "\n";
             for (const json& path : done["written"]) std::cout << "wrote " << Text(path) << "\n";
           });
  });
}

}  // namespace muster::console
