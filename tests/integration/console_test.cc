// The console binary against a running coordinator (in-process, real sockets, real
// stores): every verb answers JSON that parses with --json, every command path has
// --help, and the completion script knows every verb.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <regex>
#include <sstream>
#include <thread>

#include <sys/wait.h>

#include "coordinator_fixture.h"
#include "muster/digest.h"
#include "muster/files.h"
#include "service/coordinator.h"
#include "xml_schema.h"

namespace muster {
namespace {

using nlohmann::json;

struct Output {
  int status = -1;
  std::string out;
};

// Runs a shell command and collects what it writes to stdout, with its exit status.
Output RunCommand(const std::string& command) {
  Output run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, got);
  const int raw = ::pclose(pipe);
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return run;
}

// The in-process coordinator of tests/support/coordinator_fixture.h, with a fast alert
// sweep; the console and agent binaries run against it.
class ConsoleTest : public coordtest::CoordinatorTest {
 protected:
  void SetUp() override {
    CoordinatorTest::SetUp();
    root_ = std::filesystem::path(config_.data_dir).parent_path();
    config_.alert_sweep_interval_ms = 200;
    StartHq();
  }
  // Runs `muster --data DIR ARGS` on HQ's machine, with the break-glass token, and
  // collects stdout (stderr is kept apart). |input| is the first line of stdin.
  Output Muster(const std::string& args, const std::string& input = "") {
    return Desk("--data " + (root_ / "hq").string() + " " + args, input);
  }
  // Runs `muster ARGS` as at an operator's desk: no --data, the login kept under the
  // test's own XDG_CONFIG_HOME.
  Output Desk(const std::string& args, const std::string& input = "") {
    const std::string feed = input.empty() ? "" : "printf '%s\\n' '" + input + "' | ";
    return RunCommand(feed + "XDG_CONFIG_HOME=" + (root_ / "config").string() + " " +
                      MUSTER_CONSOLE + " " + args + " 2>" + (root_ / "stderr").string());
  }
  // `muster --json PATH ARGS` at the desk, which must succeed; |path| is recorded as
  // exercised.
  json DeskVerb(const std::string& path, const std::string& args = "",
                const std::string& input = "") {
    exercised_.insert(path);
    Output run = Desk("--json " + path + " " + args, input);
    EXPECT_EQ(run.status, 0) << path << " " << args << ": " << run.out << Stderr();
    json parsed = json::parse(run.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << path << " printed no JSON: " << run.out;
    return parsed;
  }
  std::string Stderr() {
    std::ifstream in(root_ / "stderr");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  json MusterJson(const std::string& args, const std::string& input = "") {
    Output run = Muster("--json " + args, input);
    EXPECT_EQ(run.status, 0) << args << ": " << run.out << Stderr();
    json parsed = json::parse(run.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << args << " printed no JSON: " << run.out;
    return parsed;
  }
  // `muster --json PATH ARGS`, which must succeed and print one JSON document; |path| is
  // recorded as exercised.
  json Verb(const std::string& path, const std::string& args = "", const std::string& input = "") {
    exercised_.insert(path);
    return MusterJson(path + (args.empty() ? "" : " " + args), input);
  }
  // The completion script's arms: each command path ("" for muster itself) and the
  // subcommands and options that may follow it.
  std::map<std::string, std::vector<std::string>> CompletionArms() {
    Output script = Muster("completion bash");
    EXPECT_EQ(script.status, 0);
    EXPECT_NE(script.out.find("complete -F _muster muster"), std::string::npos);
    std::regex arm("^    \"([a-z -]*)\"\\) echo \"([^\"]*)\" ;;$");
    std::istringstream lines(script.out);
    std::string line;
    std::map<std::string, std::vector<std::string>> arms;
    while (std::getline(lines, line)) {
      std::smatch match;
      if (!std::regex_match(line, match, arm)) continue;
      std::istringstream words(match[2].str());
      std::string word;
      while (words >> word) arms[match[1]].push_back(word);
    }
    return arms;
  }
  // The command paths that take no further subcommand: the verbs.
  std::set<std::string> LeafPaths() {
    std::set<std::string> leaves;
    for (const auto& [path, words] : CompletionArms()) {
      if (!path.empty() && std::none_of(words.begin(), words.end(), [](const std::string& w) {
            return w.rfind("--", 0) != 0;
          })) {
        leaves.insert(path);
      }
    }
    return leaves;
  }
  // Runs `muster-agent --config CONFIG ARGS`; true on exit 0.
  bool Agent(const std::string& config, const std::string& args) {
    const std::string command = std::string(MUSTER_AGENT) + " --config " + config + " " + args +
                                " >>" + (root_ / "agent.out").string() + " 2>&1";
    return std::system(command.c_str()) == 0;
  }
  // An agent data directory for |member|'s bundle (written by agent enroll --out).
  std::string AgentConfig(const std::string& member) {
    const auto dir = root_ / ("agent-" + member);
    std::filesystem::create_directories(dir / "data");
    const std::string config = (dir / "agent.yaml").string();
    std::ofstream(config) << "bundle: " << (root_ / (member + ".json")).string()
                          << "\ndata_dir: " << (dir / "data").string() << "\n";
    return config;
  }

  std::set<std::string> exercised_;
  std::filesystem::path root_;  // the fixture's directory: hq/ and the agents' files
};

// Every verb, in the order an officer would use them, with --json: each answer parses,
// and the coverage check at the end fails when a verb is added without a case here.
TEST_F(ConsoleTest, EveryVerbAnswersJsonThatParses) {
  const std::string playbook =
      std::string(MUSTER_SOURCE_DIR) + "/playbooks/radioactive-material-border-seizure.yaml";
  Verb("incident create",
       "--id INC-1 --title 'Portal alarm' --severity high --hazard radiological");
  struct Member {
    std::string id, role, qualifications;
  };
  for (const Member& member :
       std::vector<Member>{{"amira", "team_leader", "--qualification incident_command"},
                           {"jonas", "radiation_specialist", ""},
                           {"li", "forensic_examiner", ""},
                           {"mara", "radiation_specialist", ""},
                           {"zed", "liaison_officer", ""}}) {
    Verb("member add", member.id + " --role " + member.role + " " + member.qualifications);
    EXPECT_EQ(Verb("agent enroll",
                   member.id + " --out " + (root_ / (member.id + ".json")).string())["member"],
              member.id);
  }
  // The author signs a copy of the playbook (FILE.sig lands beside it) and HQ trusts the
  // author; deploy sends the signature along.
  std::filesystem::create_directories(root_ / "signed");
  std::filesystem::copy(std::string(MUSTER_SOURCE_DIR) + "/playbooks/lib",
                        root_ / "signed" / "lib");
  std::filesystem::copy_file(playbook, root_ / "signed" / "border.yaml");
  const std::string signed_playbook = (root_ / "signed" / "border.yaml").string();
  const std::string key_file = (root_ / "okafor.key").string();
  const json key = Verb("playbook keygen", "--author okafor --out " + key_file);
  const std::string public_key = key["public_key"];
  EXPECT_EQ(Verb("author add", "okafor --key '" + public_key + "'")["key_id"], key["key_id"]);
  EXPECT_EQ(Verb("author list")[0]["name"], "okafor");
  EXPECT_EQ(Verb("playbook sign", signed_playbook + " --key " + key_file)["author"], "okafor");
  EXPECT_EQ(Verb("playbook verify", signed_playbook)["valid"], true);
  json deployed = Verb("deploy", "INC-1 --playbook " + signed_playbook +
                                     " --assign team_leader=amira --assign "
                                     "radiation_specialist=jonas --assign forensic_examiner=li");
  EXPECT_EQ(deployed["playbook"]["signed_by"]["author"], "okafor");
  EXPECT_EQ(deployed["team"]["team_leader"], json::array({"amira"}));
  EXPECT_EQ(deployed["unqualified"]["radiation_specialist"]["jonas"],
            json::array({"radiation_protection", "riid_operation"}));

  EXPECT_EQ(Verb("incident list").size(), 1u);
  EXPECT_EQ(Verb("incident show", "INC-1")["deployments"][0]["status"], "active");
  json updated =
      Verb("incident update", "INC-1 --severity critical --location 'Lane 3' --country Estonia");
  EXPECT_EQ(updated["severity"], "critical");
  EXPECT_EQ(updated["country"], "EE");
  EXPECT_EQ(Verb("member list").size(), 5u);
  EXPECT_EQ(Verb("member update", "jonas --checkin 1s --contact 'radio 4'")["checkin_interval_ms"],
            1000);
  EXPECT_EQ(Verb("agent list").size(), 5u);
  EXPECT_EQ(Verb("agent revoke", "zed-1")["status"], "revoked");
  // zed's laptop is then reported lost: a wipe order on the revoked agent.
  EXPECT_EQ(Verb("agent revoke", "zed-1 --wipe")["wipe"], "ordered");
  const Output listed = Muster("agent list");
  EXPECT_NE(listed.out.find("revoked, wipe ordered"), std::string::npos) << listed.out;
  EXPECT_EQ(Verb("agent rotate", "mara-1 --out " + (root_ / "mara-rotated.json").string())["agent_id"],
            "mara-1");

  // Amira's laptop takes her tasks and sends a file with a finding; HQ verifies it.
  const std::string amira = AgentConfig("amira");
  ASSERT_TRUE(Agent(amira, "sync --timeout 20"));
  const auto photo = root_ / "scene.jpg";
  std::ofstream(photo, std::ios::binary) << std::string(100'000, 'x');
  ASSERT_TRUE(Agent(amira, "finding arrival_briefing --attach " + photo.string()));
  json files;
  for (int i = 0; i < 20 && files.empty(); ++i) {
    ASSERT_TRUE(Agent(amira, "sync --timeout 20"));
    for (const json& finding : Verb("findings", "INC-1")) {
      for (const json& file : finding["attachments"]) {
        if (file["state"] == "verified") files.push_back(file);
      }
    }
  }
  ASSERT_EQ(files.size(), 1u);
  const std::string file_id = std::to_string(files[0]["id"].get<int>());
  EXPECT_EQ(Verb("attachment show", file_id)["size"], 100'000);
  EXPECT_EQ(Verb("attachment get", file_id + " --out " + (root_ / "copy.jpg").string())["bytes"],
            100'000);

  // A ticked checklist item reaches HQ like a status change.
  ASSERT_TRUE(Agent(amira, "tick arrival_briefing 'staging area'"));
  ASSERT_TRUE(Agent(amira, "sync --timeout 20"));
  json board = Verb("status", "INC-1");
  EXPECT_EQ(board["incident"]["id"], "INC-1");
  for (const json& task : board["deployments"][0]["tasks"]) {
    if (task["step"] != "arrival_briefing") continue;
    EXPECT_EQ(task["checklist_checked"], 1) << task.dump();
    EXPECT_EQ(task["checklist_items"], 3);
  }
  EXPECT_NE(Muster("status INC-1").out.find("1/3"), std::string::npos);
  EXPECT_FALSE(Verb("task list", "INC-1").empty());
  EXPECT_TRUE(Verb("task list", "INC-1 --open --member jonas").is_array());
  EXPECT_EQ(Verb("task reassign", "d1.secondary_inspection.jonas mara")["to"], "mara");
  Output refused = Muster("--json task cancel d1.host_liaison.paulo");
  EXPECT_EQ(refused.status, 1);  // nobody holds it: not found, as the API's error object
  EXPECT_EQ(json::parse(refused.out, nullptr, false)["error"]["code"], "not_found") << refused.out;
  EXPECT_EQ(Verb("task cancel", "d1.photograph_scene.li --reason 'no camera'")["state"],
            "cancelled");
  EXPECT_EQ(Verb("deployment add-member", "1 mara --role forensic_examiner")["role"],
            "forensic_examiner");

  // Jonas now checks in every second and his laptop never syncs: the sweep raises the
  // member-safety alert, which an officer acknowledges.
  json alerts;
  for (int i = 0; i < 100; ++i) {
    alerts = Verb("alert list", "--incident INC-1 --open");
    if (!alerts.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(alerts.empty());
  EXPECT_EQ(alerts[0]["kind"], "checkin");
  const std::string alert_id = std::to_string(alerts[0]["id"].get<int>());
  EXPECT_EQ(Verb("alert ack", alert_id)["acked_by"], "break-glass");
  // The alert as CAP 1.2 for a partner's warning system, valid against the schema as it
  // leaves the console; a partner not cleared for the border playbook's marking gets none.
  EXPECT_EQ(Verb("export cap", alert_id)["alert"], alerts[0]["id"]);
  const Output cap = Muster("export cap " + alert_id);
  ASSERT_EQ(cap.status, 0) << Stderr();
  EXPECT_EQ(muster::xmlcheck::XmlSchema(muster::xmlcheck::SchemaDir() + "/CAP-v1.2.xsd")
                .Problems(cap.out),
            std::vector<std::string>{})
      << cap.out;
  EXPECT_EQ(muster::xmlcheck::XmlTexts(cap.out, "incidents"), std::vector<std::string>{"INC-1"});
  const Output partner_cap = Muster("export cap " + alert_id + " --releasable TLP:CLEAR");
  EXPECT_EQ(partner_cap.status, 1);
  EXPECT_NE(Stderr().find("may not see it"), std::string::npos) << Stderr();

  exercised_.insert("watch");
  Output watch = Muster("--json watch --incident INC-1 --count 3");
  ASSERT_EQ(watch.status, 0);
  std::istringstream lines(watch.out);
  std::string line;
  int events = 0;
  while (std::getline(lines, line)) {
    json event = json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << line;
    EXPECT_EQ(event["incident"], "INC-1");
    ++events;
  }
  EXPECT_EQ(events, 3);

  EXPECT_FALSE(Verb("timeline", "INC-1").empty());
  EXPECT_EQ(Verb("report add", "INC-1 --conditions 'Lorry isolated' --actions 'Cordon at 50 m' "
                               "--need 'a second dose-rate meter'")["needs"],
            json::array({"a second dose-rate meter"}));
  EXPECT_EQ(Verb("report list", "INC-1").size(), 1u);
  json sitrep = Verb("sitrep", "INC-1");
  EXPECT_EQ(sitrep["incident"]["id"], "INC-1");
  EXPECT_EQ(sitrep["tactical_report"]["conditions"], "Lorry isolated");
  EXPECT_EQ(Verb("playbook lint", playbook)["files"].size(), 1u);
  EXPECT_EQ(Verb("playbook show", playbook)["id"], "radioactive-material-border-seizure");
  EXPECT_FALSE(Verb("playbook graph", playbook)["edges"].empty());
  const json exported = Verb("playbook export", "--to cacao " + playbook);
  EXPECT_EQ(exported["cacao"]["spec_version"], "cacao-2.0");
  const std::string cacao_file = dir_.File("border.json");
  ASSERT_TRUE(WriteFileAtomic(cacao_file, exported["cacao"].dump()).ok());
  const json imported = Verb("playbook import", "--from cacao " + cacao_file);
  EXPECT_TRUE(imported["valid"].get<bool>());
  EXPECT_TRUE(imported["notes"].empty()) << imported["notes"].dump();
  EXPECT_NE(imported["yaml"].get<std::string>().find("id: radioactive-material-border-seizure"),
            std::string::npos);

  // An exercise: its own incident and deployment, a script of injects, the report.
  EXPECT_EQ(Verb("incident create", "--id EX-1 --title 'Border drill' --exercise")["exercise"],
            true);
  const json drill = Verb("deploy", "EX-1 --playbook " + playbook +
                     " --assign team_leader=amira --assign radiation_specialist=jonas "
                     "--assign forensic_examiner=li");
  const std::string script = dir_.File("drill.yaml");
  ASSERT_TRUE(WriteFileAtomic(script,
                              "exercise: Border drill\ninjects:\n  - at: 0s\n    alert: {text: "
                              "drill}\n  - at: 2h\n    message: {to: team_leader, text: later}\n")
                  .ok());
  EXPECT_EQ(Verb("exercise start", "EX-1 " + script)["injects"].size(), 2u);
  EXPECT_EQ(Verb("exercise status", "EX-1")["name"], "Border drill");
  EXPECT_EQ(Verb("deployment demobilise", std::to_string(drill["id"].get<int>()))["status"],
            "demobilised");  // the exercise ends with its deployment
  const std::string folder = dir_.File("after-action");
  json written = Verb("exercise report", "EX-1 --out " + folder);
  EXPECT_EQ(written["written"].size(), 5u);
  EXPECT_EQ(written["summary"]["injects"], 2);
  for (const char* chart : {"steps.png", "alerts.png", "checkins.png"}) {
    auto png = ReadFile(folder + "/" + chart);
    ASSERT_TRUE(png.ok()) << chart;
    EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << chart;
  }
  auto markdown = ReadFile(folder + "/after-action.md");
  ASSERT_TRUE(markdown.ok());
  EXPECT_EQ(markdown->rfind("**EXERCISE EXERCISE EXERCISE**", 0), 0u) << *markdown;
  // The monthly report of this month: INC-1 counted in Estonia, the exercise left out.
  const std::string month =
      FormatTimestamp(Verb("incident show", "INC-1")["created_at"].get<Millis>()).substr(0, 7);
  const std::string monthly = dir_.File("monthly");
  json report = Verb("report monthly", "--month " + month + " --out " + monthly);
  EXPECT_EQ(report["written"].size(), 7u);
  EXPECT_EQ(report["incidents"], 1);
  auto figures = ReadFile(monthly + "/monthly-report.json");
  ASSERT_TRUE(figures.ok());
  EXPECT_EQ(json::parse(*figures)["incidents"]["by_country"][0]["key"], "EE");
  EXPECT_EQ(json::parse(*figures)["exercises_excluded"], 1);
  Output bad_month = Muster("report monthly --month November");
  EXPECT_NE(bad_month.status, 0);
  EXPECT_NE(Stderr().find("write YYYY-MM"), std::string::npos) << Stderr();
  Output empty_limit = Muster("report monthly --month " + month + " --releasable ''");
  EXPECT_NE(empty_limit.status, 0) << "an empty releasability is refused, not ignored";
  EXPECT_NE(Stderr().find("releasable:"), std::string::npos) << Stderr();
  Output typo = Muster("exercise start EX-1 " + script + ".missing");
  EXPECT_EQ(typo.status, 2) << "a missing script is a usage error";
  const std::string bad = dir_.File("bad.yaml");
  ASSERT_TRUE(
      WriteFileAtomic(bad, "exercise: x\ninjects:\n  - at: soon\n    alert: {text: x}\n").ok());
  Output bad_script = Muster("exercise start EX-1 " + bad);
  EXPECT_EQ(bad_script.status, 2);
  EXPECT_NE(Stderr().find("bad.yaml:3: inject 1: 'at' must be a duration"), std::string::npos)
      << Stderr();

  json second = Verb("deploy", "INC-1 --playbook " + playbook + " --assign team_leader=amira --assign "
                                          "radiation_specialist=mara --assign forensic_examiner=li");
  // Revoking the version: no new deployment of it; the two running go on.
  const std::string version = deployed["playbook"]["version"];
  EXPECT_EQ(Verb("playbook revoke", "radioactive-material-border-seizure@" + version +
                                        " --reason 'dose table superseded'")["running"]
                .size(),
            2u);
  EXPECT_NE(Muster("status INC-1").out.find("REVOKED playbook by break-glass: dose table"),
            std::string::npos);
  EXPECT_EQ(Verb("author revoke", "okafor")["revoked"], 1);
  EXPECT_EQ(Verb("deployment cancel", std::to_string(second["id"].get<int>()))["status"],
            "cancelled");
  json closed = Verb("deployment demobilise", "1");
  EXPECT_EQ(closed["status"], "demobilised");
  EXPECT_FALSE(closed["open_tasks"].empty());
  Output again = Muster("--json deployment cancel 1");
  EXPECT_EQ(again.status, 1);  // already closed: a conflict, said on stderr
  EXPECT_EQ(Verb("incident update", "INC-1 --status closed")["status"], "closed");

  // Operators (issue 16): the administrator adds an officer, who logs in at a desk.
  const std::string password = "correct horse battery staple";
  EXPECT_EQ(Verb("operator add", "dana --role officer --display-name 'Dana W' --password-stdin",
                 password)["role"],
            "officer");
  EXPECT_EQ(Verb("operator list").size(), 1u);
  json login = DeskVerb("login", "--api " + hq_->api_url() + " --operator dana --password-stdin",
                        password);
  EXPECT_EQ(login["role"], "officer");
  EXPECT_FALSE(login.contains("token"));
  EXPECT_EQ(DeskVerb("whoami")["operator"], "dana");
  EXPECT_EQ(Verb("operator end-sessions", "dana")["sessions"], 0);
  EXPECT_EQ(Desk("whoami").status, 1);  // the saved token no longer opens anything
  EXPECT_NE(Stderr().find("log in again"), std::string::npos) << Stderr();
  EXPECT_TRUE(Verb("operator disable", "dana")["disabled"].get<bool>());
  EXPECT_FALSE(Verb("operator enable", "dana")["disabled"].get<bool>());
  EXPECT_EQ(Verb("operator reset", "dana --password-stdin", "a new shift, a new passphrase")["name"],
            "dana");
  DeskVerb("login", "--password-stdin --operator dana", "a new shift, a new passphrase");
  EXPECT_EQ(DeskVerb("logout")["session_ended_at_hq"], true);

  // Persons of interest (issue 19): entries from a file, carried by an incident.
  const std::string entries = dir_.File("watchlist.json");
  ASSERT_TRUE(WriteFileAtomic(entries, json{{"entries",
                                             {{{"notice", "G-2026-0412"},
                                               {"type", "green"},
                                               {"names", {"Иван Петров", "Ivan PETROV"}},
                                               {"date_of_birth", "1971-03-02"},
                                               {"regions", {"UA"}}}}}}
                                           .dump())
                  .ok());
  EXPECT_EQ(Verb("watchlist set", entries)["added"], 1);
  EXPECT_EQ(Verb("watchlist assign", "INC-1 --region ua")["assigned"], json({"G-2026-0412"}));
  EXPECT_EQ(Verb("watchlist list")[0]["incidents"], json({"INC-1"}));
  EXPECT_EQ(Verb("watchlist show", "INC-1")[0]["names"][0], "Иван Петров");
  EXPECT_TRUE(Verb("watchlist hits", "INC-1").empty());
  EXPECT_EQ(Verb("watchlist unassign", "INC-1 G-2026-0412")["unassigned"], json({"G-2026-0412"}));
  EXPECT_EQ(Verb("watchlist remove", "G-2026-0412")["notice"], "G-2026-0412");
  Output bad_entry = Muster("--json watchlist set " + entries + ".missing");
  EXPECT_EQ(bad_entry.status, 2) << "a missing file is a usage error";

  json map = Verb("export geojson", "INC-1 --releasable 'RESTRICTED // TLP:AMBER'");
  EXPECT_EQ(map["type"], "FeatureCollection");
  EXPECT_EQ(map["muster"]["releasable"], "RESTRICTED // TLP:AMBER");
  EXPECT_EQ(Muster("export geojson INC-1 --releasable TLP:PURPLE").status, 2)
      << "an unknown marking is refused";

  // The whole incident as a signed folder, with Amira's photo; a partner checks it
  // offline against HQ's archive key and finds the one byte changed after.
  const std::string archived = (root_ / "INC-1-archive").string();
  const json archive = Verb("export archive", "INC-1 --out " + archived);
  EXPECT_EQ(archive["manifest"]["incident"], "INC-1");
  const std::string photo_copy = archived + "/attachments/" + file_id + "-scene.jpg";
  auto photo_archived = ReadFile(photo_copy);
  ASSERT_TRUE(photo_archived.ok()) << photo_copy;
  EXPECT_EQ(*photo_archived, std::string(100'000, 'x'));
  const std::string hq_key = (root_ / "hq-archive-key.json").string();
  const json archive_key = Verb("archive key", "--out " + hq_key);
  EXPECT_EQ(archive_key["key_id"], archive["key_id"]);
  const json checked = Verb("archive verify", archived + " --key " + hq_key);
  EXPECT_TRUE(checked["valid"].get<bool>()) << checked.dump();
  EXPECT_EQ(checked["files_checked"], archive["manifest"]["files"].size());
  std::ofstream(photo_copy, std::ios::binary | std::ios::app) << "!";
  const Output tampered = Muster("--json archive verify " + archived + " --key " +
                                 archive_key["public_key"].get<std::string>());
  EXPECT_EQ(tampered.status, 1);
  EXPECT_NE(tampered.out.find("-scene.jpg was changed"), std::string::npos) << tampered.out;
  EXPECT_EQ(Muster("archive verify " + archived + " --key not-a-key").status, 2);
  const std::string signed_manifest = ReadFile(archived + "/manifest.json").value();
  EXPECT_EQ(Muster("export archive INC-1 --out " + archived + "/").status, 2) << "never overwritten";
  EXPECT_EQ(ReadFile(archived + "/manifest.json").value(), signed_manifest);
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    EXPECT_EQ(entry.path().filename().string().find(".partial-"), std::string::npos)
        << entry.path() << " was left behind";
  }
  const json partner = Verb("export archive", "INC-1 --releasable TLP:CLEAR --out " +
                                                  (root_ / "partner").string());
  EXPECT_GE(partner["manifest"]["withheld"]["findings"], 1);
  EXPECT_FALSE(std::filesystem::exists(root_ / "partner" / "attachments"));

  EXPECT_EQ(Verb("audit verify")["intact"], true);
  EXPECT_FALSE(Verb("audit show", "--action incident.update").empty());
  EXPECT_NE(Verb("completion", "bash")["script"].get<std::string>().find("complete -F"),
            std::string::npos);

  for (const std::string& path : LeafPaths()) {
    EXPECT_TRUE(exercised_.count(path)) << "no --json case for `muster " << path << "`";
  }
}

// The operations room (issue 16): the first administrator is made on the server, logs in
// at a desk and adds a viewer; the viewer's deploy is refused and audited under the
// viewer's name; the saved login is private to its user.
TEST_F(ConsoleTest, TheFirstAdministratorIsMadeOnTheServerAndEveryChangeNamesItsOperator) {
  const std::string password = "correct horse battery staple";
  Output made = RunCommand("printf '%s\\n' '" + password + "' | " + MUSTER_COORDINATOR +
                           " operator add root --data " + (root_ / "hq").string() +
                           " --password-stdin 2>&1");
  ASSERT_EQ(made.status, 0) << made.out;
  EXPECT_NE(made.out.find("added operator root (administrator)"), std::string::npos) << made.out;

  EXPECT_EQ(Desk("incident list").status, 2);  // not logged in: a usage error naming login
  EXPECT_NE(Stderr().find("muster login --api"), std::string::npos) << Stderr();
  Output wrong = Desk("login --api " + hq_->api_url() + " --operator root --password-stdin",
                      "not the password at all");
  EXPECT_EQ(wrong.status, 1);
  EXPECT_NE(Stderr().find("wrong operator name or password"), std::string::npos) << Stderr();
  DeskVerb("login", "--api " + hq_->api_url() + " --operator root --password-stdin", password);
  const auto saved = root_ / "config" / "muster" / "console.json";
  ASSERT_TRUE(std::filesystem::exists(saved));
  EXPECT_EQ(std::filesystem::status(saved).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  DeskVerb("operator add", "vic --role viewer --password-stdin", password);
  DeskVerb("incident create", "--id INC-1 --title 'Portal alarm'");
  DeskVerb("login", "--operator vic --password-stdin", password);
  const std::string playbook =
      std::string(MUSTER_SOURCE_DIR) + "/playbooks/radioactive-material-border-seizure.yaml";
  Output deploy = Desk("--json deploy INC-1 --playbook " + playbook);
  EXPECT_EQ(deploy.status, 1);
  EXPECT_EQ(json::parse(deploy.out, nullptr, false)["error"]["code"], "forbidden") << deploy.out;
  EXPECT_EQ(DeskVerb("incident list").size(), 1u);  // reading is what a viewer does

  json refused = Verb("audit show", "--action access.refused");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0]["actor"], "vic");
  json created = Verb("audit show", "--action incident.create");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0]["actor"], "root");
  json added = Verb("audit show", "--action operator.create");
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0]["actor"], "server");  // muster-coordinator operator add, on HQ's machine
  EXPECT_EQ(added[1]["actor"], "root");
}

// Enrolment and rotation write the bundle or change nothing at HQ (issue 15): an
// unwritable --out or an existing file is refused before HQ is asked; the key is made by
// the console (HQ holds only its public half); a member has one agent unless --replace or
// --add-device says otherwise.
TEST_F(ConsoleTest, EnrolmentAndRotationWriteTheBundleOrChangeNothing) {
  Verb("member add", "li --role forensic_examiner");
  const auto agents = [&] { return MusterJson("agent list"); };
  const auto key_of = [&](const std::string& id) {
    for (const json& agent : agents()) {
      if (agent["id"] == id) return agent["public_key"].get<std::string>();
    }
    return std::string();
  };

  Output lost = Muster("agent enroll li --out /nonexistent/li.bundle");
  EXPECT_EQ(lost.status, 1);
  EXPECT_NE(Stderr().find("/nonexistent/li.bundle"), std::string::npos) << Stderr();
  EXPECT_NE(Stderr().find("existing directory"), std::string::npos) << Stderr();
  EXPECT_TRUE(agents().empty()) << "no agent whose key nobody holds";

  const std::string bundle = (root_ / "li.json").string();
  ASSERT_EQ(Muster("agent enroll li --out " + bundle).status, 0) << Stderr();
  EXPECT_EQ(testing::FileMode(bundle), 0600);
  json written = json::parse(std::ifstream(bundle), nullptr, false);
  ASSERT_TRUE(written.is_object());
  EXPECT_EQ(written["agent_id"], "li-1");
  EXPECT_EQ(written["secret_key"].get<std::string>().size(), 40u);
  EXPECT_EQ(written["public_key"], key_of("li-1"));
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    EXPECT_EQ(entry.path().string().find(".partial-"), std::string::npos)
        << "left behind: " << entry.path();
  }

  Output second = Muster("agent enroll li --out " + (root_ / "li-2.json").string());
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(Stderr().find("--replace"), std::string::npos) << Stderr();
  EXPECT_FALSE(std::filesystem::exists(root_ / "li-2.json"));

  Output onto = Muster("agent enroll li --replace --out " + bundle);
  EXPECT_EQ(onto.status, 1);
  EXPECT_NE(Stderr().find("already exists"), std::string::npos) << Stderr();
  EXPECT_EQ(agents().size(), 1u);
  EXPECT_EQ(json::parse(std::ifstream(bundle), nullptr, false), written) << "file untouched";

  json replaced = MusterJson("agent enroll li --replace --force --out " + bundle);
  EXPECT_EQ(replaced["agent_id"], "li-2");
  EXPECT_EQ(replaced["superseded"], json::array({"li-1"}));
  EXPECT_FALSE(replaced.contains("bundle")) << "the secret stays in the file";
  EXPECT_EQ(json::parse(std::ifstream(bundle), nullptr, false)["agent_id"], "li-2");

  const std::string key = key_of("li-2");
  EXPECT_EQ(Muster("agent rotate li-2 --out /nonexistent/rotated.json").status, 1);
  EXPECT_EQ(Muster("agent rotate li-2 --out " + bundle).status, 1);
  EXPECT_EQ(key_of("li-2"), key) << "a refused rotation keeps the key";
  const std::string rotated = (root_ / "li-rotated.json").string();
  ASSERT_EQ(Muster("agent rotate li-2 --out " + rotated).status, 0) << Stderr();
  EXPECT_NE(key_of("li-2"), key);
  EXPECT_EQ(json::parse(std::ifstream(rotated), nullptr, false)["public_key"], key_of("li-2"));
}

// Field and operator text reaches the terminal neutralised (issue 15): escape sequences
// cannot clear the screen or recolour it, a newline cannot forge a line of a table, a
// right-to-left override is shown by name, and the SITREP's Markdown escapes its
// punctuation. With --json the text comes back exactly as stored.
TEST_F(ConsoleTest, HostileTextIsShownNeutralisedAndStoredExactly) {
  const std::string title = "\x1b[2J\x1b[32mALL CLEAR - stand down\nINC-0  forged  [low, closed]";
  const std::string location = "Lane \u202E3 enaL";
  ASSERT_EQ(Muster("incident create --id INC-9 --severity high --title '" + title +
                   "' --location '" + location + "'")
                .status,
            0)
      << Stderr();
  ASSERT_EQ(Muster("report add INC-9 --conditions '# Heading | cell' --actions '[x](http://e)'").status,
            0)
      << Stderr();
  for (const std::string verb : {"incident list", "incident show INC-9", "status INC-9",
                                 "timeline INC-9", "sitrep INC-9", "report list INC-9"}) {
    Output shown = Muster(verb);
    ASSERT_EQ(shown.status, 0) << verb << ": " << Stderr();
    EXPECT_EQ(shown.out.find('\x1b'), std::string::npos) << verb << ":\n" << shown.out;
    EXPECT_EQ(shown.out.find("\u202E"), std::string::npos) << verb;
    EXPECT_EQ(shown.out.find("\nINC-0  forged"), std::string::npos) << verb << ":\n" << shown.out;
  }
  Output list = Muster("incident list");
  EXPECT_NE(list.out.find("\\x1b[2J\\x1b[32mALL CLEAR - stand down\\nINC-0  forged"),
            std::string::npos)
      << list.out;
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 2) << "the header and one row";

  const std::string sitrep = Muster("sitrep INC-9").out;
  EXPECT_NE(sitrep.find("Lane \\<U+202E\\>3 enaL"), std::string::npos) << sitrep;
  EXPECT_NE(sitrep.find("\\# Heading \\| cell"), std::string::npos) << sitrep;
  EXPECT_NE(sitrep.find("\\[x\\](http://e)"), std::string::npos) << sitrep;

  json stored = MusterJson("incident show INC-9");
  EXPECT_EQ(stored["title"], title);
  EXPECT_EQ(stored["location"], location);
}

// Every program says its version; a misspelt log level is refused with the file and line,
// in the coordinator's and the agent's configuration alike (issue 15).
TEST_F(ConsoleTest, ProgramsTellTheirVersionAndRefuseAnUnknownLogLevel) {
  const auto run = [](const std::string& command) { return RunCommand(command + " 2>&1"); };
  for (const auto& [binary, name] : std::vector<std::pair<std::string, std::string>>{
           {MUSTER_CONSOLE, "muster"},
           {MUSTER_AGENT, "muster-agent"},
           {MUSTER_COORDINATOR, "muster-coordinator"}}) {
    Output version = run(binary + " --version");
    EXPECT_EQ(version.status, 0) << name;
    EXPECT_EQ(version.out, name + " " + MUSTER_VERSION_TEXT + "\n") << name;
  }

  const auto coordinator_config = root_ / "coordinator.yaml";
  std::ofstream(coordinator_config) << "data_dir: " << (root_ / "other-hq").string()
                                    << "\nlog_level: verbose\n";
  Output refused = run(std::string(MUSTER_COORDINATOR) + " --config " + coordinator_config.string());
  EXPECT_EQ(refused.status, 2) << refused.out;
  EXPECT_NE(refused.out.find("coordinator.yaml:2: log_level 'verbose' is not one of trace, debug, "
                             "info, warn, error, critical, off"),
            std::string::npos)
      << refused.out;

  const auto agent_config = root_ / "agent.yaml";
  std::ofstream(agent_config) << "bundle: /nowhere\ndata_dir: /nowhere\nlog_level: loud\n";
  Output agent = run(std::string(MUSTER_AGENT) + " --config " + agent_config.string() + " status");
  EXPECT_NE(agent.status, 0);
  EXPECT_NE(agent.out.find("agent.yaml:3: log_level 'loud' is not one of"), std::string::npos)
      << agent.out;
  // The field relay's section: a member needs both where the relay is and which agent.
  std::ofstream(agent_config) << "bundle: /nowhere\ndata_dir: /nowhere\nrelay:\n"
                                 "  endpoint: tcp://192.168.1.20:7480\n";
  agent = run(std::string(MUSTER_AGENT) + " --config " + agent_config.string() + " status");
  EXPECT_NE(agent.status, 0);
  EXPECT_NE(agent.out.find("agent.yaml:4: relay needs both 'endpoint'"), std::string::npos)
      << agent.out;
  std::ofstream(agent_config) << "bundle: /nowhere\ndata_dir: /nowhere\nrelay:\n"
                                 "  address: tcp://192.168.1.20:7480\n";
  agent = run(std::string(MUSTER_AGENT) + " --config " + agent_config.string() + " status");
  EXPECT_NE(agent.out.find("unknown relay key 'address'; known: endpoint, agent, listen"),
            std::string::npos)
      << agent.out;
}

// `muster --help` and every command path's --help answer 0 and name every subcommand and
// option the path has; the completion script knows the operations verbs.
TEST_F(ConsoleTest, EveryCommandHasCompleteHelpAndTheCompletionKnowsThem) {
  const auto arms = CompletionArms();
  for (const char* verb : {"task reassign", "task cancel", "deployment add-member",
                           "deployment demobilise", "alert ack", "sitrep", "watch", "timeline",
                           "incident create", "incident update", "member update", "completion"}) {
    EXPECT_TRUE(arms.count(verb)) << verb;
  }
  ASSERT_GT(arms.size(), 30u);
  for (const auto& [path, words] : arms) {
    Output help = Muster(path + " --help");
    EXPECT_EQ(help.status, 0) << path;
    EXPECT_NE(help.out.find("Usage"), std::string::npos) << path << ": " << help.out;
    for (const std::string& word : words) {
      EXPECT_NE(help.out.find(word), std::string::npos)
          << "`muster " << path << " --help` does not mention " << word;
    }
  }
}


// Mistakes on the command line (issue 15): an unknown verb or option is named with the
// closest one, a word where a number belongs is said so, a filter value or id that does
// not exist is refused instead of answering an empty list, and with --json every error
// is the API's error object on stdout.
TEST_F(ConsoleTest, CommandLineMistakesAreNamedWithTheFix) {
  Verb("incident create", "--id INC-1 --title 'Portal alarm'");
  const auto fails = [&](const std::string& args, int status, const std::string& says) {
    Output run = Muster(args);
    EXPECT_EQ(run.status, status) << args << ": " << run.out << Stderr();
    EXPECT_NE(Stderr().find(says), std::string::npos) << args << ": " << Stderr();
  };
  fails("incidnet list", 2, "unknown command 'incidnet' for 'muster'; did you mean 'incident'?");
  fails("incident lst", 2, "did you mean 'list'?");
  fails("incident list --jsn", 2, "unknown option '--jsn'; did you mean '--json'?");
  fails("alert ack abc", 2, "'abc' is not a whole number");
  fails("alert ack 99", 1, "no alert 99");
  fails("task list INC-1 --state bogus", 2, "bogus not in");
  fails("task list INC-1 --member nobody", 1, "no member 'nobody'");
  fails("alert list --incident NOPE", 1, "no incident 'NOPE'");
  fails("watch --incident NOPE --count 1", 1, "no incident 'NOPE'");
  fails("deploy INC-1 --playbook " + (root_ / "missing.yaml").string(), 2,
        "cannot read the playbook");

  const auto json_error = [&](const std::string& args, int status, const std::string& code) {
    Output run = Muster("--json " + args);
    EXPECT_EQ(run.status, status) << args;
    json error = json::parse(run.out, nullptr, false);
    ASSERT_TRUE(error.is_object()) << args << " printed: " << run.out;
    EXPECT_EQ(error["error"]["code"], code) << args;
    EXPECT_TRUE(error["error"]["message"].is_string()) << args;
  };
  json_error("alert ack 99", 1, "not_found");
  json_error("alert ack abc", 2, "invalid_argument");
  json_error("incidnet list", 2, "invalid_argument");
  json_error("member update ghost --checkin soon", 2, "invalid_argument");

  Output agent = RunCommand(std::string(MUSTER_AGENT) + " taks 2>&1");
  EXPECT_EQ(agent.status, 2);
  EXPECT_NE(agent.out.find("did you mean 'tasks'?"), std::string::npos) << agent.out;
}

// A member sets a laptop up from the bundle alone; when the agent is revoked, `sync`
// fails saying so, `status` says so, and the daemon logs it once and stops asking often.
TEST_F(ConsoleTest, InitSetsALaptopUpAndARevokedAgentSaysSo) {
  Verb("member add", "li --role forensic_examiner");
  const std::string bundle = (root_ / "li.json").string();
  Verb("agent enroll", "li --out " + bundle);
  const std::string home = "HOME=" + (root_ / "home").string() + " XDG_CONFIG_HOME= XDG_DATA_HOME= ";
  const auto agent = [&](const std::string& args) {
    return RunCommand(home + MUSTER_AGENT + " " + args + " 2>&1");
  };
  Output init = agent("init --bundle " + bundle);
  ASSERT_EQ(init.status, 0) << init.out;
  const auto config = root_ / "home/.config/muster/agent.yaml";
  EXPECT_EQ(testing::FileMode(config.string()), 0600);
  EXPECT_EQ(testing::FileMode((root_ / "home/.config/muster/li-1.bundle").string()), 0600);
  EXPECT_EQ(testing::FileMode((root_ / "home/.local/share/muster").string()), 0700);
  Output again = agent("init --bundle " + bundle);
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.out.find("already exists"), std::string::npos) << again.out;
  std::filesystem::remove(bundle);  // the member's copy may go: init installed its own

  Output synced = agent("sync --timeout 20");  // the configuration init wrote, found alone
  EXPECT_EQ(synced.status, 0) << synced.out;

  Verb("agent revoke", "li-1");
  Output refused = agent("sync --timeout 20");
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.out.find("refuses this agent"), std::string::npos) << refused.out;
  Output status = agent("status --json");
  EXPECT_EQ(json::parse(status.out, nullptr, false)["refused_by_hq"], true) << status.out;
  EXPECT_NE(agent("status").out.find("REFUSED by HQ"), std::string::npos);

