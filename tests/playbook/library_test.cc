// Step libraries: include, use, role mapping, and the self-contained source form.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "muster/playbook/load.h"
#include "test_util.h"

namespace muster::playbook {
namespace {

using testing::Edit;
using testing::HasDiagnostic;
using testing::HasHint;

namespace fs = std::filesystem;

const char kLibrary[] = R"(library: shared
version: "1.0.0"
roles:
  - id: lead
  - id: keeper
steps:
  - id: briefing
    title: Safety briefing
    role: lead
    findings:
      - {id: briefed, type: number, unit: count, required: true}
  - id: custody
    title: Chain of custody
    role: keeper
    depends_on: [briefing]
)";

//  1 id: demo ... the playbook that uses it; line 12 is the include's file.
const char kPlaybook[] = R"(id: demo
version: "1.0.0"
title: Demo
hazards: [explosive]
roles:
  - {id: boss, title: Boss}
  - {id: examiner, title: Examiner}
phases:
  - {id: work, title: Work}
include:
  - file: lib/shared.yaml
    as: common
    roles: {lead: boss, keeper: examiner}
steps:
  - use: common.briefing
    phase: work
  - id: search
    title: Search
    phase: work
    role: examiner
    depends_on: [briefing]
  - use: common.custody
    id: hand_over
    phase: work
    depends_on: [search]
)";

class LibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("muster-library-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "lib");
    Write("lib/shared.yaml", kLibrary);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  LoadResult LoadPlaybook(const std::string& text) {
    Write("pb.yaml", text);
    return LoadFile((dir_ / "pb.yaml").string());
  }
  std::string LibraryFile() const { return (dir_ / "lib/shared.yaml").string(); }
  std::string PlaybookFile() const { return (dir_ / "pb.yaml").string(); }

  fs::path dir_;
};

TEST_F(LibraryTest, UseExpandsLibraryStepsInPlace) {
  const LoadResult result = LoadPlaybook(kPlaybook);
  ASSERT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  const Playbook& p = *result.playbook;
  ASSERT_EQ(p.steps.size(), 3u);
  EXPECT_EQ(p.steps[0].id, "briefing");
  EXPECT_EQ(p.steps[0].role, "boss");
  EXPECT_EQ(p.steps[0].phase, "work");
  EXPECT_EQ(p.steps[0].from_library, "lib/shared.yaml");
  ASSERT_EQ(p.steps[0].findings.size(), 1u);
  EXPECT_EQ(p.steps[2].id, "hand_over");
  EXPECT_EQ(p.steps[2].role, "examiner");
  // The library's own dependency comes first, then the ones the use adds.
  EXPECT_EQ(p.steps[2].depends_on, (std::vector<std::string>{"briefing", "search"}));
}

TEST_F(LibraryTest, SourceCarriesTheLibraryAndLoadsWithoutTheDisk) {
  const LoadResult result = LoadPlaybook(kPlaybook);
  ASSERT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  const std::string& source = result.playbook->source;
  EXPECT_EQ(source, std::string(kPlaybook) + "--- # muster-library: lib/shared.yaml\n" + kLibrary);
  fs::remove_all(dir_);  // nothing on disk any more
  LoadOptions options;
  options.read_libraries_from_disk = false;
  const LoadResult again = LoadText(source, "pb.yaml", options);
  ASSERT_TRUE(again.ok()) << testing::AllDiagnostics(again);
  EXPECT_EQ(again.playbook->source, source);
  EXPECT_EQ(again.playbook->content_hash, result.playbook->content_hash);
  EXPECT_EQ(again.playbook->steps.size(), 3u);
}

TEST_F(LibraryTest, LibraryChangeChangesTheHash) {
  const LoadResult before = LoadPlaybook(kPlaybook);
  Write("lib/shared.yaml", Edit(kLibrary, "Safety briefing", "Safety briefing!"));
  const LoadResult after = LoadFile(PlaybookFile());
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_NE(before.playbook->content_hash, after.playbook->content_hash);
}

