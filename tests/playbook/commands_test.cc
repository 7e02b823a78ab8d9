// `muster playbook lint|show|graph`, through the same CLI11 wiring as the console.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "playbook_commands.h"
#include "test_util.h"

namespace muster::console {
namespace {

namespace fs = std::filesystem;

const std::string kBorder =
    std::string(MUSTER_SOURCE_DIR) + "/playbooks/radioactive-material-border-seizure.yaml";
const std::string kCommonSteps =
    std::string(MUSTER_SOURCE_DIR) + "/playbooks/lib/common-steps.yaml";

// Phases listed in another order than their steps, an optional role, a trigger that
// reads two findings and a parameter, and labels that need escaping.
const char kGraphPlaybook[] = R"(id: graph-demo
version: "1.0.0"
title: Graph demo
hazards: [radiological]
roles:
  - {id: lead, title: Lead}
  - {id: helper, title: Helper, required: false}
parameters:
  - {id: limit, type: number, default: 100}
phases:
  - {id: first, title: "First \"phase\""}
  - {id: second, title: Second}
steps:
  - id: report
    title: Report
    phase: second
    role: lead
    depends_on: [survey]
  - id: survey
    title: Survey the site
    phase: first
    role: helper
    findings:
      - {id: dose_rate, type: number, unit: µSv/h}
      - {id: found, type: boolean}
  - id: expand
    title: "Expand\x1b[31m"
    phase: second
    role: lead
    on_trigger: true
triggers:
  - id: high
    when: survey.dose_rate >= param.limit and not survey.found or survey.dose_rate > 5
    then:
      - activate: expand
      - alert: Dose "high"
        severity: critical
      - notify: Cordon expanded
      - stand_down: first
        reason: Survey no longer needed
)";

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("muster-commands-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CommandsTest, LintValidFileExitsZero) {
  const std::string file = Write("ok.yaml", playbook::testing::kMinimal);
  EXPECT_EQ(LintCommand({file}, false, out_, err_), 0);
  EXPECT_EQ(out_.str(), "1 file checked, 0 invalid\n");
}

TEST_F(CommandsTest, LintInvalidFilePrintsDiagnosticsAndExitsOne) {
  const std::string file = Write("bad.yaml", playbook::testing::Edit(playbook::testing::kMinimal,
                                                                     "title: Demo", "titel: Demo"));
  EXPECT_EQ(LintCommand({file}, false, out_, err_), 1);
  EXPECT_NE(out_.str().find(file + ":3:1: error: unknown key 'titel' in the playbook\n"
                                   "  hint: did you mean 'title'?\n"),
            std::string::npos)
      << out_.str();
}

TEST_F(CommandsTest, LintMissingPathIsAUsageError) {
  EXPECT_EQ(LintCommand({(dir_ / "nope.yaml").string()}, false, out_, err_), 2);
  EXPECT_NE(err_.str().find("no such file"), std::string::npos);
}

TEST_F(CommandsTest, LintFolderChecksPlaybooksAndLibraries) {
  const std::string folder = std::string(MUSTER_SOURCE_DIR) + "/playbooks";
  EXPECT_EQ(LintCommand({folder}, true, out_, err_), 0) << out_.str();
  const auto report = nlohmann::json::parse(out_.str());
  EXPECT_TRUE(report["valid"].get<bool>());
  int libraries = 0;
  for (const auto& file : report["files"]) libraries += file["kind"] == "library" ? 1 : 0;
  EXPECT_EQ(libraries, 1);
  EXPECT_GE(report["files"].size(), 6u);
}

TEST_F(CommandsTest, LintJsonHasPositions) {
  const std::string file = Write(
      "bad.yaml", playbook::testing::Edit(playbook::testing::kMinimal, "[survey]", "[survy]"));
  EXPECT_EQ(LintCommand({file}, true, out_, err_), 1);
  const auto report = nlohmann::json::parse(out_.str());
  const auto& d = report["files"][0]["diagnostics"][0];
  EXPECT_EQ(d["line"], 24);
  EXPECT_EQ(d["column"], 18);
  EXPECT_EQ(d["severity"], "error");
  EXPECT_EQ(d["hint"], "did you mean 'survey'?");
}

TEST_F(CommandsTest, ShowListsPhasesStepsAndWaits) {
  EXPECT_EQ(ShowCommand(kBorder, false, out_, err_), 0) << err_.str();
  const std::string text = out_.str();
  EXPECT_NE(text.find("Phase assessment: Radiological assessment"), std::string::npos) << text;
  EXPECT_NE(text.find("waits on: safety_briefing (team_leader)"), std::string::npos) << text;
  EXPECT_NE(text.find("waits on: trigger cordon_expansion"), std::string::npos) << text;
}

TEST_F(CommandsTest, ShowJsonIsTheModel) {
  EXPECT_EQ(ShowCommand(kBorder, true, out_, err_), 0);
  const auto model = nlohmann::json::parse(out_.str());
  EXPECT_EQ(model["id"], "radioactive-material-border-seizure");
  EXPECT_EQ(model["content_hash"].get<std::string>().size(), 64u);
}

TEST_F(CommandsTest, GraphIsDot) {
  EXPECT_EQ(GraphCommand(kBorder, false, out_, err_), 0);
  const std::string dot = out_.str();
  EXPECT_EQ(dot.rfind("digraph \"radioactive-material-border-seizure\" {", 0), 0u);
  EXPECT_NE(dot.find("\"secondary_inspection\" -> \"establish_cordon\";"), std::string::npos);
  EXPECT_NE(dot.find("\"trigger:cordon_expansion\" -> \"expand_cordon\" [style=dashed];"),
            std::string::npos);
}

TEST_F(CommandsTest, GraphJsonHasTheSameEdges) {
  EXPECT_EQ(GraphCommand(kBorder, true, out_, err_), 0);
  const auto graph = nlohmann::json::parse(out_.str());
  EXPECT_EQ(graph["playbook"], "radioactive-material-border-seizure");
  const nlohmann::json dependency = {
      {"from", "secondary_inspection"}, {"to", "establish_cordon"}, {"kind", "depends_on"}};
  const nlohmann::json activation = {
      {"from", "trigger:cordon_expansion"}, {"to", "expand_cordon"}, {"kind", "activates"}};
  const auto& edges = graph["edges"];
  EXPECT_NE(std::find(edges.begin(), edges.end(), dependency), edges.end()) << edges;
  EXPECT_NE(std::find(edges.begin(), edges.end(), activation), edges.end()) << edges;
}

TEST_F(CommandsTest, ShowInvalidFileExitsOne) {
  const std::string file = Write("bad.yaml", "id: [\n");
  EXPECT_EQ(ShowCommand(file, false, out_, err_), 1);
  EXPECT_NE(err_.str().find("YAML syntax error"), std::string::npos);
}

TEST_F(CommandsTest, ShowLabelsAStepLibraryAndListsItsRolesAndSteps) {
  EXPECT_EQ(ShowCommand(kCommonSteps, false, out_, err_), 0) << err_.str();
  const std::string text = out_.str();
  EXPECT_EQ(text.rfind("Common CBRNE deployment steps\nstep library common-steps 1.0.0\n", 0), 0u)
      << text;
  EXPECT_NE(text.find("Roles (placeholders for the including playbook's roles)\n"
                      "  lead: Whoever leads the team on scene\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  safety_briefing: Scene safety briefing\n"
                      "      role lead, priority high, due 30m after ready\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CommandsTest, ShowJsonOfAStepLibrary) {
  EXPECT_EQ(ShowCommand(kCommonSteps, true, out_, err_), 0) << err_.str();
  const auto library = nlohmann::json::parse(out_.str());
  EXPECT_EQ(library["kind"], "library");
  EXPECT_EQ(library["id"], "common-steps");
  EXPECT_EQ(library["roles"][1]["id"], "custodian");
  EXPECT_EQ(library["steps"][0]["id"], "safety_briefing");
  EXPECT_FALSE(library["steps"][0].contains("phase"));
}

TEST_F(CommandsTest, GraphOfAStepLibraryIsAUsageError) {
  EXPECT_EQ(GraphCommand(kCommonSteps, false, out_, err_), 2);
  EXPECT_NE(err_.str().find("a step library, not a playbook"), std::string::npos) << err_.str();
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandsTest, ShowPrintsInstructionsAndParametersSafely) {
  std::string text = playbook::testing::Edit(
      playbook::testing::kMinimal, "    title: Survey\n",
      "    title: Survey\n    instructions: \"Line one\\n\\nLine \\x1b[2J two\\n\"\n");
  text = playbook::testing::Edit(text, "phases:\n",
                                 "parameters:\n"
                                 "  - {id: limit, type: number, default: 100, unit: µSv/h, "
                                 "description: \"Dose rate\\nat 1 m\"}\n"
                                 "  - {id: site, type: string}\n"
                                 "phases:\n");
  const std::string file = Write("pb.yaml", text);
  EXPECT_EQ(ShowCommand(file, false, out_, err_), 0) << err_.str();
  const std::string shown = out_.str();
  EXPECT_NE(shown.find("      instructions:\n        Line one\n\n        Line \\x1b[2J two\n"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("  limit (number µSv/h, default 100 µSv/h)\n      Dose rate\n      at 1 m\n"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("  site (string, no default)\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("      finding dose_rate (number µSv/h)\n"), std::string::npos) << shown;
  out_.str("");
  EXPECT_EQ(ShowCommand(file, true, out_, err_), 0);
  const auto model = nlohmann::json::parse(out_.str());
  EXPECT_EQ(model["steps"][0]["instructions"], "Line one\n\nLine \x1b[2J two\n");
  EXPECT_EQ(model["parameters"][0]["description"], "Dose rate\nat 1 m");
  EXPECT_EQ(model["parameters"][0]["unit"], "µSv/h");
  EXPECT_EQ(model["steps"][0]["findings"][0]["unit"], "µSv/h");
}

TEST_F(CommandsTest, GraphDrawsWhatTriggersReadAndDo) {
  EXPECT_EQ(GraphCommand(Write("pb.yaml", kGraphPlaybook), false, out_, err_), 0) << err_.str();
  const std::string dot = out_.str();
  const auto has = [&](const std::string& line) { return dot.find(line) != std::string::npos; };
  EXPECT_TRUE(has("  subgraph \"cluster_first\" {\n    label=\"First \\\"phase\\\"\";\n")) << dot;
  EXPECT_LT(dot.find("cluster_first"), dot.find("cluster_second")) << dot;
  EXPECT_TRUE(
      has("    \"survey\" [label=\"Survey the site\\nsurvey\\nhelper (optional role)\", "
          "tooltip=\"survey\", style=\"rounded,filled\", fillcolor=\"gray90\"];\n"))
      << dot;
  EXPECT_TRUE(
      has("    \"expand\" [label=\"Expand\\\\x1b[31m\\nexpand\\nlead\", "
          "tooltip=\"expand\", style=\"rounded,dashed\"];\n"))
      << dot;
  EXPECT_TRUE(
      has("  \"trigger:high\" -> \"survey\" [style=dotted, constraint=false, "
          "label=\"reads dose_rate found\"];\n"))
      << dot;
  EXPECT_TRUE(
      has("  \"alert:high:2\" [shape=note, label=\"alert (critical)\\nDose \\\"high\\\"\"];\n"))
      << dot;
  EXPECT_TRUE(has("  \"notify:high:3\" [shape=note, label=\"notify HQ\\nCordon expanded\"];\n"))
      << dot;
  EXPECT_TRUE(has("  \"trigger:high\" -> \"alert:high:2\" [style=dashed];\n")) << dot;
  EXPECT_TRUE(has("  \"stand_down:high:4\" [shape=note, label=\"stand down first\\nSurvey no "
                  "longer needed\"];\n"))
      << dot;
  EXPECT_TRUE(has("  \"trigger:high\" -> \"expand\" [style=dashed];\n")) << dot;
  EXPECT_FALSE(has("\"param\"")) << dot;
}

TEST_F(CommandsTest, GraphJsonHasReadsAlertsNotifiesAndPhaseOrder) {
  EXPECT_EQ(GraphCommand(Write("pb.yaml", kGraphPlaybook), true, out_, err_), 0) << err_.str();
  const auto graph = nlohmann::json::parse(out_.str());
  EXPECT_EQ(graph["phases"][0]["id"], "first");
  EXPECT_EQ(graph["nodes"][0]["id"], "survey");
  EXPECT_EQ(graph["nodes"][0]["label"], "Survey the site");
  EXPECT_FALSE(graph["nodes"][0]["role_required"].get<bool>());
  const nlohmann::json reads = {{"from", "trigger:high"},
                                {"to", "survey"},
                                {"kind", "reads"},
                                {"findings", {"dose_rate", "found"}}};
  const nlohmann::json alerts = {
      {"from", "trigger:high"}, {"to", "alert:high:2"}, {"kind", "alerts"}};
  const nlohmann::json alert = {{"id", "alert:high:2"},
                                {"kind", "alert"},
                                {"label", "Dose \"high\""},
                                {"severity", "critical"}};
  const auto& edges = graph["edges"];
  const auto& nodes = graph["nodes"];
  EXPECT_NE(std::find(edges.begin(), edges.end(), reads), edges.end()) << edges;
  EXPECT_NE(std::find(edges.begin(), edges.end(), alerts), edges.end()) << edges;
  EXPECT_NE(std::find(nodes.begin(), nodes.end(), alert), nodes.end()) << nodes;
  const auto notify =
      std::find_if(nodes.begin(), nodes.end(), [](const auto& n) { return n["kind"] == "notify"; });
  ASSERT_NE(notify, nodes.end()) << nodes;
  EXPECT_EQ((*notify)["label"], "Cordon expanded");
}

// Runs `muster ARGS...` through RegisterPlaybookCommands; returns the exit status.
int RunMuster(std::vector<std::string> args, std::ostream& out) {
  CLI::App app("muster");
  bool json = false;
  app.add_flag("--json", json);
  RegisterPlaybookCommands(app, json);
  args.insert(args.begin(), "muster");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::streambuf* saved_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* saved_err = std::cerr.rdbuf(out.rdbuf());
  int code = 0;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::Error& e) {
    code = e.get_exit_code();
  }
  std::cout.rdbuf(saved_out);
  std::cerr.rdbuf(saved_err);
  return code;
}

TEST_F(CommandsTest, RegisteredVerbsSignalExitCodes) {
  const std::string bad = Write("bad.yaml", "id: [\n");
  EXPECT_EQ(RunMuster({"playbook", "lint", bad}, out_), 1);
  EXPECT_EQ(RunMuster({"playbook", "lint", kBorder}, out_), 0);
  EXPECT_EQ(RunMuster({"playbook", "lint"}, out_), 2);
  EXPECT_EQ(RunMuster({"playbook", "show"}, out_), 2);
  EXPECT_EQ(RunMuster({"playbook", "graph", (dir_ / "missing.yaml").string()}, out_), 2);
  EXPECT_NE(out_.str().find("usage: muster playbook lint PATH... [--json]"), std::string::npos);
}

TEST_F(CommandsTest, TheConsolesJsonFlagReachesTheVerbs) {
  std::ostringstream lint;
  EXPECT_EQ(RunMuster({"--json", "playbook", "lint", kBorder}, lint), 0);
  EXPECT_FALSE(nlohmann::json::parse(lint.str(), nullptr, false).is_discarded()) << lint.str();
  std::ostringstream graph;
  EXPECT_EQ(RunMuster({"--json", "playbook", "graph", kBorder}, graph), 0);
  EXPECT_TRUE(nlohmann::json::parse(graph.str())["nodes"].is_array());
}

}  // namespace
}  // namespace muster::console
