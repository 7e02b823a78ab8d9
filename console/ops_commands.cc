#include "ops_commands.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "muster/cli.h"
#include "muster/clock.h"
#include "muster/completion.h"
#include "muster/protocol.h"
#include "sitrep_markdown.h"
#include "table.h"

namespace muster::console {
namespace {

struct Options {
  std::string incident;
  std::string task;
  std::string member;
  std::string role;
  std::string state;
  std::string reason;
  std::string shell = "bash";
  std::int64_t deployment = 0;
  std::int64_t alert = 0;
  int count = 0;
  bool open = false;
};

std::string EventLine(const json& event) {
  return When(event["at"]) + "  " + Text(event["incident"]) + "  " + Text(event["kind"]) + "  " +
         Text(event["actor"]) + "  " + Text(event["text"]);
}

void PrintAlerts(const json& alerts) {
  if (alerts.empty()) {
    std::cout << "No alerts.\n";
    return;
  }
  Table table({"ALERT", "INCIDENT", "SEVERITY", "KIND", "RAISED", "ACKED BY", "MESSAGE"});
  for (const auto& alert : alerts) {
    table.Add({Text(alert["id"]), Text(alert["incident"]), Text(alert["severity"]),
               Text(alert["kind"]), When(alert["raised_at"]),
               alert["acked_by"].is_null() ? "OPEN"
                                           : Text(alert["acked_by"]) + " " + When(alert["acked_at"]),
               Text(alert["message"])});
  }
  table.Print(std::cout);
}

// Ends the verb with not_found unless HQ knows |incident|: a filter naming an unknown
// incident would otherwise print an empty list as if all were quiet.
void RequireIncident(const Context& context, const std::string& incident) {
  Result<json> found = ApiGet(context, "/v1/incidents/" + incident);
  if (!found.ok()) Fail(context, found.status());
}

// Every task of an incident's deployments, from its status board, filtered.
Result<json> ListTasks(const Context& context, const Options& options) {
  Result<json> board = ApiGet(context, "/v1/incidents/" + options.incident + "/status");
  if (!board.ok()) return board;
  if (!options.member.empty()) {
    std::string members;
    bool known = false;
    for (const auto& member : (*board)["members"]) {
      known = known || member["id"] == options.member;
      members += (members.empty() ? "" : ", ") + Text(member["id"]);
    }
    if (!known) {
      return Status::Error(ErrorCode::kNotFound,
                           "no member '" + options.member + "' works on " + options.incident +
                               " (its team: " + (members.empty() ? "none yet" : members) + ")");
    }
  }
  json tasks = json::array();
  for (const auto& deployment : (*board)["deployments"]) {
    for (json task : deployment["tasks"]) {
      const std::string state = task["state"];
      const bool open = state != "completed" && state != "cancelled" && state != "reassigned";
      if (!options.member.empty() && task["member"] != options.member) continue;
      if (!options.state.empty() && state != options.state) continue;
      if (options.open && !open) continue;
      task["deployment"] = deployment["id"];
      tasks.push_back(task);
    }
  }
  return tasks;
}

void AddTaskVerbs(CLI::App& app, const Context& context, std::shared_ptr<Options> options) {
  auto* task = app.add_subcommand("task", "list, reassign and cancel tasks");
  task->require_subcommand(1);
  auto* list = task->add_subcommand("list", "the tasks of an incident");
  list->add_option("INCIDENT", options->incident, "the incident")->required();
  list->add_option("--member", options->member, "only this member's tasks");
  list->add_option("--state", options->state, "only tasks in this state (e.g. blocked)")
      ->check(CLI::IsMember(protocol::TeamStates()));
  list->add_flag("--open", options->open, "only tasks not completed, cancelled or reassigned");
  list->callback([&context, options] {
    Answer(context, ListTasks(context, *options), [](const json& tasks) {
      Table table({"TASK", "DEPLOYMENT", "MEMBER", "STATE", "DUE", "TITLE"});
      for (const auto& task : tasks) {
        std::string state = Text(task["state"]);
        if (task["dormant"].get<bool>()) state += " (dormant)";
        table.Add({Text(task["id"]), Text(task["deployment"]), Text(task["member"]), state,
                   task["overdue"].get<bool>() ? "OVERDUE " + When(task["due_at"])
                                               : When(task["due_at"]),
                   Text(task["title"])});
      }
      table.Print(std::cout);
    });
  });
  auto* reassign = task->add_subcommand(
      "reassign", "give a task to another member (both agents learn it when they next connect)");
  reassign->add_option("TASK", options->task, "the task id, e.g. d1.secondary_inspection.jonas")
      ->required();
  reassign->add_option("MEMBER", options->member, "who takes it over")->required();
  reassign->callback([&context, options] {
    Answer(context,
           ApiPost(context, "/v1/tasks/" + options->task + "/reassign",
                   {{"member", options->member}}),
           [](const json& result) {
             std::cout << "reassigned " << Text(result["task"]) << " from " << Text(result["from"])
                       << " to " << Text(result["to"]) << " (now " << Text(result["new_task"])
                       << ")\n";
           });
  });
  auto* cancel = task->add_subcommand("cancel", "cancel a task (its agent learns it)");
  cancel->add_option("TASK", options->task, "the task id")->required();
  cancel->add_option("--reason", options->reason, "why, for the member and the timeline");
  cancel->callback([&context, options] {
    Answer(context,
           ApiPost(context, "/v1/tasks/" + options->task + "/cancel", {{"reason", options->reason}}),
           [](const json& result) {
             std::cout << "cancelled " << Text(result["task"]) << " (" << Text(result["member"])
                       << "): " << Text(result["reason"]) << "\n";
           });
  });
}

void PrintClosed(const json& result) {
  std::cout << "deployment " << Text(result["id"]) << " " << Text(result["status"]) << "; ";
  if (result["open_tasks"].empty()) {
    std::cout << "no task was open\n";
    return;
  }
  std::cout << result["open_tasks"].size() << " task(s) were still open (now cancelled):\n";
  Table table({"TASK", "MEMBER", "STATE", "REASON"});
  for (const auto& task : result["open_tasks"]) {
    table.Add({Text(task["task"]), Text(task["member"]), Text(task["state"]), Text(task["reason"])});
  }
  table.Print(std::cout);
}

void AddDeploymentVerbs(CLI::App& app, const Context& context, std::shared_ptr<Options> options) {
  auto* deployment = app.add_subcommand("deployment", "change a running deployment");
  deployment->require_subcommand(1);
  auto* add = deployment->add_subcommand("add-member",
                                         "add a member to a running deployment in a role");
  add->add_option("DEPLOYMENT", options->deployment, "the deployment number")->required()
      ->check(muster::WholeNumber());
  add->add_option("MEMBER", options->member, "the member (enrolled)")->required();
  add->add_option("--role", options->role, "the playbook role they fill")->required();
  add->callback([&context, options] {
    Answer(context,
           ApiPost(context, "/v1/deployments/" + std::to_string(options->deployment) + "/members",
                   {{"member", options->member}, {"role", options->role}}),
           [](const json& result) {
             std::cout << Text(result["member"]) << " joined deployment "
                       << Text(result["deployment"]) << " as " << Text(result["role"]) << ": "
                       << Join(result["tasks"]) << "\n";
           });
  });
  for (const auto& [verb, help] :
       {std::pair<std::string, std::string>{"cancel", "abort a deployment: every open task is cancelled"},
        {"demobilise", "close a deployment, listing the work still open"}}) {
    auto* close = deployment->add_subcommand(verb, help);
    close->add_option("DEPLOYMENT", options->deployment, "the deployment number")->required()
        ->check(muster::WholeNumber());
    close->callback([&context, options, verb = verb] {
      Answer(context,
             ApiPost(context,
                     "/v1/deployments/" + std::to_string(options->deployment) + "/" + verb,
                     json::object()),
             PrintClosed);
    });
  }
}

void AddAlertVerbs(CLI::App& app, const Context& context, std::shared_ptr<Options> options) {
  auto* alert = app.add_subcommand("alert", "list and acknowledge alerts");
  alert->require_subcommand(1);
  auto* list = alert->add_subcommand("list", "alerts, open ones and the most severe first");
  list->add_option("--incident", options->incident, "only this incident's alerts");
  list->add_flag("--open", options->open, "only alerts nobody has acknowledged");
  list->callback([&context, options] {
    std::string path = "/v1/alerts?open=" + std::string(options->open ? "1" : "0");
    if (!options->incident.empty()) {
      RequireIncident(context, options->incident);
      path += "&incident=" + options->incident;
    }
    Answer(context, ApiGet(context, path), PrintAlerts);
  });
  auto* ack = alert->add_subcommand("ack", "acknowledge an alert (records who and when)");
  ack->add_option("ID", options->alert, "the alert number")->required()
      ->check(muster::WholeNumber());
  ack->callback([&context, options] {
    Answer(context,
           ApiPost(context, "/v1/alerts/" + std::to_string(options->alert) + "/ack",
                   json::object()),
           [](const json& alert) {
             std::cout << "alert " << Text(alert["id"]) << " acknowledged by "
                       << Text(alert["acked_by"]) << " at " << When(alert["acked_at"]) << "\n";
           });
  });
}

// Streams events from the newest ten on. When HQ goes away after answering once
// (restarted, the link down) it says so once, reconnects with a growing pause (reading DATA/coordinator.json again:
// a restarted coordinator may have another port) and resumes after the last event it
// printed, so nothing is shown twice or skipped.
void Watch(const Context& context, const Options& options) {
  const std::string filter = options.incident.empty() ? "" : "&incident=" + options.incident;
  std::string after = "-10";
  int printed = 0;
  int pause_s = 1;
  bool away = false;
  while (options.count <= 0 || printed < options.count) {
    Result<json> batch = ApiGet(context, "/v1/events?wait_ms=20000&after=" + after + filter);
    const bool unreachable = !batch.ok() && (batch.status().code() == ErrorCode::kUnreachable ||
                                             batch.status().code() == ErrorCode::kNoCoordinator);
    if (unreachable && after != "-10") {  // gone after answering once: wait for it
      if (!away) {
        std::cerr << "muster: " << batch.status().message()
                  << "; waiting for HQ, resuming after event " << after << "\n";
      }
      away = true;
      std::this_thread::sleep_for(std::chrono::seconds(pause_s));
      pause_s = std::min(pause_s * 2, 30);
      continue;
    }
    if (!batch.ok()) Fail(context, batch.status());
    if (away) std::cerr << "muster: HQ is back; resuming\n";
    away = false;
    pause_s = 1;
    for (const auto& event : (*batch)["events"]) {
      std::cout << (context.json ? event.dump() : EventLine(event)) << std::endl;
      if (options.count > 0 && ++printed >= options.count) return;
    }
    after = std::to_string((*batch)["last"].get<std::int64_t>());
  }
}

void AddReportVerbs(CLI::App& app, const Context& context, std::shared_ptr<Options> options) {
  auto* timeline = app.add_subcommand("timeline", "everything that happened in an incident");
  timeline->add_option("INCIDENT", options->incident, "the incident")->required();
  timeline->callback([&context, options] {
    Answer(context, ApiGet(context, "/v1/incidents/" + options->incident + "/timeline"),
           [](const json& events) {
             Table table({"TIME", "KIND", "WHO", "WHAT"});
             for (const auto& event : events) {
               table.Add({When(event["at"]), Text(event["kind"]), Text(event["actor"]),
                          Text(event["text"])});
             }
             table.Print(std::cout);
           });
  });
  auto* sitrep = app.add_subcommand(
      "sitrep", "the situation report of an incident (Markdown; JSON with --json)");
  sitrep->add_option("INCIDENT", options->incident, "the incident")->required();
  sitrep->callback([&context, options] {
    Answer(context, ApiGet(context, "/v1/incidents/" + options->incident + "/sitrep"),
           [](const json& report) { std::cout << SitrepMarkdown(report); });
  });
  auto* watch = app.add_subcommand(
      "watch", "stream events (timeline and alerts) as they happen, until interrupted");
  watch->add_option("--incident", options->incident, "only this incident's events");
  watch->add_option("--count", options->count, "stop after this many events (default: never)")
      ->check(muster::WholeNumber());
  watch->callback([&context, options] {
    if (!options->incident.empty()) RequireIncident(context, options->incident);
    Watch(context, *options);
  });
}

// The ids `__complete KIND` prints for shell completion (muster/completion.h): what HQ
// holds now; nothing when HQ cannot answer.
std::vector<std::string> CompletionIds(const Context& context, const std::string& kind) {
  std::vector<std::string> ids;
  const auto collect = [&](const std::string& path) {
    Result<json> list = ApiGet(context, path);
    if (!list.ok() || !list->is_array()) return;
    for (const json& item : *list) ids.push_back(Text(item["id"]));
  };
  if (kind == "incident") collect("/v1/incidents");
  if (kind == "member") collect("/v1/members");
  if (kind == "agent") collect("/v1/agents");
  if (kind == "alert") collect("/v1/alerts?open=1");
  if (kind == "task") {
    Result<json> incidents = ApiGet(context, "/v1/incidents");
    if (!incidents.ok() || !incidents->is_array()) return ids;
    for (const json& incident : *incidents) {
      if (incident.value("status", "") != "open") continue;
      Result<json> board = ApiGet(context, "/v1/incidents/" + Text(incident["id"]) + "/status");
      if (!board.ok()) continue;
      for (const json& deployment : (*board)["deployments"]) {
        for (const json& task : deployment["tasks"]) ids.push_back(Text(task["id"]));
      }
    }
  }
  return ids;
}

}  // namespace

void RegisterOpsCommands(CLI::App& app, const Context& context) {
  auto options = std::make_shared<Options>();
  AddTaskVerbs(app, context, options);
  AddDeploymentVerbs(app, context, options);
  AddAlertVerbs(app, context, options);
  AddReportVerbs(app, context, options);
  auto* completion = app.add_subcommand(
      "completion", "print a shell completion script (with --json: {shell, script})");
  completion->add_option("SHELL", options->shell, "bash (default) or zsh")
      ->check(CLI::IsMember({"bash", "zsh"}));
  auto* complete = app.add_subcommand(kCompleteVerb, "ids for shell completion")->group("");
  complete->add_option("KIND", options->state, "incident, task, member, agent or alert")
      ->required();
  complete->callback([&context, options] {
    for (const std::string& id : CompletionIds(context, options->state)) std::cout << id << "\n";
  });
  completion->callback([&app, &context, options] {
    const std::string script = options->shell == "zsh" ? ZshCompletion(app, "muster")
                                                       : BashCompletion(app, "muster");
    Answer(context, json{{"shell", options->shell}, {"script", script}},
           [](const json& answer) { std::cout << answer["script"].get<std::string>(); });
  });
}

}  // namespace muster::console
