// Exchange with OASIS CACAO 2.0: the SOARCA samples survive import and export with the
// same workflow, every shipped playbook survives export and import unchanged, and broken
// or hostile documents are refused with the JSON path of the problem.
#include "muster/playbook/cacao.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "muster/playbook/load.h"
#include "playbook/cacao_common.h"
#include "playbook/cacao_workflow.h"
#include "playbook_commands.h"
#include "test_util.h"

namespace muster::playbook::cacao {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kData = fs::path(MUSTER_SOURCE_DIR) / "tests/playbook/data/cacao";
const fs::path kPlaybooks = fs::path(MUSTER_SOURCE_DIR) / "playbooks";
const char kManual[] = "soarca_examples_manual-playbook.json";
const char kParallels[] = "soarca_test_parallels_playbook.json";

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string AllNotes(const std::vector<Note>& notes) {
  std::string text;
  for (const Note& n : notes) text += n.ToString() + "\n";
  return text;
}

bool HasNote(const std::vector<Note>& notes, const std::string& path, const std::string& part) {
  for (const Note& n : notes) {
    if (n.path == path && n.message.find(part) != std::string::npos) return true;
  }
  return false;
}

// A workflow by meaning: each action step by name, with its command texts, its agent's
// name, its variables, and the names of the action steps it waits on.
json Meaning(const json& doc) {
  const FlowResult flow = FollowWorkflow(doc, ImportLimits{});
  EXPECT_TRUE(flow.flow.has_value()) << (flow.error ? flow.error->ToString() : "");
  if (!flow.flow) return nullptr;
  auto name = [&](const std::string& key) { return doc["workflow"][key].value("name", ""); };
  auto agent_name = [&](const json& step) -> std::string {
    for (const std::string& key : {std::string(step.value("agent", ""))}) {
      for (const char* table : {"agent_definitions", "target_definitions"}) {
        if (doc.contains(table) && doc[table].contains(key) &&
            std::set<std::string>{"individual", "group"}.count(doc[table][key]["type"]) != 0) {
          return doc[table][key]["name"];
        }
      }
    }
    for (const json& target : step.value("targets", json::array())) {
      if (doc.contains("target_definitions") && doc["target_definitions"].contains(target)) {
        return doc["target_definitions"][target]["name"];
      }
    }
    return "";
  };
  json meaning = json::object();
  for (const FlowAction& action : flow.flow->actions) {
    const json& step = doc["workflow"][action.key];
    json after = json::array();
    for (const std::string& k : action.after) after.push_back(name(k));
    json commands = json::array();
    for (const json& c : step["commands"]) commands.push_back(c.value("command", ""));
    json variables = json::array();
    for (const json& v : step.value("out_args", json::array())) variables.push_back(v);
    meaning[name(action.key)] = {{"after", after},
                                 {"commands", commands},
                                 {"agent", agent_name(step)},
                                 {"out_args", variables},
                                 {"timeout", step.value("timeout", 0)}};
  }
  return meaning;
}

// Everything a playbook means, without where it came from (positions, source, hash and
// the library a step was taken from): what export then import must keep.
json ModelJson(const Playbook& p) {
  json j = {{"id", p.id},
            {"version", p.version},
            {"marking", ToString(p.marking)},
            {"title", p.title},
            {"summary", p.summary},
            {"authors", p.authors},
            {"roles", json::array()},
            {"parameters", json::array()},
            {"phases", json::array()},
            {"steps", json::array()},
            {"triggers", json::array()}};
  for (Hazard h : p.hazards) j["hazards"].push_back(ToString(h));
  for (const Role& r : p.roles) {
    j["roles"].push_back(
        {r.id, r.title, r.count, r.required, static_cast<int>(r.when_empty), r.qualifications});
  }
  for (const Parameter& x : p.parameters) {
    j["parameters"].push_back({x.id, ToString(x.type), x.default_value, x.description, x.unit});
  }
  for (const Phase& x : p.phases) j["phases"].push_back({x.id, x.title});
  const auto actions = [](const std::vector<TriggerAction>& list) {
    json then = json::array();
    for (const TriggerAction& a : list) {
      then.push_back({ToString(a.kind), a.step, a.message, a.severity, a.phase, a.role});
    }
    return then;
  };
  for (const Step& s : p.steps) {
    json findings = json::array();
    for (const FieldSpec& f : s.findings) {
      findings.push_back({f.id, f.label, ToString(f.type), f.required, f.unit,
                          f.min ? json(*f.min) : json(), f.max ? json(*f.max) : json(), f.options,
                          f.pattern});
    }
    json escalate = json::array();
    for (const Escalation& e : s.escalate) {
      escalate.push_back({ToString(e.when), e.after_ms, actions(e.then)});
    }
    j["steps"].push_back({s.id, s.title, s.phase, s.role, s.instructions, s.depends_on, s.checklist,
                          s.due_in_ms, ToString(s.priority), s.on_trigger, s.every_ms, s.times,
                          ToString(s.completion), ToString(s.marking),
                          escalate, findings});
  }
  for (const Trigger& t : p.triggers) {
    j["triggers"].push_back({t.id, t.when, actions(t.then), actions(t.otherwise)});
  }
  return j;
}

ImportResult ImportFile(const fs::path& path) { return ImportPlaybook(Read(path)); }

// Import, load the YAML, export again: the workflow means the same.
void ExpectSampleRoundTrip(const char* sample) {
  SCOPED_TRACE(sample);
  const std::string text = Read(kData / sample);
  const ImportResult imported = ImportPlaybook(text);
  ASSERT_TRUE(imported.ok()) << imported.error->ToString();
  const LoadResult loaded = LoadText(*imported.yaml, "imported.yaml");
  ASSERT_TRUE(loaded.ok()) << testing::AllDiagnostics(loaded) << *imported.yaml;
  EXPECT_EQ(ErrorCount(loaded.diagnostics), 0);
  const json exported = json::parse(ExportPlaybook(*loaded.playbook).json);
  const json before = Meaning(json::parse(text));
  const json after = Meaning(exported);
  ASSERT_EQ(before.size(), after.size()) << before.dump(2) << after.dump(2);
  for (const auto& [name, step] : before.items()) {
    ASSERT_TRUE(after.contains(name)) << name << " missing from " << after.dump(2);
    EXPECT_EQ(step["after"], after[name]["after"]) << name;
    EXPECT_EQ(step["agent"], after[name]["agent"]) << name;
    EXPECT_EQ(step["out_args"], after[name]["out_args"]) << name;
    EXPECT_EQ(step["timeout"], after[name]["timeout"]) << name;
    // Each command's text survives, inside the one manual command Muster writes.
    for (const json& command : step["commands"]) {
      EXPECT_NE(after[name]["commands"][0].get<std::string>().find(command.get<std::string>()),
                std::string::npos)
          << name << ": " << command;
    }
  }
  EXPECT_EQ(json::parse(text).value("playbook_variables", json::object()).size(),
            exported.value("playbook_variables", json::object()).size());
}

TEST(CacaoTest, ManualSampleRoundTrip) {
  ExpectSampleRoundTrip(kManual);
  const ImportResult imported = ImportFile(kData / kManual);
  ASSERT_TRUE(imported.ok());
  // The step goes to the individual it targets; SOARCA's manual agent is reported.
  const LoadResult loaded = LoadText(*imported.yaml, "imported.yaml");
  ASSERT_TRUE(loaded.ok());
  const Step& step = loaded.playbook->steps.at(0);
  EXPECT_EQ(step.role, "luke_skywalker");
  EXPECT_EQ(step.due_in_ms, 100000);
  EXPECT_NE(step.instructions.find("prepare Falcon for hyperspeed jump"), std::string::npos);
  ASSERT_EQ(step.findings.size(), 1u);
  EXPECT_EQ(step.findings[0].id, "hyperspeed_ready");
  const std::string action = "$.workflow['action--eb9372d4-d524-49fc-bf24-be26ea084779']";
  EXPECT_TRUE(HasNote(imported.notes, action + ".agent", "not a person or team"))
      << AllNotes(imported.notes);
  EXPECT_TRUE(HasNote(imported.notes, "$.workflow_exception", "no exception path"));
  EXPECT_TRUE(HasNote(imported.notes, "$.labels", "left out"));
  EXPECT_TRUE(HasNote(imported.notes, "$", "hazards"));
}

TEST(CacaoTest, ParallelSampleRoundTrip) {
  ExpectSampleRoundTrip(kParallels);
  const ImportResult imported = ImportFile(kData / kParallels);
  ASSERT_TRUE(imported.ok());
  const std::string parallel = "$.workflow['parallel--a76dbc32-b739-427b-ae13-4ec703d5797e']";
  const std::string action = "$.workflow['action--9fcc5c3b-0b70-4d73-b922-cf5491dcd1a4']";
  EXPECT_TRUE(HasNote(imported.notes, action + ".commands[0]", "http-api command"))
      << AllNotes(imported.notes);
  EXPECT_TRUE(HasNote(imported.notes, parallel + ".on_failure", "not followed"));
  EXPECT_TRUE(HasNote(imported.notes, parallel + ".agent", "left out"));
  EXPECT_TRUE(HasNote(imported.notes, "$.authentication_info_definitions", "left out"));
}

TEST(CacaoTest, EveryShippedPlaybookRoundTrips) {
  int playbooks = 0;
  for (const auto& entry : fs::directory_iterator(kPlaybooks)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const LoadResult original = LoadFile(entry.path().string());
    ASSERT_TRUE(original.ok()) << testing::AllDiagnostics(original);
    const ExportResult exported = ExportPlaybook(*original.playbook);
    const ImportResult imported = ImportPlaybook(exported.json);
    ASSERT_TRUE(imported.ok()) << imported.error->ToString();
    EXPECT_EQ(imported.notes.size(), 0u) << AllNotes(imported.notes);
    const LoadResult again = LoadText(*imported.yaml, "again.yaml");
    ASSERT_TRUE(again.ok()) << testing::AllDiagnostics(again) << *imported.yaml;
    EXPECT_TRUE(again.diagnostics.empty()) << testing::AllDiagnostics(again);
    EXPECT_EQ(ModelJson(*original.playbook).dump(1), ModelJson(*again.playbook).dump(1));
    // The export itself reports what a CACAO reader without the extension misses.
    EXPECT_TRUE(HasNote(exported.notes,
                        PathKey("$.playbook_extensions", MusterExtensionId()) + ".triggers",
                        "trigger"))
        << AllNotes(exported.notes);
    ++playbooks;
  }
  EXPECT_EQ(playbooks, 5);
}

TEST(CacaoTest, RecurrenceAndEscalationTravelInTheExtensionAndTheExportSaysSo) {
  const LoadResult original =
      LoadFile((kPlaybooks / "chemical-agent-attack-scene.yaml").string());
  ASSERT_TRUE(original.ok());
  const ExportResult exported = ExportPlaybook(*original.playbook);
  const std::string notes = AllNotes(exported.notes);
  EXPECT_NE(notes.find("step 'boundary_monitoring' recurs every 30m"), std::string::npos) << notes;
  EXPECT_NE(notes.find("step 'detection_survey' escalates"), std::string::npos) << notes;
  const ImportResult imported = ImportPlaybook(exported.json);
  ASSERT_TRUE(imported.ok());
  const LoadResult again = LoadText(*imported.yaml, "again.yaml");
  ASSERT_TRUE(again.ok()) << testing::AllDiagnostics(again);
  const Step* monitoring = again.playbook->FindStep("boundary_monitoring");
  ASSERT_NE(monitoring, nullptr);
  EXPECT_EQ(monitoring->every_ms, 30 * 60'000);
  const Step* survey = again.playbook->FindStep("detection_survey");
  ASSERT_NE(survey, nullptr);
  ASSERT_EQ(survey->escalate.size(), 2u);
  EXPECT_EQ(survey->escalate[0].after_ms, 15 * 60'000);
  EXPECT_EQ(survey->escalate[0].then[1].role, "team_leader");
}

TEST(CacaoTest, MarkingsTravelAsStandardCacaoDataMarkings) {
  const LoadResult original =
      LoadFile((kPlaybooks / "nuclear-material-trafficking-investigation.yaml").string());
  ASSERT_TRUE(original.ok());
  json doc = json::parse(ExportPlaybook(*original.playbook).json);
  const std::string amber_strict = "marking-tlp--939a9414-2ddd-4d32-a0cd-375ea402b003";
  ASSERT_EQ(doc["markings"].size(), 2u);
  EXPECT_EQ(doc["markings"][0], amber_strict);
  EXPECT_EQ(doc["data_marking_definitions"][amber_strict]["tlpv2_level"], "TLP:AMBER+STRICT");
  const std::string statement = doc["markings"][1];
  EXPECT_EQ(doc["data_marking_definitions"][statement]["statement"], "Classification: CONFIDENTIAL");
  // A CACAO reader without the Muster extension still gets the marking back.
  doc.erase("playbook_extensions");
  for (auto& [key, step] : doc["workflow"].items()) step.erase("step_extensions");
  for (auto& [key, agent] : doc["agent_definitions"].items()) agent.erase("agent_target_extensions");
  const ImportResult plain = ImportPlaybook(doc.dump());
  ASSERT_TRUE(plain.ok()) << plain.error->ToString();
  const LoadResult again = LoadText(*plain.yaml, "plain.yaml");
  ASSERT_TRUE(again.ok()) << testing::AllDiagnostics(again) << *plain.yaml;
  EXPECT_EQ(ToString(again.playbook->marking), "CONFIDENTIAL // TLP:AMBER+STRICT");
  // A marking Muster cannot represent is reported, not dropped silently.
  doc["markings"].push_back("marking-iep--1");
  const ImportResult odd = ImportPlaybook(doc.dump());
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(HasNote(odd.notes, "$.markings[2]", "cannot represent")) << AllNotes(odd.notes);
}

TEST(CacaoTest, ExportIsValidCacaoShape) {
  const LoadResult original =
      LoadFile((kPlaybooks / "radioactive-material-border-seizure.yaml").string());
  ASSERT_TRUE(original.ok());
  const json doc = json::parse(ExportPlaybook(*original.playbook).json);
  EXPECT_EQ(doc["spec_version"], "cacao-2.0");
  for (const char* key :
       {"type", "id", "name", "created_by", "created", "modified", "workflow_start", "workflow"}) {
    EXPECT_TRUE(doc.contains(key)) << key;
  }
  int parallels = 0, ends = 0;
  for (const auto& [key, step] : doc["workflow"].items()) {
    EXPECT_EQ(key.substr(0, key.find("--")), step["type"]) << key;
    if (step["type"] == "parallel") {
      ++parallels;
      EXPECT_GE(step["next_steps"].size(), 2u);
    }
    if (step["type"] == "end") ++ends;
    if (step["type"] == "action") {
      EXPECT_EQ(step["commands"][0]["type"], "manual");
      EXPECT_TRUE(doc["agent_definitions"].contains(step["agent"])) << key;
    }
  }
  EXPECT_GT(parallels, 0);
  EXPECT_GT(ends, 1) << "each parallel branch ends in an end step of its own";
  // Same playbook, same identifiers: exports diff cleanly.
  EXPECT_EQ(ExportPlaybook(*original.playbook).json, ExportPlaybook(*original.playbook).json);
}

// ----------------------------------------------------------------------- hostile input

json Minimal() {
  return json::parse(R"({
    "type": "playbook", "spec_version": "cacao-2.0",
    "id": "playbook--00000000-0000-4000-8000-000000000000", "name": "Small",
    "workflow_start": "start--1",
    "workflow": {
      "start--1": {"type": "start", "on_completion": "action--1"},
      "action--1": {"type": "action", "name": "Look", "on_completion": "end--1",
                    "commands": [{"type": "manual", "command": "Look around"}]},
      "end--1": {"type": "end"}
    }
  })");
}

void ExpectError(const std::string& text, const std::string& path, const std::string& part) {
  const ImportResult result = ImportPlaybook(text);
  ASSERT_FALSE(result.ok()) << *result.yaml;
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->path, path) << result.error->ToString();
  EXPECT_NE(result.error->message.find(part), std::string::npos) << result.error->ToString();
}

TEST(CacaoTest, MinimalDocumentGivesALintablePlaybook) {
  const ImportResult result = ImportPlaybook(Minimal().dump());
  ASSERT_TRUE(result.ok()) << result.error->ToString();
  const LoadResult loaded = LoadText(*result.yaml, "small.yaml");
  ASSERT_TRUE(loaded.ok()) << testing::AllDiagnostics(loaded);
  EXPECT_EQ(loaded.playbook->roles.at(0).id, "responder");
  EXPECT_EQ(loaded.playbook->phases.size(), 1u);
  EXPECT_EQ(loaded.playbook->steps.at(0).instructions, "Look around");
}

TEST(CacaoTest, NotJsonIsRefused) { ExpectError("{\"type\": \"playbook\",", "$", "not JSON"); }

TEST(CacaoTest, WrongSpecVersionIsRefused) {
  json doc = Minimal();
  doc["spec_version"] = "cacao-1.0";
  ExpectError(doc.dump(), "$.spec_version", "'cacao-1.0' is not supported");
}

TEST(CacaoTest, CycleInOnCompletionIsRefused) {
  json doc = Minimal();
  doc["workflow"]["action--2"] = {{"type", "action"},
                                  {"on_completion", "action--1"},
                                  {"commands", {{{"type", "manual"}, {"command", "x"}}}}};
  doc["workflow"]["action--1"]["on_completion"] = "action--2";
  ExpectError(doc.dump(), "$.workflow['action--2'].on_completion", "a cycle");
}

TEST(CacaoTest, CycleThroughAParallelBranchIsRefused) {
  json doc = Minimal();
  doc["workflow"]["parallel--1"] = {
      {"type", "parallel"}, {"next_steps", {"action--1", "end--1"}}, {"on_completion", "end--1"}};
  doc["workflow"]["start--1"]["on_completion"] = "parallel--1";
  doc["workflow"]["action--1"]["on_completion"] = "parallel--1";
  ExpectError(doc.dump(), "$.workflow['action--1'].on_completion", "a cycle");
}

TEST(CacaoTest, MissingWorkflowStartIsRefused) {
  json doc = Minimal();
  doc.erase("workflow_start");
  ExpectError(doc.dump(), "$.workflow_start", "missing");
  doc["workflow_start"] = "start--9";
  ExpectError(doc.dump(), "$.workflow_start", "not a step in $.workflow");
}

TEST(CacaoTest, UnknownStepTypeIsRefused) {
  json doc = Minimal();
  doc["workflow"]["action--1"]["type"] = "teleport";
  ExpectError(doc.dump(), "$.workflow['action--1'].type", "unknown step type 'teleport'");
}

TEST(CacaoTest, DanglingReferenceIsRefused) {
  json doc = Minimal();
  doc["workflow"]["action--1"]["on_completion"] = "end--404";
  ExpectError(doc.dump(), "$.workflow['action--1'].on_completion", "'end--404'");
}

TEST(CacaoTest, HugeAndDeepDocumentsAreRefused) {
  ExpectError(std::string(5u << 20, ' '), "$", "more than");
  ExpectError(std::string(100, '[') + std::string(100, ']'), "$", "nest more than 64");
  ImportLimits limits;
  limits.max_steps = 2;
  const ImportResult result = ImportPlaybook(Minimal().dump(), limits);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->path, "$.workflow");
}

