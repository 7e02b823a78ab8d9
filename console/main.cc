// muster: the HQ console. Every verb talks to the coordinator's API and answers as a
// table for people or, with --json, as JSON for tools.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "agent_commands.h"
#include "archive_commands.h"
#include "api_client.h"
#include "audit_commands.h"
#include "cli_support.h"
#include "muster/cli.h"
#include "muster/clock.h"
#include "muster/digest.h"
#include "muster/files.h"
#include "muster/playbook/fields.h"
#include "muster/playbook/load.h"
#include "operator_commands.h"
#include "ops_commands.h"
#include "playbook_commands.h"
#include "roster_commands.h"
#include "exercise_commands.h"
#include "watchlist_commands.h"
#include "signature_commands.h"
#include "table.h"

namespace {

using muster::Result;
using muster::Status;
using muster::console::Answer;
using muster::console::ClockSkew;
using muster::ErrorCode;
using muster::console::Connect;
using muster::console::Fail;
using muster::console::Context;
using muster::console::Join;
using muster::console::json;
using muster::console::Table;
using muster::console::Text;
using muster::console::When;

void PrintStatus(const json& board) {
  const muster::Millis now = board["generated_at"].get<muster::Millis>();
  const json& incident = board["incident"];
  std::cout << muster::console::ExerciseBanner(board) << Text(incident["id"]) << "  " << Text(incident["title"]) << "  ["
            << Text(incident["severity"]) << ", " << Text(incident["status"]) << "]  as of "
            << muster::FormatTimestamp(now)
            << "\n\n";
  for (const auto& deployment : board["deployments"]) {
    const json& pinned = deployment["playbook"];
    std::cout << "Deployment " << deployment["id"] << ": " << Text(pinned["id"]) << " "
              << Text(pinned["version"]) << " (" << Text(deployment["status"]) << "), "
              << (pinned.value("signed_by", json()).is_object()
                      ? "signed by " + Text(pinned["signed_by"]["author"])
                      : std::string("unsigned"))
              << "\n";
    if (pinned.value("revoked", json()).is_object()) {
      std::cout << "  REVOKED playbook by " << Text(pinned["revoked"]["by"]) << ": "
                << Text(pinned["revoked"]["reason"]) << " (the deployment goes on)\n";
    }
    Table table({"TASK", "MEMBER", "STATE", "DUE", "FINDINGS", "CHECKLIST", "TITLE"});
    for (const auto& task : deployment["tasks"]) {
      std::string state = Text(task["state"]);
      if (task["dormant"].get<bool>()) state += " (dormant)";
      std::string due = "-";
      const bool open = state != "completed" && state != "cancelled" && state != "reassigned";
      if (open && task["due_at"].is_number()) {
        const muster::Millis at = task["due_at"].get<muster::Millis>();
        due = task["overdue"].get<bool>() ? "OVERDUE " + muster::FormatAge(now - at)
                                          : "in " + muster::FormatAge(at - now);
      }
      const int items = task["checklist_items"].get<int>();
      table.Add({Text(task["id"]), Text(task["member"]), state, due,
                 std::to_string(task["findings"].get<int>()),
                 items == 0 ? "-"
                            : std::to_string(task["checklist_checked"].get<int>()) + "/" +
                                  std::to_string(items),
                 Text(task["title"])});
    }
    table.Print(std::cout);
    std::cout << "\n";
  }
  Table members({"MEMBER", "NAME", "LAST CONTACT", "DATA AGE", "POSITION", "CLOCK"});
  const auto ago = [](const json& age, const json& at) {
    return age.is_number() ? muster::FormatAge(age.get<muster::Millis>()) + " ago (" + When(at) + ")"
                           : std::string("never");
  };
  for (const auto& member : board["members"]) {
    const json position = member.value("position", json());
    members.Add({Text(member["id"]), Text(member["name"]),
                 ago(member["last_contact_age_ms"], member["last_contact_at"]),
                 ago(member.value("data_age_ms", json()), member.value("data_at", json())),
                 position.is_object() ? Text(position["place"]) + " (" +
                                            When(position["recorded_at"]) + ")"
                                      : "-",
                 ClockSkew(member.value("clock", json()))});
  }
  members.Print(std::cout);
  if (!board["alerts"].empty()) {
    std::cout << "\n";
    Table alerts({"ALERT", "SEVERITY", "KIND", "RAISED", "ACKED BY", "MESSAGE"});
    for (const auto& alert : board["alerts"]) {
      alerts.Add({std::to_string(alert["id"].get<int>()), Text(alert["severity"]),
                  Text(alert["kind"]), When(alert["raised_at"]), Text(alert["acked_by"]),
                  Text(alert["message"])});
    }
    alerts.Print(std::cout);
  }
}

void PrintFindings(const json& findings) {
  if (findings.empty()) {
    std::cout << "No findings yet.\n";
    return;
  }
  Table table({"RECORDED", "MEMBER", "STEP", "FIELD", "VALUE", "RECEIVED"});
  for (const auto& finding : findings) {
    for (auto& [name, value] : finding["values"].items()) {
      std::string text = Text(value);
      if (finding["units"].contains(name)) text += " " + Text(finding["units"][name]);
      for (const auto& confirmed : finding["confirmed_out_of_range"]) {
        if (confirmed == name) text += " (out of range, confirmed)";
      }
      table.Add({When(finding["recorded_at"]), Text(finding["member"]), Text(finding["step"]), name,
                 text, When(finding["received_at"])});
    }
    for (const auto& file : finding.value("attachments", json::array())) {
      std::string state = Text(file["state"]);
      if (state == "receiving") {
        state += " " + Text(file["received_bytes"]) + "/" + Text(file["size"]) + " B";
      }
      table.Add({When(finding["recorded_at"]), Text(finding["member"]), Text(finding["step"]),
                 "file #" + Text(file["id"]),
                 Text(file["name"]) + " (" + Text(file["size"]) + " B, " + state + ")",
                 When(finding["received_at"])});
    }
  }
  table.Print(std::cout);
}

// An agent's status with its wipe order: "revoked, wipe ordered", "revoked, wiped TIME".
std::string AgentStatus(const json& agent) {
  const json wipe = agent.value("wipe", json());
  if (wipe == "ordered") return Text(agent["status"]) + ", wipe ordered";
  if (wipe == "confirmed") return Text(agent["status"]) + ", wiped " + When(agent["wiped_at"]);
  return Text(agent["status"]);
}

// agent: list (enroll, revoke and rotate: agent_commands.cc).
void AddAgentCommands(CLI::App& app, Context& context) {
  auto* agent = app.add_subcommand("agent", "enrol, list, revoke and rotate field agents");
  agent->require_subcommand(1);
  agent->add_subcommand("list", "list agents and their last contact")
      ->callback([&context] {
        auto api = Connect(context);
        Answer(context, api.ok() ? api->Get("/v1/agents") : Result<json>(api.status()),
               [](const json& list) {
                 Table table(
                     {"AGENT", "MEMBER", "STATUS", "LAST CONTACT", "RECORDS IN", "DELIVERIES"});
                 for (const auto& item : list) {
                   table.Add(
                       {Text(item["id"]), Text(item["member"]), AgentStatus(item),
                        When(item["last_contact_at"]), Text(item["records_received"]),
                        Text(item["deliveries_applied"]) + "/" + Text(item["deliveries_queued"])});
                 }
                 table.Print(std::cout);
               });
      });

  muster::console::RegisterAgentKeyCommands(
      *agent, [&context] { return Connect(context); }, context.json);
}

void AddDeployCommand(CLI::App& app, Context& context) {
  struct Options {
    std::string incident_id;
    std::string playbook_file;
    std::vector<std::string> assignments;
    std::string signature_file;
  };
  auto options = std::make_shared<Options>();
  auto* deploy = app.add_subcommand("deploy", "deploy a playbook to a team for an incident");
  deploy->add_option("--signature", options->signature_file,
                     "the author's signature (default: PLAYBOOK.sig when it exists)");
  deploy->add_option("INCIDENT", options->incident_id, "the incident")->required();
  deploy->add_option("--playbook", options->playbook_file, "the playbook YAML file")->required();
  deploy->add_option("--assign", options->assignments,
                     "ROLE=MEMBER (repeat); roles not given are filled from the roster");
  deploy->callback([&context, options] {
    const auto readable = muster::ReadFile(options->playbook_file);
    if (!readable.ok()) {
      Fail(context, Status::Error(ErrorCode::kInvalidArgument,
                                  "cannot read the playbook: " + readable.status().message() +
                                      "; give --playbook an existing YAML file"));
    }
    auto loaded = muster::playbook::LoadFile(options->playbook_file);
    if (!loaded.ok()) {
      std::string problems;
      for (const auto& diagnostic : loaded.diagnostics) problems += diagnostic.ToString() + "\n";
      if (!context.json) std::cerr << problems;
      Fail(context, Status::Error(ErrorCode::kInvalidPlaybook,
                                  context.json ? problems + "the playbook does not pass lint"
                                               : "the playbook does not pass lint (muster "
                                                 "playbook lint FILE); nothing was deployed"));
    }
    // The author's signature travels with the playbook: HQ checks it, agents check it again.
    std::string signature_file = options->signature_file;
    std::error_code exists;
    const std::string beside = muster::console::SignaturePathFor(options->playbook_file);
    if (signature_file.empty() && std::filesystem::exists(beside, exists)) signature_file = beside;
    json signature;
    if (!signature_file.empty()) {
      auto read = muster::console::ReadSignatureFile(signature_file);
      if (!read.ok()) Fail(context, read.status());
      signature = read->Encode();
    }
    json assign = json::object();
    for (const std::string& item : options->assignments) {
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
        Fail(context, Status::Error(ErrorCode::kInvalidArgument,
                                    "--assign '" + item + "' must look like ROLE=MEMBER"));
      }
      assign[item.substr(0, eq)].push_back(item.substr(eq + 1));
    }
    auto api = Connect(context);
    Answer(
        context,
        api.ok() ? api->Post("/v1/deployments", {{"incident", options->incident_id},
                                                 {"playbook_source", loaded.playbook->source},
                                                 {"playbook_file", options->playbook_file},
                                                 {"signature", signature},
                                                 {"assign", assign}})
                 : Result<json>(api.status()),
        [](const json& deployment) {
          std::cout << "deployment " << deployment["id"] << " of "
                    << Text(deployment["playbook"]["id"]) << " "
                    << Text(deployment["playbook"]["version"]) << " to "
                    << Text(deployment["incident"]) << ": " << deployment["tasks"] << " task(s)\n";
          const json signer = deployment["playbook"].value("signed_by", json());
          std::cout << "  "
                    << (signer.is_object() ? "signed by " + Text(signer["author"]) + " (key " +
                                                 Text(signer["key_id"]) + ")"
                                           : std::string("unsigned"))
                    << "\n";
          const json& automatic = deployment["automatic"];
          for (auto& [role, members] : deployment["team"].items()) {
            const bool picked =
                std::find(automatic.begin(), automatic.end(), role) != automatic.end();
            std::cout << "  " << role << ": " << Join(members)
                      << (picked ? "  (picked from the roster)" : "") << "\n";
          }
          for (auto& [role, members] : deployment["unqualified"].items()) {
            for (auto& [member, missing] : members.items()) {
              std::cout << "  warning: " << member << " lacks " << Join(missing) << " for " << role
                        << "\n";
            }
          }
        });
  });
}

