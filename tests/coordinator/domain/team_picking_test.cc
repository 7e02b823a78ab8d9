// The team picker's rules, without a database: who fills a role, in which order, and
// what an officer is told when a role cannot be filled.
#include "domain/team_picking.h"

#include <gtest/gtest.h>

namespace muster::hq {
namespace {

playbook::Role MakeRole(const std::string& id, std::vector<std::string> qualifications,
                        int count = 1, bool required = true) {
  playbook::Role role;
  role.id = id;
  role.qualifications = std::move(qualifications);
  role.count = count;
  role.required = required;
  return role;
}

Candidate Member(const std::string& id, std::set<std::string> roles,
                 std::set<std::string> qualifications, bool busy = false, bool has_agent = true) {
  return Candidate{id, std::move(roles), std::move(qualifications), busy, has_agent};
}

class TeamPickingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    book_.id = "border";
    book_.roles = {MakeRole("leader", {}), MakeRole("radiation", {"rad_level_2"})};
  }
  void Add(const Candidate& candidate) { roster_[candidate.id] = candidate; }

  playbook::Playbook book_;
  Candidates roster_;
};

TEST_F(TeamPickingTest, TheQualifiedComeBeforeThoseWhoOnlyListTheRole) {
  Add(Member("amira", {"leader"}, {}));
  Add(Member("aaron", {"radiation"}, {}));  // lists the role, lacks the qualification
  Add(Member("jonas", {}, {"rad_level_2"}));
  Result<TeamPick> pick = PickTeam(book_, roster_, {});
  ASSERT_TRUE(pick.ok()) << pick.status().ToString();
  EXPECT_EQ(pick->team.at("radiation"), std::vector<std::string>{"jonas"});
  EXPECT_EQ(pick->team.at("leader"), std::vector<std::string>{"amira"});
  EXPECT_EQ(pick->automatic, (std::vector<std::string>{"leader", "radiation"}));
  EXPECT_TRUE(pick->unqualified.empty());
  EXPECT_EQ(pick->gaps, "");
}

TEST_F(TeamPickingTest, MembersFreeOfOtherDeploymentsAndNotYetOnTheTeamComeFirst) {
  book_.roles = {MakeRole("leader", {}), MakeRole("liaison", {})};
  Add(Member("amira", {"leader", "liaison"}, {}));
  Add(Member("bea", {"leader"}, {}, /*busy=*/true));
  Add(Member("dan", {"liaison"}, {}));
  Result<TeamPick> pick = PickTeam(book_, roster_, {});
  ASSERT_TRUE(pick.ok()) << pick.status().ToString();
  // amira is free where bea is busy elsewhere; dan liaises, as amira already leads.
  EXPECT_EQ(pick->team.at("leader"), std::vector<std::string>{"amira"});
  EXPECT_EQ(pick->team.at("liaison"), std::vector<std::string>{"dan"});
}

TEST_F(TeamPickingTest, AnOfficersChoiceWithoutTheQualificationsIsRecordedAsAGap) {
  Add(Member("amira", {"leader"}, {}));
  Add(Member("li", {}, {}));
  Result<TeamPick> pick =
      PickTeam(book_, roster_, {{"radiation", {"li", "li"}}});  // named twice: once
  ASSERT_TRUE(pick.ok()) << pick.status().ToString();
  EXPECT_EQ(pick->team.at("radiation"), std::vector<std::string>{"li"});
  EXPECT_EQ(pick->automatic, std::vector<std::string>{"leader"});
  EXPECT_EQ(pick->unqualified["radiation"]["li"], nlohmann::json({"rad_level_2"}));
  EXPECT_EQ(pick->gaps, "li lacks rad_level_2 for radiation");
}

TEST_F(TeamPickingTest, AnEmptyRequiredRoleSaysWhyAndHowToAssignIt) {
  Add(Member("amira", {"leader"}, {}));
  Add(Member("jonas", {}, {"rad_level_2"}, false, /*has_agent=*/false));
  Result<TeamPick> pick = PickTeam(book_, roster_, {});
  ASSERT_FALSE(pick.ok());
  EXPECT_EQ(pick.status().code(), ErrorCode::kUnassignedRole);
  EXPECT_NE(pick.status().message().find("radiation (without an enrolled agent: jonas)"),
            std::string::npos)
      << pick.status().message();
  EXPECT_NE(pick.status().message().find("--assign radiation=MEMBER"), std::string::npos);

  roster_.erase("jonas");
  pick = PickTeam(book_, roster_, {});
  ASSERT_FALSE(pick.ok());
  EXPECT_NE(pick.status().message().find("radiation (nobody holds rad_level_2)"), std::string::npos)
      << pick.status().message();
}

TEST_F(TeamPickingTest, AnOptionalRoleMayStayEmpty) {
  book_.roles.push_back(MakeRole("observer", {}, 1, /*required=*/false));
  Add(Member("amira", {"leader"}, {}));
  Add(Member("jonas", {}, {"rad_level_2"}));
  Result<TeamPick> pick = PickTeam(book_, roster_, {});
  ASSERT_TRUE(pick.ok()) << pick.status().ToString();
  EXPECT_TRUE(pick->team["observer"].empty());
}

TEST_F(TeamPickingTest, UnknownRolesMembersAndAgentlessMembersAreRefused) {
  Add(Member("amira", {"leader"}, {}));
  Add(Member("jonas", {}, {"rad_level_2"}));
  Add(Member("paulo", {}, {"rad_level_2"}, false, /*has_agent=*/false));

  Result<TeamPick> pick = PickTeam(book_, roster_, {{"pilot", {"amira"}}});
  ASSERT_FALSE(pick.ok());
  EXPECT_EQ(pick.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(pick.status().message().find("its roles are: leader, radiation"), std::string::npos);

  pick = PickTeam(book_, roster_, {{"leader", {"nobody"}}});
  ASSERT_FALSE(pick.ok());
  EXPECT_EQ(pick.status().code(), ErrorCode::kNotFound);

  pick = PickTeam(book_, roster_, {{"radiation", {"paulo"}}});
  ASSERT_FALSE(pick.ok());
  EXPECT_EQ(pick.status().code(), ErrorCode::kNoAgent);
  EXPECT_NE(pick.status().message().find("muster agent enroll paulo"), std::string::npos);
}

TEST_F(TeamPickingTest, ARoleForSeveralIsFilledUpToItsCount) {
  book_.roles[1].count = 2;
  Add(Member("amira", {"leader"}, {}));
  Add(Member("jonas", {}, {"rad_level_2"}));
  Add(Member("kim", {}, {"rad_level_2"}));
  Add(Member("lu", {}, {"rad_level_2"}));
  Result<TeamPick> pick = PickTeam(book_, roster_, {});
  ASSERT_TRUE(pick.ok()) << pick.status().ToString();
  EXPECT_EQ(pick->team.at("radiation"), (std::vector<std::string>{"jonas", "kim"}));
}

}  // namespace
}  // namespace muster::hq