TEST(CacaoTest, WideFanOutStaysBounded) {
  // Twenty parallel steps in a row, each branching twice back into one chain: the flow has
  // 2^20 paths; the walk stops at its visit limit instead of following them all.
  json doc = Minimal();
  std::string next = "action--1";
  for (int i = 20; i >= 1; --i) {
    const std::string p = "parallel--" + std::to_string(i);
    doc["workflow"][p] = {
        {"type", "parallel"}, {"next_steps", {next, next}}, {"on_completion", "end--1"}};
    next = p;
  }
  doc["workflow"]["start--1"]["on_completion"] = next;
  const ImportResult result = ImportPlaybook(doc.dump());
  ASSERT_TRUE(result.error.has_value());
  EXPECT_NE(result.error->message.find("simplify"), std::string::npos);
}

TEST(CacaoTest, ConditionsAndLoopsAreReported) {
  json doc = Minimal();
  doc["workflow"]["while-condition--1"] = {{"type", "while-condition"},
                                           {"condition", "[x:y = 1]"},
                                           {"on_true", "action--1"},
                                           {"on_completion", "end--1"}};
  doc["workflow"]["start--1"]["on_completion"] = "while-condition--1";
  doc["workflow"]["action--1"]["commands"].push_back({{"type", "ssh"}, {"command", "ls"}});
  doc["signatures"] = json::array({json::object()});
  const ImportResult result = ImportPlaybook(doc.dump());
  ASSERT_TRUE(result.ok()) << result.error->ToString();
  EXPECT_TRUE(HasNote(result.notes, "$.workflow['while-condition--1'].condition", "no loops"))
      << AllNotes(result.notes);
  EXPECT_TRUE(HasNote(result.notes, "$.workflow['action--1'].commands[1]", "ssh command"));
  EXPECT_TRUE(HasNote(result.notes, "$.signatures", "not carried"));
  EXPECT_TRUE(LoadText(*result.yaml, "t.yaml").ok());
}