// status, findings
void AddIncidentViewCommands(CLI::App& app, Context& context) {
  auto incident_id = std::make_shared<std::string>();
  auto* status = app.add_subcommand("status", "the status board of an incident");
  status->add_option("INCIDENT", *incident_id, "the incident")->required();
  status->callback([&context, incident_id] {
    auto api = Connect(context);
    Answer(context,
           api.ok() ? api->Get("/v1/incidents/" + *incident_id + "/status")
                    : Result<json>(api.status()),
           PrintStatus);
  });
  auto* findings = app.add_subcommand("findings", "every finding of an incident");
  findings->add_option("INCIDENT", *incident_id, "the incident")->required();
  findings->callback([&context, incident_id] {
    auto api = Connect(context);
    Answer(context,
           api.ok() ? api->Get("/v1/incidents/" + *incident_id + "/findings")
                    : Result<json>(api.status()),
           PrintFindings);
  });
}

// export geojson INCIDENT [--releasable MARKING]: the incident's map for a partner, as
// GeoJSON on standard output; export cap ALERT [--releasable MARKING]: one alert as a CAP
// 1.2 message (docs/programme.md, "Partner exports").
void AddExportCommands(CLI::App& app, Context& context) {
  struct Options {
    std::string incident;
    std::string releasable;
    std::int64_t alert_id = 0;
  };
  auto options = std::make_shared<Options>();
  auto* exports = app.add_subcommand("export", "exports for partner agencies");
  exports->require_subcommand(1);
  auto* geojson = exports->add_subcommand(
      "geojson", "geolocated findings and members' positions as GeoJSON (RFC 7946)");
  geojson->add_option("INCIDENT", options->incident, "the incident")->required();
  geojson->add_option("--releasable", options->releasable,
                      "only what a partner cleared for this marking may see, e.g. TLP:GREEN");
  geojson->callback([&context, options] {
    std::string path = "/v1/incidents/" + options->incident + "/geojson";
    if (!options->releasable.empty()) {
      path += "?releasable=" + muster::console::UrlEncode(options->releasable);
    }
    auto api = Connect(context);
    const Result<json> collection = api.ok() ? api->Get(path) : Result<json>(api.status());
    if (!collection.ok()) Fail(context, collection.status());
    std::cout << collection->dump(2) << "\n";
  });
  auto* cap = exports->add_subcommand(
      "cap", "one alert as an OASIS CAP 1.2 message (XML) for a partner or a warning system");
  cap->add_option("ALERT", options->alert_id, "the alert's number (muster alert list)")
      ->required()
      ->check(muster::WholeNumber());
  cap->add_option("--releasable", options->releasable,
                  "refuse unless a partner cleared for this marking may see it, e.g. TLP:GREEN");
  cap->callback([&context, options] {
    json body = json::object();
    if (!options->releasable.empty()) body["releasable"] = options->releasable;
    auto api = Connect(context);
    const Result<std::string> document =
        api.ok() ? api->PostForBytes("/v1/alerts/" + std::to_string(options->alert_id) + "/cap",
                                     body)
                 : Result<std::string>(api.status());
    if (!document.ok()) Fail(context, document.status());
    if (context.json) {
      std::cout << json{{"alert", options->alert_id}, {"cap", *document}}.dump(2) << "\n";
    } else {
      std::cout << *document;
    }
  });
  muster::console::RegisterArchiveCommands(app, *exports, context);
}