TEST_F(LibraryTest, DiskIsNotReadWhenTheOptionForbidsIt) {
  LoadOptions options;
  options.read_libraries_from_disk = false;
  Write("pb.yaml", kPlaybook);
  const LoadResult result = LoadFile(PlaybookFile(), options);
  EXPECT_TRUE(HasDiagnostic(result, PlaybookFile() +
                                        ":11:11: error: library 'lib/shared.yaml' is not carried "
                                        "in the playbook's source"));
}

TEST_F(LibraryTest, MissingLibraryFile) {
  const LoadResult result = LoadPlaybook(Edit(kPlaybook, "lib/shared.yaml", "lib/missing.yaml"));
  ASSERT_FALSE(result.ok());
  const auto at_include =
      std::find_if(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& d) { return d.pos.line == 11 && d.pos.column == 11; });
  ASSERT_NE(at_include, result.diagnostics.end()) << testing::AllDiagnostics(result);
  EXPECT_EQ(at_include->message, "library '" + (dir_ / "lib/missing.yaml").string() +
                                     "' cannot read: No such file or directory");
  // The steps taken from it and the steps that wait on them raise no further errors.
  EXPECT_EQ(ErrorCount(result.diagnostics), 1) << testing::AllDiagnostics(result);
}

TEST_F(LibraryTest, PathsMayNotLeaveTheLibraryFolder) {
  const LoadResult result = LoadPlaybook(Edit(kPlaybook, "lib/shared.yaml", "../etc/passwd"));
  EXPECT_TRUE(HasDiagnostic(
      result, PlaybookFile() + ":11:11: error: library path '../etc/passwd' is not allowed"));
}

TEST_F(LibraryTest, UnknownLibraryStepSuggests) {
  const LoadResult result = LoadPlaybook(Edit(kPlaybook, "common.briefing", "common.brefing"));
  EXPECT_TRUE(HasDiagnostic(
      result, PlaybookFile() + ":15:10: error: library 'common' has no step 'brefing'"));
  EXPECT_TRUE(HasHint(result, "did you mean 'briefing'?"));
}

TEST_F(LibraryTest, UnknownAlias) {
  const LoadResult result = LoadPlaybook(Edit(kPlaybook, "common.briefing", "shared.briefing"));
  EXPECT_TRUE(HasDiagnostic(
      result, PlaybookFile() + ":15:10: error: no included library is called 'shared'"));
}

TEST_F(LibraryTest, UnmappedRole) {
  const LoadResult result =
      LoadPlaybook(Edit(kPlaybook, "{lead: boss, keeper: examiner}", "{keeper: examiner}"));
  EXPECT_TRUE(HasDiagnostic(result, PlaybookFile() +
                                        ":15:5: error: use of 'common.briefing' has no role: "
                                        "library role 'lead' is not mapped"));
}

TEST_F(LibraryTest, RoleMappedToUnknownRole) {
  const LoadResult result = LoadPlaybook(Edit(kPlaybook, "lead: boss", "lead: bos"));
  EXPECT_TRUE(HasDiagnostic(
      result, PlaybookFile() + ":13:19: error: role 'bos' is not a role of this playbook"));
  EXPECT_TRUE(HasHint(result, "did you mean 'boss'?"));
}

TEST_F(LibraryTest, LibraryDependencyMustBeUsed) {
  const LoadResult result =
      LoadPlaybook(Edit(Edit(kPlaybook, "  - use: common.briefing\n    phase: work\n", ""),
                        "depends_on: [briefing]", "depends_on: []"));
  EXPECT_TRUE(HasDiagnostic(result, PlaybookFile() +
                                        ":20:5: error: step 'hand_over' from library 'common' "
                                        "depends on its step 'briefing', which this playbook does "
                                        "not use"));
}

TEST_F(LibraryTest, ErrorsInsideTheLibraryNameTheLibraryFile) {
  Write("lib/shared.yaml", Edit(kLibrary, "    role: keeper", "    role: keeper\n    phase: work"));
  const LoadResult result = LoadPlaybook(kPlaybook);
  EXPECT_TRUE(HasDiagnostic(result, LibraryFile() + ":15:5: error: library steps have no phase"));
}

