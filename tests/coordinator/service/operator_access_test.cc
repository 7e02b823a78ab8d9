// Named operators at the API over real HTTP (issue 16, item 1): every route checks the
// caller's role and a refusal is audited; logins are slowed after failures; a browser's
// session is a strict cookie whose changes need the CSRF secret; a session that ended
// opens nothing. (The store side with a FakeClock: tests/coordinator/access.)
#include <gtest/gtest.h>

#include "coordinator_fixture.h"

namespace muster::coordtest {
namespace {

class OperatorAccessTest : public CoordinatorTest {
 protected:
  void SetUp() override {
    CoordinatorTest::SetUp();
    StartHq();
    port_ = ApiHostPort().second;
  }
  HttpReply Call(const std::string& method, const std::string& path,
                 const std::vector<std::string>& headers, const std::string& body = "{}") {
    return RawHttp(port_, method, path, headers, body);
  }
  json Audit(const std::string& action) {
    auto entries =
        console::ApiClient(hq_->api_url(), hq_->api_token()).Get("/v1/audit?action=" + action);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    return entries.ok() ? *entries : json::array();
  }
  HttpReply WebLogin(const std::string& name) {
    return Call("POST", "/v1/login", {},
                json{{"operator", name}, {"password", kTestPassword}, {"client", "web"}}.dump());
  }
  int port_ = 0;
};

std::string HeaderValue(const HttpReply& reply, const std::string& name) {
  const auto at = reply.head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const auto start = at + name.size() + 4;
  return reply.head.substr(start, reply.head.find("\r\n", start) - start);
}

TEST_F(OperatorAccessTest, AViewerCannotDeployAndTheRefusalIsAuditedUnderTheirName) {
  Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Portal alarm"}});
  auto viewer = LogIn("vic", "viewer");
  auto incidents = viewer->Get("/v1/incidents");
  ASSERT_TRUE(incidents.ok()) << incidents.status().ToString();
  EXPECT_EQ(incidents->size(), 1u);
  auto deploy = viewer->Post("/v1/deployments", {{"incident", "INC-1"}, {"playbook_file", "x"}});
  EXPECT_EQ(deploy.status().code(), ErrorCode::kForbidden);
  EXPECT_NE(deploy.status().message().find("vic is a viewer"), std::string::npos)
      << deploy.status().message();
  json refused = Audit("access.refused");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0]["actor"], "vic");
  EXPECT_EQ(refused[0]["subject"], "POST /v1/deployments");
  EXPECT_EQ(refused[0]["detail"]["needs"], "operate");
  EXPECT_EQ(refused[0]["origin"].get<std::string>().rfind("api 127.0.0.1:", 0), 0u);
}

TEST_F(OperatorAccessTest, EachRoleReachesItsRoutesAndNoOthers) {
  auto officer = LogIn("dana", "officer");
  auto author = LogIn("pat", "author");
  auto admin = LogIn("root", "administrator");
  EXPECT_TRUE(officer->Post("/v1/incidents", {{"id", "INC-2"}, {"title", "Lab spill"}}).ok());
  EXPECT_TRUE(officer->Post("/v1/members", {{"id", "amira"}, {"roles", {"team_leader"}}}).ok());
  EXPECT_EQ(officer->Post("/v1/agents", {{"member", "amira"}}).status().code(),
            ErrorCode::kForbidden);
  EXPECT_EQ(officer->Get("/v1/operators").status().code(), ErrorCode::kForbidden);
  EXPECT_EQ(officer->Post("/v1/playbooks", {{"source", "id: x"}}).status().code(),
            ErrorCode::kForbidden);
  // The author reaches the library (the playbook itself is refused for what it says).
  EXPECT_EQ(author->Post("/v1/playbooks", {{"source", "id: x"}}).status().code(),
            ErrorCode::kInvalidPlaybook);
  EXPECT_EQ(author->Post("/v1/incidents", {{"id", "INC-3"}, {"title", "x"}}).status().code(),
            ErrorCode::kForbidden);
  EXPECT_TRUE(admin->Post("/v1/agents", {{"member", "amira"}}).ok());
  auto operators = admin->Get("/v1/operators");
  ASSERT_TRUE(operators.ok());
  EXPECT_EQ(operators->size(), 3u);
  // The audit names who did each change.
  json created = Audit("incident.create");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0]["actor"], "dana");
  json enrolled = Audit("agent.enroll");
  ASSERT_EQ(enrolled.size(), 1u);
  EXPECT_EQ(enrolled[0]["actor"], "root");
  EXPECT_EQ(Audit("access.refused").size(), 4u);
}

