// Every file in playbooks/ loads without a single diagnostic, and each playbook is
// substantial enough to use: roles, steps, dependencies, typed findings and a trigger.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "muster/playbook/load.h"
#include "muster/playbook/triggers.h"
#include "test_util.h"

namespace muster::playbook {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> YamlFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

const fs::path kPlaybooks = fs::path(MUSTER_SOURCE_DIR) / "playbooks";

TEST(ShippedPlaybooksTest, EveryFileLintsClean) {
  const auto files = YamlFiles(kPlaybooks);
  ASSERT_GE(files.size(), 6u);
  for (const fs::path& file : files) {
    const LoadResult result = LintFile(file.string());
    EXPECT_TRUE(result.diagnostics.empty()) << testing::AllDiagnostics(result);
  }
}

TEST(ShippedPlaybooksTest, EveryPlaybookIsSubstantial) {
  int playbooks = 0;
  for (const fs::path& file : YamlFiles(kPlaybooks)) {
    const LoadResult result = LintFile(file.string());
    if (result.is_library) continue;
    ASSERT_TRUE(result.ok()) << file;
    ++playbooks;
    const Playbook& p = *result.playbook;
    EXPECT_GE(p.roles.size(), 3u) << file;
    EXPECT_GE(p.steps.size(), 8u) << file;
    EXPECT_GE(p.triggers.size(), 1u) << file;
    const bool has_dependencies = std::any_of(p.steps.begin(), p.steps.end(),
                                              [](const Step& s) { return !s.depends_on.empty(); });
    EXPECT_TRUE(has_dependencies) << file;
    const bool uses_library = std::any_of(p.steps.begin(), p.steps.end(),
                                          [](const Step& s) { return !s.from_library.empty(); });
    EXPECT_TRUE(uses_library) << file;
    EXPECT_EQ(fs::path(file).stem().string(), p.id) << "a playbook's file is named after its id";
  }
  EXPECT_GE(playbooks, 5);
}

TEST(ShippedPlaybooksTest, BorderSeizureHasTheAgreedShape) {
  const LoadResult result =
      LoadFile((kPlaybooks / "radioactive-material-border-seizure.yaml").string());
  ASSERT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  const Playbook& p = *result.playbook;
  for (const char* role :
       {"team_leader", "radiation_specialist", "forensic_examiner", "liaison_officer"}) {
    EXPECT_NE(p.FindRole(role), nullptr) << role;
  }
  const Step* expand = p.FindStep("expand_cordon");
  ASSERT_NE(expand, nullptr);
  EXPECT_TRUE(expand->on_trigger);
  const auto fired = EvaluateTriggers(p, {{"secondary_inspection.dose_rate_1m", 120.0}}, {});
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].actions[0].step, "expand_cordon");
  EXPECT_EQ(fired[0].actions[1].severity, "critical");
}

TEST(ShippedPlaybooksTest, TheCompleteExampleInTheDocsLoads) {
  std::ifstream in(fs::path(MUSTER_SOURCE_DIR) / "docs" / "playbooks.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::size_t start = doc.find("```yaml\n");
  ASSERT_NE(start, std::string::npos);
  const std::size_t end = doc.find("```", start + 8);
  LoadOptions options;
  options.library_dir = kPlaybooks.string();
  const LoadResult result =
      LoadText(doc.substr(start + 8, end - start - 8), "example.yaml", options);
  EXPECT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  EXPECT_TRUE(result.diagnostics.empty()) << testing::AllDiagnostics(result);
}

}  // namespace
}  // namespace muster::playbook