// ----------------------------------------------------------------------- console

class CacaoCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("muster-cacao-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::ostringstream out_, err_;
};

TEST_F(CacaoCommandsTest, ExportThenImportThenLint) {
  const std::string json_file = (dir_ / "border.json").string();
  const std::string yaml_file = (dir_ / "border.yaml").string();
  EXPECT_EQ(console::ExportCommand(
                "cacao", (kPlaybooks / "radioactive-material-border-seizure.yaml").string(),
                json_file, "2026-01-01T00:00:00.000Z", out_, err_),
            0)
      << err_.str();
  EXPECT_EQ(json::parse(Read(json_file))["created"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(console::ImportCommand("cacao", json_file, yaml_file, out_, err_), 0) << err_.str();
  EXPECT_EQ(console::LintCommand({yaml_file}, false, out_, err_), 0) << out_.str();
}

TEST_F(CacaoCommandsTest, ImportPrintsNotesAndYaml) {
  EXPECT_EQ(console::ImportCommand("cacao", (kData / kParallels).string(), "", out_, err_), 0);
  EXPECT_NE(out_.str().find("id: soarca-main-flow"), std::string::npos) << out_.str();
  EXPECT_NE(err_.str().find(": note: $.workflow_exception: "), std::string::npos) << err_.str();
}

TEST_F(CacaoCommandsTest, UsageErrors) {
  EXPECT_EQ(console::ImportCommand("stix", (kData / kManual).string(), "", out_, err_), 2);
  EXPECT_NE(err_.str().find("--from 'stix'"), std::string::npos);
  EXPECT_EQ(console::ExportCommand("cacao", (kPlaybooks / "lib/common-steps.yaml").string(), "", "",
                                   out_, err_),
            2);
  EXPECT_EQ(console::ImportCommand("cacao", (dir_ / "missing.json").string(), "", out_, err_), 2);
  std::ofstream(dir_ / "bad.json") << "not json";
  EXPECT_EQ(console::ImportCommand("cacao", (dir_ / "bad.json").string(), "", out_, err_), 1);
  EXPECT_NE(err_.str().find("error: $: not JSON"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace muster::playbook::cacao