TEST_F(LibraryTest, EmbeddedLibraryThatNoIncludeNames) {
  const std::string text =
      std::string(kPlaybook) + "--- # muster-library: lib/other.yaml\n" + kLibrary;
  const LoadResult result = LoadText(text, "pb.yaml");
  EXPECT_TRUE(HasDiagnostic(result,
                            "pb.yaml:26:1: error: the source carries library "
                            "'lib/other.yaml', which no include names"));
}

TEST_F(LibraryTest, LibraryChecksOnItsOwn) {
  const LoadResult ok = LintFile(LibraryFile());
  EXPECT_TRUE(ok.is_library);
  EXPECT_TRUE(ok.diagnostics.empty()) << testing::AllDiagnostics(ok);
  Write("lib/shared.yaml", Edit(kLibrary, "    role: keeper", "    role: keepr"));
  const LoadResult bad = LintFile(LibraryFile());
  EXPECT_TRUE(HasDiagnostic(bad, LibraryFile() +
                                     ":14:11: error: role 'keepr' is not declared in the "
                                     "library's roles"));
  EXPECT_TRUE(HasHint(bad, "did you mean 'keeper'?"));
}

// A trigger that reads a library step, so that a broken include could raise follow-ons.
const char kBriefedTrigger[] = R"(triggers:
  - id: briefed
    when: briefing.briefed > 0
    then:
      - alert: Team briefed
)";

TEST_F(LibraryTest, PlaybookThatIncludesItselfIsOneError) {
  const LoadResult result =
      LoadPlaybook(Edit(kPlaybook, "lib/shared.yaml", "pb.yaml") + kBriefedTrigger);
  EXPECT_TRUE(HasDiagnostic(
      result, PlaybookFile() + ":11:11: error: 'pb.yaml' includes itself (pb.yaml -> pb.yaml)"));
  EXPECT_TRUE(HasHint(result,
                      "include names step libraries (files with a 'library:' key), never a "
                      "playbook; remove this include"));
  EXPECT_EQ(ErrorCount(result.diagnostics), 1) << testing::AllDiagnostics(result);
}

TEST_F(LibraryTest, IncludeCycleThroughAnotherFileIsOneError) {
  Write("other.yaml", Edit(kPlaybook, "lib/shared.yaml", "pb.yaml"));
  const LoadResult result =
      LoadPlaybook(Edit(kPlaybook, "lib/shared.yaml", "other.yaml") + kBriefedTrigger);
  EXPECT_TRUE(HasDiagnostic(result, PlaybookFile() +
                                        ":11:11: error: 'pb.yaml' includes itself (pb.yaml -> "
                                        "other.yaml -> pb.yaml)"));
  EXPECT_EQ(ErrorCount(result.diagnostics), 1) << testing::AllDiagnostics(result);
}

TEST_F(LibraryTest, LibraryRoleWithAnEmptyIdIsReportedAndNeverListed) {
  Write("lib/shared.yaml",
        Edit(Edit(kLibrary, "  - id: lead", "  - id: \"\""), "role: keeper", "role: keepr"));
  const LoadResult result = LintFile(LibraryFile());
  EXPECT_TRUE(
      HasDiagnostic(result, LibraryFile() + ":4:9: error: id '' of a library role is not valid"));
  // The briefing's role 'lead' is gone; the list of roles does not show the empty one.
  EXPECT_TRUE(HasHint(result, "declared roles are: keeper"));
  EXPECT_TRUE(HasHint(result, "did you mean 'keeper'?"));
}

TEST_F(LibraryTest, LibraryCheckedOnItsOwnHasItsModel) {
  const LoadResult result = LintFile(LibraryFile());
  ASSERT_TRUE(result.library) << testing::AllDiagnostics(result);
  EXPECT_EQ(result.library->id, "shared");
  EXPECT_EQ(result.library->version, "1.0.0");
  ASSERT_EQ(result.library->roles.size(), 2u);
  EXPECT_EQ(result.library->roles[1].id, "keeper");
  ASSERT_EQ(result.library->steps.size(), 2u);
  EXPECT_EQ(result.library->steps[1].depends_on, std::vector<std::string>{"briefing"});
  Write("lib/shared.yaml", Edit(kLibrary, "    role: keeper", "    role: keepr"));
  EXPECT_FALSE(LintFile(LibraryFile()).library);
}

}  // namespace
}  // namespace muster::playbook
