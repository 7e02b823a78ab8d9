// Operators, roles, sessions and the login throttle on a real store with a FakeClock
// (issue 16, item 1). Over HTTP: tests/coordinator/service/operator_access_test.cc.
#include <gtest/gtest.h>

#include "access/login_throttle.h"
#include "access/password.h"
#include "access/roles.h"
#include "hq_fixture.h"
#include "muster/digest.h"

namespace muster::coordtest {
namespace {

constexpr Millis kHour = 3'600'000;
const hq::Actor kAdmin("root", "test");

class AccessTest : public HeadquartersTest {
 protected:
  void AddOperator(const std::string& name, const std::string& role) {
    auto added = hq_->operators().Add({name, "", role, "a long enough passphrase"}, kAdmin);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
  }
  hq::IssuedSession Login(const std::string& name, hq::Role role, Millis lifetime = 12 * kHour) {
    auto issued = hq_->sessions().Issue(name, role, "cli", lifetime, hq::Actor(name, "test"));
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? *issued : hq::IssuedSession{};
  }
  bool Opens(const std::string& token) {
    auto session = hq_->sessions().Resolve(token);
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return session.ok() && session->has_value();
  }
};

TEST_F(AccessTest, EachRoleMayDoWhatItsJobNeedsAndNothingMore) {
  using hq::Permission;
  using hq::Role;
  EXPECT_EQ(hq::NeededFor("GET", "/v1/incidents/INC-1/status"), Permission::kRead);
  EXPECT_EQ(hq::NeededFor("POST", "/v1/deployments"), Permission::kOperate);
  EXPECT_EQ(hq::NeededFor("POST", "/v1/deployments/3/demobilise"), Permission::kOperate);
  EXPECT_EQ(hq::NeededFor("POST", "/v1/tasks/d1.brief.amira/cancel"), Permission::kOperate);
  EXPECT_EQ(hq::NeededFor("POST", "/v1/alerts/4/ack"), Permission::kOperate);
  EXPECT_EQ(hq::NeededFor("PATCH", "/v1/members/amira"), Permission::kOperate);
  EXPECT_EQ(hq::NeededFor("POST", "/v1/playbooks"), Permission::kPublish);
  EXPECT_EQ(hq::NeededFor("POST", "/v1/agents"), Permission::kAdminister);
  EXPECT_EQ(hq::NeededFor("POST", "/v1/agents/amira-1/revoke"), Permission::kAdminister);
  EXPECT_EQ(hq::NeededFor("GET", "/v1/operators"), Permission::kAdminister);
  EXPECT_EQ(hq::NeededFor("POST", "/v1/logout"), Permission::kRead);
  // A change the table does not know is closed to all but administrators.
  EXPECT_EQ(hq::NeededFor("DELETE", "/v1/incidents-archive"), Permission::kAdminister);
  EXPECT_EQ(hq::NeededFor("POST", "/v2/anything"), Permission::kAdminister);

  EXPECT_TRUE(hq::Allows(Role::kViewer, Permission::kRead));
  EXPECT_FALSE(hq::Allows(Role::kViewer, Permission::kOperate));
  EXPECT_TRUE(hq::Allows(Role::kOfficer, Permission::kOperate));
  EXPECT_FALSE(hq::Allows(Role::kOfficer, Permission::kPublish));
  EXPECT_FALSE(hq::Allows(Role::kOfficer, Permission::kAdminister));
  EXPECT_TRUE(hq::Allows(Role::kAuthor, Permission::kPublish));
  EXPECT_FALSE(hq::Allows(Role::kAuthor, Permission::kOperate));
  for (Permission each :
       {Permission::kRead, Permission::kOperate, Permission::kPublish, Permission::kAdminister}) {
    EXPECT_TRUE(hq::Allows(Role::kAdministrator, each));
  }
  for (const char* name : {"viewer", "officer", "author", "administrator"}) {
    ASSERT_TRUE(hq::ParseRole(name).has_value()) << name;
    EXPECT_STREQ(hq::RoleName(*hq::ParseRole(name)), name);
  }
  EXPECT_FALSE(hq::ParseRole("root").has_value());
}

TEST_F(AccessTest, PasswordsAreStoredAsArgon2idHashesAndTokensOnlyAsDigests) {
  AddOperator("dana", "officer");
  auto account = hq_->operators().Find("dana");
  ASSERT_TRUE(account.ok() && account->has_value());
  EXPECT_EQ((*account)->password_hash.rfind("$argon2id$", 0), 0u) << (*account)->password_hash;
  EXPECT_TRUE(hq::VerifyPassword((*account)->password_hash, "a long enough passphrase"));
  EXPECT_FALSE(hq::VerifyPassword((*account)->password_hash, "a long enough passphrasE"));
  EXPECT_FALSE(hq::VerifyPassword("not a hash", "a long enough passphrase"));

  const hq::IssuedSession issued = Login("dana", hq::Role::kOfficer);
  EXPECT_EQ(issued.token.rfind("mst_", 0), 0u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM operator_sessions WHERE token_hash='" + issued.token + "'"),
            0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM operator_sessions WHERE token_hash='" +
                  Sha256Hex(issued.token) + "'"),
            1);
  // Neither the password nor its hash reaches the audit log.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE detail LIKE '%argon2%' OR detail LIKE "
                  "'%passphrase%'"),
            0);
}