void AddAttachmentCommands(CLI::App& app, Context& context) {
  struct Options {
    std::int64_t attachment_id = 0;
    std::string out_path;
  };
  auto options = std::make_shared<Options>();
  auto* attachment = app.add_subcommand("attachment", "files attached to findings");
  attachment->require_subcommand(1);
  auto* attachment_show = attachment->add_subcommand("show", "a file's state and progress");
  attachment_show->add_option("ID", options->attachment_id, "the file's number (muster findings)")
      ->required()
      ->check(muster::WholeNumber());
  attachment_show->callback([&context, options] {
    auto api = Connect(context);
    Answer(context,
           api.ok() ? api->Get("/v1/attachments/" + std::to_string(options->attachment_id))
                    : Result<json>(api.status()),
           [](const json& file) {
             std::cout << "File " << Text(file["id"]) << ": " << Text(file["name"]) << ", "
                       << Text(file["size"]) << " bytes, sha256 " << Text(file["sha256"])
                       << "\nFrom " << Text(file["agent"]) << " for " << Text(file["task"])
                       << "\nState: " << Text(file["state"]) << " (" << Text(file["received_bytes"])
                       << " of " << Text(file["size"]) << " bytes received), verified "
                       << When(file["verified_at"]) << "\n";
           });
  });
  auto* attachment_get = attachment->add_subcommand("get", "save a verified file");
  attachment_get->add_option("ID", options->attachment_id, "the file's number (muster findings)")
      ->required()
      ->check(muster::WholeNumber());
  attachment_get->add_option("--out", options->out_path, "where to save it")->required();
  attachment_get->callback([&context, options] {
    auto api = Connect(context);
    Result<std::string> content =
        api.ok() ? api->GetBytes("/v1/attachments/" + std::to_string(options->attachment_id) +
                                 "/content")
                 : Result<std::string>(api.status());
    Result<json> saved = content.status();
    if (content.ok()) {
      Status written = muster::WriteFileAtomic(options->out_path, *content, 0600);
      saved = written.ok() ? Result<json>(json{{"id", options->attachment_id},
                                               {"path", options->out_path},
                                               {"bytes", content->size()},
                                               {"sha256", muster::Sha256Hex(*content)}})
                           : Result<json>(written);
    }
    Answer(context, saved, [](const json& file) {
      std::cout << "saved " << Text(file["bytes"]) << " bytes to " << Text(file["path"])
                << " (sha256 " << Text(file["sha256"]) << ")\n";
    });
  });
}

}  // namespace

