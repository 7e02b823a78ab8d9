#include "watchlist_commands.h"

#include <iostream>
#include <memory>

#include "muster/files.h"
#include "table.h"

namespace muster::console {
namespace {

struct Options {
  std::string file;
  std::string notice;
  std::string incident;
  std::vector<std::string> notices;
  std::string region;
};

// The entries of a watchlist file: {"entries": [...]} or a bare list, as docs/programme.md
// shows; bad JSON exits 2 naming the file.
json EntriesFile(const Context& context, const std::string& path) {
  auto text = ReadFile(path, 64 << 20);
  if (!text.ok()) Fail(context, text.status());
  json parsed = json::parse(*text, nullptr, false);
  if (parsed.is_array()) parsed = json{{"entries", parsed}};
  if (!parsed.is_object() || !parsed.contains("entries")) {
    Fail(context, Status::Error(ErrorCode::kInvalidArgument,
                                path + ": expected JSON {\"entries\": [...]} or a list of entries "
                                       "(docs/programme.md)"));
  }
  return parsed;
}

void PrintEntries(const json& list) {
  Table table({"NOTICE", "TYPE", "NAMES", "BORN", "DOCUMENTS", "REGIONS", "INCIDENTS"});
  for (const auto& entry : list) {
    table.Add({Text(entry["notice"]), Text(entry.value("type", "")), Join(entry["names"]),
               Text(entry.value("date_of_birth", "")), Join(entry.value("documents", json::array())),
               Join(entry.value("regions", json::array())),
               Join(entry.value("incidents", json::array()))});
  }
  table.Print(std::cout);
}

}  // namespace

void RegisterWatchlistCommands(CLI::App& app, const Context& context) {
  auto options = std::make_shared<Options>();
  auto* watchlist = app.add_subcommand(
      "watchlist", "persons of interest: set, list, remove, and which incidents carry them");
  watchlist->require_subcommand(1);

  auto* set = watchlist->add_subcommand("set", "add or change entries from a JSON file");
  set->add_option("FILE", options->file, "{\"entries\": [...]} (docs/programme.md)")
      ->required()
      ->check(CLI::ExistingFile);
  set->callback([&context, options] {
    Answer(context, ApiPost(context, "/v1/watchlist", EntriesFile(context, options->file)),
           [](const json& done) {
             std::cout << "watchlist: " << Text(done["added"]) << " added, "
                       << Text(done["changed"]) << " changed\n";
           });
  });

  watchlist->add_subcommand("list", "every entry and the incidents carrying it")
      ->callback([&context] { Answer(context, ApiGet(context, "/v1/watchlist"), PrintEntries); });

  auto* remove = watchlist->add_subcommand("remove", "remove an entry everywhere");
  remove->add_option("NOTICE", options->notice, "the notice id")->required();
  remove->callback([&context, options] {
    Answer(context, ApiPost(context, "/v1/watchlist/" + UrlEncode(options->notice) + "/remove", json::object()),
           [](const json& done) {
             std::cout << "removed " << Text(done["notice"]) << " (carried by "
                       << (done["incidents"].empty() ? "no incident" : Join(done["incidents"]))
                       << ")\n";
           });
  });

  auto* assign = watchlist->add_subcommand(
      "assign", "have an incident's team carry entries: by notice, or by region");
  assign->add_option("INCIDENT", options->incident, "the incident")->required();
  assign->add_option("NOTICE", options->notices, "notice ids");
  assign->add_option("--region", options->region,
                     "every entry relevant to this country (ISO 3166-1 code)");
  assign->callback([&context, options] {
    json body = {{"notices", options->notices}};
    if (!options->region.empty()) body["region"] = options->region;
    Answer(context, ApiPost(context, "/v1/incidents/" + UrlEncode(options->incident) + "/watchlist", body),
           [](const json& done) {
             std::cout << Text(done["incident"]) << " now carries "
                       << (done["assigned"].empty() ? "nothing new" : Join(done["assigned"]))
                       << "\n";
           });
  });

  auto* unassign = watchlist->add_subcommand("unassign", "take entries off an incident");
  unassign->add_option("INCIDENT", options->incident, "the incident")->required();
  unassign->add_option("NOTICE", options->notices, "notice ids")->required();
  unassign->callback([&context, options] {
    Answer(context,
           ApiPost(context, "/v1/incidents/" + UrlEncode(options->incident) + "/watchlist/remove",
                   {{"notices", options->notices}}),
           [](const json& done) {
             std::cout << Text(done["incident"]) << " no longer carries "
                       << Join(done["unassigned"]) << "\n";
           });
  });

  auto* hits = watchlist->add_subcommand("hits", "the persons matched in an incident, and why");
  hits->add_option("INCIDENT", options->incident, "the incident")->required();
  hits->callback([&context, options] {
    Answer(context,
           ApiGet(context, "/v1/incidents/" + UrlEncode(options->incident) + "/watchlist/hits"),
           [](const json& list) {
             Table table({"HIT", "MEMBER", "TASK", "PERSON", "NOTICE", "SCORE", "CHECKED BY", "WHY"});
             for (const auto& hit : list) {
               table.Add({Text(hit["id"]), Text(hit["member"]), Text(hit["task"]),
                          Text(hit["person"]), Text(hit["notice"]),
                          std::to_string(hit["score_milli"].get<int>() / 10) + " %",
                          Text(hit["checked_by"]), Text(hit["explanation"])});
             }
             table.Print(std::cout);
           });
  });

  auto* show = watchlist->add_subcommand("show", "the entries an incident's team carries");
  show->add_option("INCIDENT", options->incident, "the incident")->required();
  show->callback([&context, options] {
    Answer(context, ApiGet(context, "/v1/incidents/" + UrlEncode(options->incident) + "/watchlist"),
           PrintEntries);
  });
}

}  // namespace muster::console