TEST_F(AccessTest, BadNamesRolesAndPasswordsAreRefusedWithTheRule) {
  auto bad_name =
      hq_->operators().Add({"Dana W", "", "officer", "a long enough passphrase"}, kAdmin);
  EXPECT_EQ(bad_name.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_name.status().message().find("lowercase"), std::string::npos);
  auto bad_role = hq_->operators().Add({"dana", "", "root", "a long enough passphrase"}, kAdmin);
  EXPECT_NE(bad_role.status().message().find("viewer, officer, author, administrator"),
            std::string::npos);
  auto short_password = hq_->operators().Add({"dana", "", "officer", "short"}, kAdmin);
  EXPECT_NE(short_password.status().message().find("12"), std::string::npos);
  AddOperator("dana", "officer");
  EXPECT_EQ(hq_->operators()
                .Add({"dana", "", "viewer", "a long enough passphrase"}, kAdmin)
                .status()
                .code(),
            ErrorCode::kConflict);
  EXPECT_EQ(hq_->operators().SetDisabled("nobody", true, kAdmin).status().code(),
            ErrorCode::kNotFound);
}

TEST_F(AccessTest, ASessionEndsWhenItExpiresAtLogoutOrWhenTheAccountChanges) {
  AddOperator("dana", "officer");
  AddOperator("root", "administrator");
  const hq::IssuedSession shift = Login("dana", hq::Role::kOfficer, 12 * kHour);
  EXPECT_TRUE(Opens(shift.token));
  EXPECT_FALSE(Opens(shift.token + "0"));
  EXPECT_FALSE(Opens("not-a-token"));
  clock_.Advance(12 * kHour - 1);
  EXPECT_TRUE(Opens(shift.token));
  clock_.Advance(1);
  EXPECT_FALSE(Opens(shift.token));  // the shift is over

  const hq::IssuedSession second = Login("dana", hq::Role::kOfficer);
  ASSERT_TRUE(hq_->sessions().End(second.session.id, hq::Actor("dana", "test")).ok());
  EXPECT_FALSE(Opens(second.token));
  EXPECT_EQ(hq_->sessions().End(second.session.id, hq::Actor("dana", "test")).code(),
            ErrorCode::kNotFound);

  const hq::IssuedSession desk = Login("dana", hq::Role::kOfficer);
  const hq::IssuedSession wall = Login("dana", hq::Role::kOfficer);
  auto listed = hq_->operators().List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[0]["sessions"], 2);  // dana; root has none
  auto disabled = hq_->operators().SetDisabled("dana", true, kAdmin);
  ASSERT_TRUE(disabled.ok()) << disabled.status().ToString();
  EXPECT_FALSE(Opens(desk.token));
  EXPECT_FALSE(Opens(wall.token));
  ASSERT_TRUE(hq_->operators().SetDisabled("dana", false, kAdmin).ok());
  EXPECT_FALSE(Opens(desk.token));  // enabling again does not bring old sessions back

  const hq::IssuedSession before_reset = Login("dana", hq::Role::kOfficer);
  ASSERT_TRUE(hq_->operators().ResetPassword("dana", "another long passphrase", kAdmin).ok());
  EXPECT_FALSE(Opens(before_reset.token));
  auto account = hq_->operators().Find("dana");
  EXPECT_TRUE(hq::VerifyPassword((*account)->password_hash, "another long passphrase"));

  const hq::IssuedSession ended = Login("dana", hq::Role::kOfficer);
  ASSERT_TRUE(hq_->operators().EndSessions("dana", kAdmin).ok());
  EXPECT_FALSE(Opens(ended.token));
}

TEST_F(AccessTest, ASessionCarriesTheRoleTheAccountHasNow) {
  AddOperator("dana", "officer");
  const hq::IssuedSession issued = Login("dana", hq::Role::kOfficer);
  auto session = hq_->sessions().Resolve(issued.token);
  ASSERT_TRUE(session.ok() && session->has_value());
  EXPECT_EQ((*session)->role, hq::Role::kOfficer);
  EXPECT_EQ((*session)->operator_name, "dana");
  EXPECT_EQ((*session)->csrf.size(), 64u);
  EXPECT_NE((*session)->csrf, issued.token.substr(4));
}

TEST_F(AccessTest, TheLastEnabledAdministratorCannotBeDisabled) {
  AddOperator("root", "administrator");
  auto refused = hq_->operators().SetDisabled("root", true, kAdmin);
  EXPECT_EQ(refused.status().code(), ErrorCode::kConflict);
  EXPECT_NE(refused.status().message().find("last enabled administrator"), std::string::npos);
  AddOperator("second", "administrator");
  EXPECT_TRUE(hq_->operators().SetDisabled("root", true, kAdmin).ok());
  EXPECT_EQ(hq_->operators().SetDisabled("second", true, kAdmin).status().code(),
            ErrorCode::kConflict);
}

