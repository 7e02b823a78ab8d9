#include "roster_commands.h"

#include <iostream>
#include <memory>

#include "monthly_report_command.h"
#include "muster/clock.h"
#include "table.h"

namespace muster::console {
namespace {

struct Options {
  std::string id;
  std::string title;
  std::vector<std::string> hazards;
  std::string location;
  std::string country;
  std::string severity;
  bool exercise = false;
  std::string status;
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> qualifications;
  std::string contact;
  std::string checkin;
  std::string conditions;
  std::string actions;
  std::vector<std::string> needs;
};

// "30m" as milliseconds, or exit 2 naming the option.
Millis CheckinOrExit(const Context& context, const std::string& text) {
  const Millis interval = ParseDuration(text);
  if (interval <= 0) {
    Fail(context, Status::Error(ErrorCode::kInvalidArgument,
                                "--checkin '" + text + "' is not a duration such as 30m or 2h"));
  }
  return interval;
}

// Adds |name| to |body| when the option was given on the command line.
template <typename T>
void IfGiven(const CLI::App& verb, const char* option, const char* name, const T& value,
             json& body) {
  if (verb.count(option) > 0) body[name] = value;
}

void PrintIncident(const json& incident) {
  std::cout << ExerciseBanner(incident) << Text(incident["id"]) << "  " << Text(incident["title"])
            << "\n"
            << "  status " << Text(incident["status"]) << ", severity "
            << Text(incident["severity"]) << ", hazards " << Join(incident["hazards"])
            << "\n  location " << (incident["location"] == "" ? "-" : Text(incident["location"]))
            << ", country "
            << (incident.value("country", "").empty() ? "-" : Text(incident["country"]))
            << ", opened " << When(incident["created_at"]) << "\n";
  if (!incident.contains("deployments")) return;
  if (incident["deployments"].empty()) {
    std::cout << "no deployment yet\n";
    return;
  }
  Table table({"DEPLOYMENT", "PLAYBOOK", "STATUS", "OPEN TASKS", "TEAM"});
  for (const auto& deployment : incident["deployments"]) {
    std::string team;
    for (const auto& [role, members] : deployment["team"].items()) {
      team += (team.empty() ? "" : "; ") + role + "=" + Join(members);
    }
    table.Add({Text(deployment["id"]),
               Text(deployment["playbook"]["id"]) + " " + Text(deployment["playbook"]["version"]),
               Text(deployment["status"]), Text(deployment["open_tasks"]), team});
  }
  table.Print(std::cout);
}

void PrintMember(const json& member) {
  std::cout << Text(member["id"]) << " (" << Text(member["name"]) << "): roles "
            << Join(member["roles"]) << "; qualifications " << Join(member["qualifications"])
            << "; contact " << (member["contact"] == "" ? "-" : Text(member["contact"]))
            << "; check in every " << FormatAge(member["checkin_interval_ms"].get<Millis>())
            << "\n";
}

void AddIncidentVerbs(CLI::App& app, const Context& context,
                      const std::shared_ptr<Options>& options) {
  auto* incident = app.add_subcommand("incident", "open, list, show and change incidents");
  incident->require_subcommand(1);

  auto* create = incident->add_subcommand("create", "open an incident");
  create->add_option("--title", options->title, "what happened")->required();
  create->add_option("--id", options->id, "an id of your own (default INC-NNNN)");
  create->add_option("--hazard", options->hazards,
                     "chemical, biological, radiological, nuclear, explosive (repeat)");
  create->add_option("--location", options->location, "where");
  create->add_option(
      "--country", options->country,
      "the country, for the monthly report: ISO 3166-1 code or name (GE, GEO, Georgia)");
  create->add_option("--severity", options->severity, "low, medium (default), high, critical");
  create->add_flag("--exercise", options->exercise,
                   "an exercise: marked on every view, kept out of statistics");
  create->callback([&context, options] {
    Answer(context,
           ApiPost(context, "/v1/incidents",
                   {{"id", options->id},
                    {"title", options->title},
                    {"hazards", options->hazards},
                    {"location", options->location},
                    {"country", options->country},
                    {"severity", options->severity.empty() ? "medium" : options->severity},
                    {"exercise", options->exercise}}),
           [](const json& created) {
             std::cout << ExerciseBanner(created) << "opened " << Text(created["id"]) << ": "
                       << Text(created["title"]) << "\n";
           });
  });

  incident->add_subcommand("list", "list incidents")->callback([&context] {
    Answer(context, ApiGet(context, "/v1/incidents"), [](const json& list) {
      Table table({"INCIDENT", "SEVERITY", "STATUS", "OPENED", "TITLE"});
      for (const auto& item : list) {
        table.Add({Text(item["id"]), Text(item["severity"]), Text(item["status"]),
                   When(item["created_at"]),
                   (item.value("exercise", false) ? "[EXERCISE] " : "") + Text(item["title"])});
      }
      table.Print(std::cout);
    });
  });

  auto* show = incident->add_subcommand("show", "an incident and its deployments");
  show->add_option("INCIDENT", options->id, "the incident")->required();
  show->callback([&context, options] {
    Answer(context, ApiGet(context, "/v1/incidents/" + options->id), PrintIncident);
  });

  auto* update = incident->add_subcommand(
      "update", "change an incident; --status closed closes it once no deployment is active");
  update->add_option("INCIDENT", options->id, "the incident")->required();
  update->add_option("--title", options->title, "what happened");
  update->add_option("--hazard", options->hazards, "replaces the hazard classes (repeat)");
  update->add_option("--location", options->location, "where");
  update->add_option("--country", options->country, "the country (ISO 3166-1 code or name)");
  update->add_option("--severity", options->severity, "low, medium, high, critical");
  update->add_option("--status", options->status, "open or closed")
      ->check(CLI::IsMember({"open", "closed"}));
  update->callback([&context, options, update] {
    json body = json::object();
    IfGiven(*update, "--title", "title", options->title, body);
    IfGiven(*update, "--hazard", "hazards", options->hazards, body);
    IfGiven(*update, "--location", "location", options->location, body);
    IfGiven(*update, "--country", "country", options->country, body);
    IfGiven(*update, "--severity", "severity", options->severity, body);
    IfGiven(*update, "--status", "status", options->status, body);
    auto api = Connect(context);
    Answer(context,
           api.ok() ? api->Patch("/v1/incidents/" + options->id, body) : Result<json>(api.status()),
           PrintIncident);
  });
}

void AddMemberVerbs(CLI::App& app, const Context& context,
                    const std::shared_ptr<Options>& options) {
  auto* member = app.add_subcommand("member", "the roster");
  member->require_subcommand(1);

  auto* add = member->add_subcommand("add", "add a team member");
  add->add_option("ID", options->id, "short id: lowercase letters, digits, - and _")->required();
  add->add_option("--name", options->name, "full name");
  add->add_option("--role", options->roles, "a playbook role the member can fill (repeat)");
  add->add_option("--qualification", options->qualifications, "a qualification (repeat)");
  add->add_option("--contact", options->contact, "phone or radio");
  add->add_option("--checkin", options->checkin,
                  "how often the member must be heard from (default 1h)");
  add->callback([&context, options] {
    const Millis interval =
        CheckinOrExit(context, options->checkin.empty() ? "1h" : options->checkin);
    Answer(context,
           ApiPost(context, "/v1/members",
                   {{"id", options->id},
                    {"name", options->name},
                    {"roles", options->roles},
                    {"qualifications", options->qualifications},
                    {"contact", options->contact},
                    {"checkin_interval_ms", interval}}),
           [](const json& created) {
             std::cout << "added " << Text(created["id"]) << " (" << Text(created["name"]) << ")\n";
           });
  });

  member->add_subcommand("list", "list the roster")->callback([&context] {
    Answer(context, ApiGet(context, "/v1/members"), [](const json& list) {
      Table table({"MEMBER", "NAME", "ROLES", "QUALIFICATIONS", "CHECK-IN", "LAST CONTACT"});
      for (const auto& item : list) {
        table.Add({Text(item["id"]), Text(item["name"]), Join(item["roles"]),
                   Join(item["qualifications"]),
                   FormatAge(item["checkin_interval_ms"].get<Millis>()),
                   When(item["last_contact_at"])});
      }
      table.Print(std::cout);
    });
  });

  auto* update = member->add_subcommand("update", "change a member's roster entry");
  update->add_option("ID", options->id, "the member")->required();
  update->add_option("--name", options->name, "full name");
  update->add_option("--role", options->roles, "replaces the roles (repeat)");
  update->add_option("--qualification", options->qualifications,
                     "replaces the qualifications (repeat)");
  update->add_option("--contact", options->contact, "phone or radio");
  update->add_option("--checkin", options->checkin,
                     "how often the member must be heard from, e.g. 15m in a hot zone");
  update->callback([&context, options, update] {
    json body = json::object();
    IfGiven(*update, "--name", "name", options->name, body);
    IfGiven(*update, "--role", "roles", options->roles, body);
    IfGiven(*update, "--qualification", "qualifications", options->qualifications, body);
    IfGiven(*update, "--contact", "contact", options->contact, body);
    if (update->count("--checkin") > 0) {
      body["checkin_interval_ms"] = CheckinOrExit(context, options->checkin);
    }
    auto api = Connect(context);
    Answer(context,
           api.ok() ? api->Patch("/v1/members/" + options->id, body) : Result<json>(api.status()),
           PrintMember);
  });
}

void PrintReport(const json& report) {
  std::cout << "report " << Text(report["id"]) << " on " << Text(report["incident"]) << " by "
            << Text(report["author"]) << ", " << When(report["at"]) << "\n";
  if (report["conditions"] != "")
    std::cout << "  conditions: " << Text(report["conditions"]) << "\n";
  if (report["actions"] != "") std::cout << "  actions: " << Text(report["actions"]) << "\n";
  for (const auto& need : report["needs"]) std::cout << "  need: " << Text(need) << "\n";
}

void AddReportVerbs(CLI::App& app, const Context& context,
                    const std::shared_ptr<Options>& options) {
  auto* report = app.add_subcommand(
      "report",
      "tactical reports (conditions, actions and needs, carried into the SITREP) and the "
      "monthly intelligence report");
  report->require_subcommand(1);
  AddMonthlyReportVerb(*report, context);

  auto* add = report->add_subcommand("add", "file a tactical report on an incident");
  add->add_option("INCIDENT", options->id, "the incident")->required();
  add->add_option("--conditions", options->conditions, "what the situation is now");
  add->add_option("--actions", options->actions, "what the team is doing about it");
  add->add_option("--need", options->needs, "something the team needs (repeat)");
  add->callback([&context, options] {
    Answer(context,
           ApiPost(context, "/v1/incidents/" + options->id + "/reports",
                   {{"conditions", options->conditions},
                    {"actions", options->actions},
                    {"needs", options->needs}}),
           PrintReport);
  });

  auto* list = report->add_subcommand("list", "an incident's tactical reports, newest first");
  list->add_option("INCIDENT", options->id, "the incident")->required();
  list->callback([&context, options] {
    Answer(context, ApiGet(context, "/v1/incidents/" + options->id + "/reports"),
           [](const json& reports) {
             if (reports.empty()) std::cout << "no tactical report yet\n";
             for (const auto& report : reports) PrintReport(report);
           });
  });
}

}  // namespace

void RegisterRosterCommands(CLI::App& app, const Context& context) {
  auto options = std::make_shared<Options>();
  AddIncidentVerbs(app, context, options);
  AddMemberVerbs(app, context, options);
  AddReportVerbs(app, context, options);
}

}  // namespace muster::console