TEST_F(OperatorAccessTest, NoCredentialsOrAnEndedSessionAreUnauthorized) {
  EXPECT_EQ(Call("GET", "/v1/incidents", {}).status, 401);
  EXPECT_EQ(Call("GET", "/v1/incidents", {"Authorization: Bearer mst_0000"}).status, 401);
  auto dana = LogIn("dana", "officer");
  ASSERT_TRUE(dana->Get("/v1/session").ok());
  EXPECT_EQ((*dana->Get("/v1/session"))["operator"], "dana");
  ASSERT_TRUE(dana->Post("/v1/logout", json::object()).ok());
  auto after = dana->Get("/v1/incidents");
  EXPECT_EQ(after.status().code(), ErrorCode::kUnauthorized);
  EXPECT_NE(after.status().message().find("log in again"), std::string::npos);

  auto li = LogIn("li", "officer");
  ASSERT_TRUE(Post("/v1/operators/li/disable", json::object())["disabled"].get<bool>());
  EXPECT_EQ(li->Get("/v1/incidents").status().code(), ErrorCode::kUnauthorized);
  // A disabled account cannot log in again either.
  auto again = console::ApiClient(hq_->api_url(), "")
                   .Post("/v1/login", {{"operator", "li"}, {"password", kTestPassword}});
  EXPECT_EQ(again.status().code(), ErrorCode::kUnauthorized);
  // The break-glass token is an administrator that says so.
  auto session = api_->Get("/v1/session");
  ASSERT_TRUE(session.ok());
  EXPECT_EQ((*session)["operator"], "break-glass");
  EXPECT_EQ((*session)["break_glass"], true);
}

TEST_F(OperatorAccessTest, RepeatedWrongPasswordsAreSlowedEvenForTheRightOneAndAudited) {
  LogIn("dana", "officer");
  console::ApiClient anonymous(hq_->api_url(), "");
  for (int i = 0; i < 5; ++i) {
    auto wrong = anonymous.Post(
        "/v1/login",
        {{"operator", "dana"}, {"password", "guess " + std::to_string(i) + " of many"}});
    EXPECT_EQ(wrong.status().code(), ErrorCode::kUnauthorized);
    EXPECT_EQ(wrong.status().message().find(kTestPassword), std::string::npos);
  }
  HttpReply locked =
      Call("POST", "/v1/login", {}, json{{"operator", "dana"}, {"password", kTestPassword}}.dump());
  EXPECT_EQ(locked.status, 429) << locked.body;
  EXPECT_EQ(HeaderValue(locked, "Retry-After"), "30");
  json refused = Audit("operator.login_refused");
  ASSERT_EQ(refused.size(), 5u);
  EXPECT_EQ(refused[0]["detail"]["reason"], "wrong password");
  // An unknown name is refused with the same words.
  auto unknown = anonymous.Post("/v1/login", {{"operator", "nobody"}, {"password", kTestPassword}});
  EXPECT_EQ(unknown.status().code(), ErrorCode::kRateLimited);  // same address, now locked
}

TEST_F(OperatorAccessTest, ABrowserSessionIsAStrictCookieAndItsChangesNeedTheCsrfSecret) {
  LogIn("dana", "officer");
  HttpReply login = WebLogin("dana");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string cookie = HeaderValue(login, "Set-Cookie");
  for (const char* attribute : {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"}) {
    EXPECT_NE(cookie.find(attribute), std::string::npos) << cookie;
  }
  json session = json::parse(login.body);
  EXPECT_FALSE(session.contains("token"));  // script never sees the token
  const std::string csrf = session["csrf"];
  const std::string pair = cookie.substr(0, cookie.find(';'));
  ASSERT_EQ(pair.rfind("muster_session=mst_", 0), 0u) << pair;

  EXPECT_EQ(Call("GET", "/v1/incidents", {"Cookie: theme=dark; " + pair}).status, 200);
  const std::string incident = R"({"id": "INC-9", "title": "Parcel"})";
  EXPECT_EQ(Call("POST", "/v1/incidents", {"Cookie: " + pair}, incident).status, 403);
  EXPECT_EQ(Call("POST", "/v1/incidents",
                 {"Cookie: " + pair, "X-Muster-CSRF: " + std::string(64, 'a')}, incident)
                .status,
            403);
  HttpReply made =
      Call("POST", "/v1/incidents", {"Cookie: " + pair, "X-Muster-CSRF: " + csrf}, incident);
  EXPECT_EQ(made.status, 201) << made.body;
  json created = Audit("incident.create");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0]["actor"], "dana");
  // Logging out clears the cookie and ends the session.
  HttpReply out = Call("POST", "/v1/logout", {"Cookie: " + pair, "X-Muster-CSRF: " + csrf});
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(HeaderValue(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Call("GET", "/v1/incidents", {"Cookie: " + pair}).status, 401);
}

}  // namespace
}  // namespace muster::coordtest
