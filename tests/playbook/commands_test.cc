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