TEST_F(AccessTest, EveryAccountChangeIsAudited) {
  AddOperator("dana", "officer");
  AddOperator("root", "administrator");
  ASSERT_TRUE(hq_->operators().SetDisabled("dana", true, kAdmin).ok());
  ASSERT_TRUE(hq_->operators().SetDisabled("dana", false, kAdmin).ok());
  ASSERT_TRUE(hq_->operators().ResetPassword("dana", "another long passphrase", kAdmin).ok());
  ASSERT_TRUE(hq_->operators().EndSessions("dana", kAdmin).ok());
  Login("dana", hq::Role::kOfficer);
  for (const char* action : {"operator.create", "operator.disable", "operator.enable",
                             "operator.reset", "operator.end_sessions", "operator.login"}) {
    EXPECT_GE(Count(std::string("SELECT COUNT(*) FROM audit WHERE action='") + action +
                    "' AND subject='dana'"),
              1)
        << action;
  }
}

TEST(LoginThrottleTest, FiveFailuresLockTheAccountAndTheAddressForLongerEachTime) {
  FakeClock clock;
  hq::LoginThrottle throttle(clock);
  for (int i = 0; i < 4; ++i) throttle.Failed("dana", "10.0.0.5");
  EXPECT_EQ(throttle.RetryAfter("dana", "10.0.0.5"), 0);
  throttle.Failed("dana", "10.0.0.5");
  EXPECT_EQ(throttle.RetryAfter("dana", "10.0.0.5"), 30'000);
  // The account is locked from any address; the address for any account.
  EXPECT_EQ(throttle.RetryAfter("dana", "10.0.0.9"), 30'000);
  EXPECT_EQ(throttle.RetryAfter("li", "10.0.0.5"), 30'000);
  EXPECT_EQ(throttle.RetryAfter("li", "10.0.0.9"), 0);
  clock.Advance(30'000);
  EXPECT_EQ(throttle.RetryAfter("dana", "10.0.0.5"), 0);
  throttle.Failed("dana", "10.0.0.5");
  EXPECT_EQ(throttle.RetryAfter("dana", "10.0.0.5"), 60'000);
  for (int i = 0; i < 20; ++i) throttle.Failed("dana", "10.0.0.5");
  EXPECT_EQ(throttle.RetryAfter("dana", "10.0.0.5"), 15 * 60'000);  // capped
  clock.Advance(15 * 60'000);
  throttle.Succeeded("dana");
  EXPECT_EQ(throttle.RetryAfter("dana", "10.0.0.5"), 0);
}

TEST(LoginThrottleTest, AValidLoginBetweenGuessesDoesNotKeepTheAddressOpen) {
  FakeClock clock;
  hq::LoginThrottle throttle(clock);
  for (const char* guessed : {"li", "amira", "jonas", "paulo"}) throttle.Failed(guessed, "10.0.0.5");
  throttle.Succeeded("dana");  // the guesser's own account
  throttle.Failed("chief", "10.0.0.5");
  EXPECT_EQ(throttle.RetryAfter("dana", "10.0.0.5"), 30'000);
  EXPECT_EQ(throttle.RetryAfter("dana", "10.0.0.9"), 0);  // her account itself is not locked
  // Typos far apart never add up: an address's count quiet for the longest lock after
  // its lock ended starts again. An account's does not: it is guessed from many places.
  clock.Advance(30'000 + 15 * 60'000);
  throttle.Failed("li", "10.0.0.5");
  EXPECT_EQ(throttle.RetryAfter("li", "10.0.0.9"), 0);
  EXPECT_EQ(throttle.RetryAfter("nobody", "10.0.0.5"), 0);
  for (int i = 0; i < 4; ++i) throttle.Failed("li", "10.0.0.6");
  clock.Advance(60 * 60'000);
  throttle.Failed("li", "10.0.0.7");  // li's sixth failure, an hour on
  EXPECT_GT(throttle.RetryAfter("li", "10.0.0.8"), 0);
}

TEST(LoginThrottleTest, ItForgetsTheOldestUnlockedKeyWhenFull) {
  FakeClock clock;
  hq::LoginThrottle throttle(clock, {1, 1'000, 8'000, 4});
  throttle.Failed("a", "1");  // keys "a" and "1", both locked for 1 s
  clock.Advance(2'000);
  throttle.Failed("b", "2");  // four keys: the table is full
  throttle.Failed("c", "3");  // forgets "a" and "1", the oldest unlocked
  clock.Advance(1);
  throttle.Failed("a", "1");  // a first failure again: 1 s, where a second would be 2 s
  EXPECT_EQ(throttle.RetryAfter("a", "9"), 1'000);
  EXPECT_GT(throttle.RetryAfter("c", "9"), 0);
}

}  // namespace
}  // namespace muster::coordtest
