// Handling markings: reading and writing them, raising them, and the loader's rules (a
// step may raise its playbook's marking, never lower it).
#include "muster/playbook/marking.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace muster::playbook {
namespace {

using testing::Edit;
using testing::HasDiagnostic;
using testing::kMinimal;
using testing::Load;

TEST(MarkingTest, ReadsEitherPartInAnyOrderAndWritesOneForm) {
  const auto both = ParseMarking("tlp:amber // Restricted");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->tlp, Tlp::kAmber);
  EXPECT_EQ(both->classification, Classification::kRestricted);
  EXPECT_EQ(ToString(*both), "RESTRICTED // TLP:AMBER");
  EXPECT_EQ(ToString(*ParseMarking("TLP:AMBER+STRICT")), "TLP:AMBER+STRICT");
  EXPECT_EQ(ToString(*ParseMarking("secret")), "SECRET");
  EXPECT_EQ(ToString(Marking{}), "");
}

TEST(MarkingTest, RefusesWhatIsNotAMarkingAndSaysWhatIs) {
  std::string error;
  EXPECT_FALSE(ParseMarking("TLP:WHITE", &error));
  EXPECT_EQ(error.substr(0, error.find(';')), "'TLP:WHITE' is not a marking");
  EXPECT_NE(error.find("TLP:CLEAR"), std::string::npos);
  EXPECT_FALSE(ParseMarking("TLP:RED TLP:GREEN", &error));
  EXPECT_EQ(error.substr(0, error.find(';')), "the marking gives two TLP labels");
  EXPECT_FALSE(ParseMarking("secret restricted", &error));
  EXPECT_FALSE(ParseMarking("  // ", &error));
  EXPECT_EQ(error.substr(0, error.find(';')), "the marking is empty");
}

TEST(MarkingTest, RaisingTakesTheStricterOfEachPartAndLoweringIsPerPart) {
  const Marking amber_restricted = *ParseMarking("RESTRICTED TLP:AMBER");
  const Marking red = *ParseMarking("TLP:RED");
  EXPECT_EQ(ToString(Raise(amber_restricted, red)), "RESTRICTED // TLP:RED");
  EXPECT_FALSE(Lowers(red, amber_restricted));  // leaves the classification to inherit
  EXPECT_TRUE(Lowers(*ParseMarking("TLP:GREEN"), amber_restricted));
  EXPECT_TRUE(Lowers(*ParseMarking("UNCLASSIFIED TLP:RED"), amber_restricted));
  EXPECT_FALSE(Lowers(Marking{}, amber_restricted));
}

TEST(MarkingLoadTest, APlaybookAndItsStepsCarryMarkingsAndAStepMayRaiseThem) {
  const LoadResult result = Load(
      Edit(Edit(kMinimal, "hazards: [radiological]\n",
                "hazards: [radiological]\nmarking: RESTRICTED // TLP:AMBER\n"),
           "    depends_on: [survey]\n", "    depends_on: [survey]\n    marking: TLP:RED\n"));
  ASSERT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  const Playbook& p = *result.playbook;
  EXPECT_EQ(ToString(p.marking), "RESTRICTED // TLP:AMBER");
  EXPECT_EQ(ToString(p.MarkingOf(*p.FindStep("survey"))), "RESTRICTED // TLP:AMBER");
  EXPECT_EQ(ToString(p.MarkingOf(*p.FindStep("report"))), "RESTRICTED // TLP:RED");
}

TEST(MarkingLoadTest, AStepCannotLowerThePlaybooksMarkingNorGiveAnUnknownOne) {
  const LoadResult lower = Load(
      Edit(Edit(kMinimal, "hazards: [radiological]\n",
                "hazards: [radiological]\nmarking: TLP:AMBER\n"),
           "    depends_on: [survey]\n", "    depends_on: [survey]\n    marking: TLP:GREEN\n"));
  EXPECT_TRUE(HasDiagnostic(lower,
                            "t.yaml:26:14: error: the marking of step 'report' (TLP:GREEN) is "
                            "lower than the playbook's (TLP:AMBER)"));
  const LoadResult unknown =
      Load(Edit(kMinimal, "hazards: [radiological]\n", "hazards: [radiological]\nmarking: pink\n"));
  EXPECT_TRUE(HasDiagnostic(unknown,
                            "t.yaml:5:10: error: the marking of the playbook: 'pink' is not a "
                            "marking"));
}

}  // namespace
}  // namespace muster::playbook