int main(int argc, char** argv) {
  muster::ProgramOutput output(argc, argv);
  CLI::App app{"muster: the HQ console for Muster deployments."};
  app.require_subcommand(1);
  muster::AddVersionFlag(app, "muster");
  app.fallthrough();  // --json and --data also after the verb: muster status INC-1 --json
  Context context;
  if (const char* env = std::getenv("MUSTER_DATA"); env != nullptr && *env != '\0') {
    context.data_dir = env;
    context.data_from_env = true;
  }
  app.add_option("--data", context.data_dir,
                 "on HQ's machine: the coordinator's data directory, whose break-glass token "
                 "(api.token) is used instead of a login (env MUSTER_DATA)")
      ->each([&context](const std::string&) { context.data_from_env = false; });
  app.add_option("--api", context.api_url, "API URL, e.g. https://hq.example:7471");
  app.add_option("--token-file", context.token_file,
                 "file holding a session or API token (mode 0600), with --api");
  app.add_option("--ca", context.trust.ca_file,
                 "https: PEM CA certificates to verify the coordinator's certificate with "
                 "(default: the system's CA store)");
  app.add_option("--pin", context.trust.pin,
                 "https: accept exactly the certificate with this fingerprint (sha256:HEX, as "
                 "the coordinator prints at start)");
  app.add_flag("--json", context.json, "answer in JSON");

  muster::console::RegisterRosterCommands(app, context);
  AddAgentCommands(app, context);
  AddDeployCommand(app, context);
  AddIncidentViewCommands(app, context);
  AddAttachmentCommands(app, context);
  AddExportCommands(app, context);
  muster::console::RegisterPlaybookCommands(app, context.json);
  muster::console::RegisterGovernanceCommands(app, *app.get_subcommand("playbook"), context);
  muster::console::RegisterAuditCommands(
      app, [&] { return Connect(context); }, context.json);
  muster::console::RegisterOpsCommands(app, context);
  muster::console::RegisterOperatorCommands(app, context);
  muster::console::RegisterWatchlistCommands(app, context);
  muster::console::RegisterExerciseCommands(app, context);
  if (auto done = muster::ParseCommandLine(app, argc, argv)) return *done;
  return 0;
}