  Output daemon = RunCommand("(" + home + MUSTER_AGENT + " run 2>&1 & pid=$!; sleep 4; kill $pid; " +
                             "wait $pid)");
  std::size_t logged = 0;
  for (std::size_t at = daemon.out.find("event=refused_by_hq"); at != std::string::npos;
       at = daemon.out.find("event=refused_by_hq", at + 1)) {
    ++logged;
  }
  EXPECT_EQ(logged, 1u) << daemon.out;
  EXPECT_EQ(daemon.out.find("event=connecting", daemon.out.find("event=refused_by_hq")),
            std::string::npos)
      << "no second attempt within seconds: " << daemon.out;
}

// `sync` fails when HQ refused records: they are held at HQ (acknowledged) but have no
// effect, which the member must be told rather than read "acknowledged".
TEST_F(ConsoleTest, SyncFailsWhenHqRefusedRecords) {
  Verb("member add", "li --role forensic_examiner");
  const std::string bundle_path = (root_ / "li.json").string();
  Verb("agent enroll", "li --out " + bundle_path);
  const std::string config = AgentConfig("li");
  ASSERT_TRUE(Agent(config, "sync --timeout 20"));
  {
    // A record the agent's own verbs would never make (they check states at entry): the
    // only way to have HQ refuse one from a well-behaved laptop here.
    auto bundle = ReadBundleFile(bundle_path);
    ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
    auto store = agent::AgentStore::Open((root_ / "agent-li/data").string(), *bundle, clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->outbox().Append(wire::StatusRecord{"d1.brief.li", "done", ""}).ok());
  }
  Output run = RunCommand(std::string(MUSTER_AGENT) + " --config " + config +
                          " sync --timeout 20 2>&1");
  EXPECT_EQ(run.status, 1) << run.out;
  EXPECT_NE(run.out.find("HQ refused 1 record(s)"), std::string::npos) << run.out;
}

// `watch` outlives a restart of the coordinator: it says so once, finds the new port and
// resumes after the last event it printed, showing each event once.
TEST_F(ConsoleTest, WatchResumesAfterTheCoordinatorRestarts) {
  Verb("incident create", "--id INC-1 --title before");
  const std::string out = (root_ / "watch.out").string();
  const std::string err = (root_ / "watch.err").string();
  const std::string command = std::string(MUSTER_CONSOLE) + " --data " + (root_ / "hq").string() +
                              " watch --count 2 >" + out + " 2>" + err;
  std::thread watch([&] { EXPECT_EQ(std::system(command.c_str()), 0); });
  const auto printed = [&] {
    std::ifstream in(out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  for (int i = 0; i < 100 && printed().find("INC-1") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  hq_.reset();  // HQ goes away under the long poll
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  StartHq();    // another port, written to coordinator.json
  Verb("incident create", "--id INC-2 --title after");
  watch.join();
  const std::string text = printed();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_NE(text.find("INC-1"), std::string::npos) << text;
  EXPECT_NE(text.find("INC-2"), std::string::npos) << text;
  std::ifstream in(err);
  const std::string said(std::istreambuf_iterator<char>(in), {});
  EXPECT_NE(said.find("waiting for HQ"), std::string::npos) << said;
}

// `sync` fails when HQ cannot be reached, and says that nothing is lost.
TEST_F(ConsoleTest, SyncFailsWhenHqIsUnreachable) {
  Verb("member add", "li --role forensic_examiner");
  Verb("agent enroll", "li --out " + (root_ / "li.json").string());
  const std::string config = AgentConfig("li");
  hq_.reset();
  Output run = RunCommand(std::string(MUSTER_AGENT) + " --config " + config +
                          " sync --timeout 3 2>&1");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.out.find("not synced"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("everything stays on this laptop"), std::string::npos) << run.out;
}


// The completion scripts complete ids from HQ (or, for muster-agent, from the laptop's
// store) and file names after the options that take a file, through a real bash.
TEST_F(ConsoleTest, CompletionOffersIdsAndFiles) {
  Verb("incident create", "--id INC-7 --title 'Portal alarm'");
  Verb("member add", "li --role forensic_examiner");
  std::ofstream(root_ / "playbook-x.yaml") << "id: x\n";
  const auto complete = [&](const std::string& program, const std::string& words, int cword) {
    const std::string script = (root_ / "complete.sh").string();
    std::ofstream(script) << "source <(" << program << " completion bash)\n"
                          << "COMP_WORDS=(" << words << ")\nCOMP_CWORD=" << cword << "\n"
                          << "_${1}\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    const std::string function = program == MUSTER_AGENT ? "muster_agent" : "muster";
    return RunCommand("MUSTER_DATA=" + (root_ / "hq").string() + " bash " + script + " " +
                      function + " 2>&1")
        .out;
  };
  const std::string muster = MUSTER_CONSOLE;
  EXPECT_EQ(complete(muster, muster + " incident show ''", 3), "INC-7\n");
  EXPECT_EQ(complete(muster, muster + " alert list --incident IN", 4), "INC-7\n");
  EXPECT_EQ(complete(muster, muster + " member update l", 3), "li\n");
  EXPECT_EQ(complete(muster, muster + " incident s", 2), "show\n");
  EXPECT_EQ(complete(muster, muster + " deploy INC-7 --playbook " + (root_ / "playbook-").string(),
                     4),
            (root_ / "playbook-x.yaml").string() + "\n");
  const std::string agent = MUSTER_AGENT;
  EXPECT_EQ(complete(agent, agent + " init --bundle " + (root_ / "playbook-").string(), 3),
            (root_ / "playbook-x.yaml").string() + "\n");
  EXPECT_EQ(complete(agent, agent + " ti", 1), "tick\n");
  // The hidden verb answers ids and never an error.
  EXPECT_EQ(Muster("__complete incident").out, "INC-7\n");
  Output nothing = RunCommand(muster + " --data /nonexistent __complete incident 2>&1");
  EXPECT_EQ(nothing.status, 0);
  EXPECT_EQ(nothing.out, "");
}

// The console against a coordinator whose API serves HTTPS with its self-signed certificate.
class ConsoleTlsTest : public ConsoleTest {
 protected:
  void SetUp() override {
    coordtest::CoordinatorTest::SetUp();
    root_ = std::filesystem::path(config_.data_dir).parent_path();
    config_.api_tls = hq::TlsMode::kOn;
    StartHq();
  }
  // `muster --api URL --token-file DATA/api.token TRUST incident list`, stderr kept apart.
  Output OverApi(const std::string& url, const std::string& trust) {
    return RunCommand(std::string(MUSTER_CONSOLE) + " --api " + url + " --token-file " +
                      config_.data_dir + "/api.token " + trust + " incident list 2>" +
                      (root_ / "stderr").string());
  }
  std::string Https() { return hq_->api_url(); }  // https://127.0.0.1:PORT
};

TEST_F(ConsoleTlsTest, ThePinnedOrCaTrustedCertificateWorksAndTheDataDirectoryPinsItself) {
  ASSERT_EQ(Https().rfind("https://127.0.0.1:", 0), 0u);
  Verb("incident create", "--id INC-1 --title 'Over TLS'");  // --data: pinned from coordinator.json
  Output pinned = OverApi(Https(), "--pin " + hq_->tls_fingerprint());
  EXPECT_EQ(pinned.status, 0) << Stderr();
  EXPECT_NE(pinned.out.find("INC-1"), std::string::npos) << pinned.out;
  Output by_ca = OverApi(Https(), "--ca " + config_.data_dir + "/api-tls.crt");
  EXPECT_EQ(by_ca.status, 0) << Stderr();
  EXPECT_NE(by_ca.out.find("INC-1"), std::string::npos) << by_ca.out;
}

TEST_F(ConsoleTlsTest, AWrongPinOrNoTrustIsRefusedWithTheFix) {
  const std::string wrong = TlsFingerprint("not the coordinator's certificate");
  Output mismatch = OverApi(Https(), "--pin " + wrong);
  EXPECT_EQ(mismatch.status, 1);
  EXPECT_EQ(mismatch.out, "");
  EXPECT_NE(Stderr().find("not the one --pin names (" + wrong + ")"), std::string::npos)
      << Stderr();
  EXPECT_NE(Stderr().find(hq_->tls_fingerprint()), std::string::npos) << Stderr();

  Output untrusted = OverApi(Https(), "");
  EXPECT_EQ(untrusted.status, 1);
  EXPECT_NE(Stderr().find("cannot be verified"), std::string::npos) << Stderr();
  EXPECT_NE(Stderr().find("--pin"), std::string::npos) << Stderr();
  EXPECT_NE(Stderr().find("--ca"), std::string::npos) << Stderr();

  Output json_error = OverApi(Https(), "--json");
  EXPECT_EQ(json::parse(json_error.out, nullptr, false)["error"]["code"], "untrusted_certificate")
      << json_error.out;
}

TEST_F(ConsoleTlsTest, AnOperatorLogsInOverHttpsWithThePin) {
  const std::string password = "correct horse battery staple";
  Verb("operator add", "dana --role viewer --password-stdin", password);
  const std::string login = "--api " + Https() + " --operator dana --password-stdin";
  EXPECT_EQ(Desk("login " + login, password).status, 1);  // no trust given: refused
  EXPECT_NE(Stderr().find("--pin"), std::string::npos) << Stderr();
  const std::string pin = "--pin " + hq_->tls_fingerprint();
  EXPECT_EQ(DeskVerb("login", login + " " + pin, password)["role"], "viewer");
  EXPECT_EQ(DeskVerb("whoami", pin)["operator"], "dana");
  // The login keeps its pin: the next commands and the logout need it no more.
  EXPECT_EQ(DeskVerb("whoami")["operator"], "dana");
  EXPECT_EQ(Desk("whoami --pin sha256:" + std::string(64, '0')).status, 1);  // another pin wins
  EXPECT_EQ(DeskVerb("logout")["session_ended_at_hq"], true);
}

TEST_F(ConsoleTlsTest, PlainHttpToTheTlsPortSaysUseHttps) {
  std::string http = Https();
  http.replace(0, 5, "http");
  Output plain = OverApi(http, "");
  EXPECT_EQ(plain.status, 1);
  EXPECT_NE(Stderr().find("use https://"), std::string::npos) << Stderr();
}

TEST_F(ConsoleTlsTest, TheCoordinatorRefusesAClearApiOnAnOpenAddress) {
  const std::string config = (root_ / "clear.yaml").string();
  std::ofstream(config) << "data_dir: " << (root_ / "clear").string()
                        << "\napi:\n  bind: 0.0.0.0\n  tls: off\n";
  Output refused = RunCommand(std::string(MUSTER_COORDINATOR) + " --config " + config + " 2>" +
                              (root_ / "stderr").string());
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(Stderr().find("api.tls: off with api.bind 0.0.0.0"), std::string::npos) << Stderr();
  EXPECT_FALSE(std::filesystem::exists(root_ / "clear"));
}

}  // namespace
}  // namespace muster
