#include "muster/bundle.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>

#include "muster/files.h"
#include "muster/keys.h"
#include "temp_dir.h"

namespace muster {
namespace {

using nlohmann::json;
using muster::testing::TempDir;

Bundle MakeBundle() {
  auto agent = GenerateKeyPair();
  auto server = GenerateKeyPair();
  EXPECT_TRUE(agent.ok());
  EXPECT_TRUE(server.ok());
  Bundle bundle;
  bundle.agent_id = "agent-7";
  bundle.member_id = "m.okafor";
  bundle.endpoint = "tcp://127.0.0.1:7400";
  bundle.server_public_key = server->public_key;
  bundle.public_key = agent->public_key;
  bundle.secret_key = agent->secret_key;
  bundle.hq_id = "hq-3f2a";
  return bundle;
}

void ExpectSame(const Bundle& a, const Bundle& b) {
  EXPECT_EQ(a.agent_id, b.agent_id);
  EXPECT_EQ(a.member_id, b.member_id);
  EXPECT_EQ(a.endpoint, b.endpoint);
  EXPECT_EQ(a.server_public_key, b.server_public_key);
  EXPECT_EQ(a.public_key, b.public_key);
  EXPECT_EQ(a.secret_key, b.secret_key);
  EXPECT_EQ(a.hq_id, b.hq_id);
}

TEST(BundleTest, RoundTrip) {
  const Bundle bundle = MakeBundle();
  const std::string text = BundleToJson(bundle);
  EXPECT_EQ(json::parse(text)["format"], "muster-bundle/1");
  auto parsed = ParseBundle(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ExpectSame(*parsed, bundle);
}

// An installed bundle whose secret key the agent's vault sealed (agent/vault/secret_key.h).
TEST(BundleTest, ASealedSecretKeyRoundTripsWithoutItsPlainForm) {
  Bundle bundle = MakeBundle();
  bundle.secret_key.clear();
  bundle.sealed_secret_key = "00ff";
  const std::string text = BundleToJson(bundle);
  EXPECT_NE(text.find("\"sealed:00ff\""), std::string::npos) << text;
  auto parsed = ParseBundle(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->secret_key, "");
  EXPECT_EQ(parsed->sealed_secret_key, "00ff");
  EXPECT_EQ(parsed->hq_id, bundle.hq_id);
}

TEST(BundleTest, FileRoundTripRequiresAPrivateFile) {
  TempDir dir;
  const Bundle bundle = MakeBundle();
  ASSERT_TRUE(WriteFileAtomic(dir.File("b.json"), BundleToJson(bundle), 0600).ok());
  auto read = ReadBundleFile(dir.File("b.json"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ExpectSame(*read, bundle);
  ASSERT_EQ(::chmod(dir.File("b.json").c_str(), 0644), 0);
  EXPECT_EQ(ReadBundleFile(dir.File("b.json")).status().code(), ErrorCode::kInsecureFile);
  EXPECT_FALSE(ReadBundleFile(dir.File("missing.json")).ok());
}

TEST(BundleTest, RefusesWhatIsNotABundle) {
  for (const std::string text :
       {"", "{", "null", "[]", "\"muster-bundle/1\"", "{}", R"({"format":"muster-bundle/2"})",
        R"({"format":"other"})"}) {
    auto parsed = ParseBundle(text);
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidBundle) << text;
  }
}

TEST(BundleTest, RefusesAWrongTypedFormatWithoutThrowing) {
  // Errors are values: a number where the format string belongs must not throw.
  for (const std::string text : {R"({"format": 1})", R"({"format": null})",
                                 R"({"format": ["muster-bundle/1"]})"}) {
    Result<Bundle> parsed = Status::Ok();
    EXPECT_NO_THROW(parsed = ParseBundle(text)) << text;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidBundle) << text;
  }
}

TEST(BundleTest, EachFieldIsRequiredNonEmptyAndAString) {
  const std::string good = BundleToJson(MakeBundle());
  for (const char* field : {"agent_id", "member_id", "endpoint", "server_public_key",
                            "public_key", "secret_key", "hq_id"}) {
    json missing = json::parse(good);
    missing.erase(field);
    auto a = ParseBundle(missing.dump());
    EXPECT_EQ(a.status().code(), ErrorCode::kInvalidBundle) << field;
    EXPECT_NE(a.status().message().find(field), std::string::npos) << a.status().message();

    json empty = json::parse(good);
    empty[field] = "";
    EXPECT_EQ(ParseBundle(empty.dump()).status().code(), ErrorCode::kInvalidBundle) << field;

    json number = json::parse(good);
    number[field] = 42;
    EXPECT_EQ(ParseBundle(number.dump()).status().code(), ErrorCode::kInvalidBundle) << field;
  }
}

TEST(BundleTest, RefusesDamagedKeys) {
  const std::string good = BundleToJson(MakeBundle());
  for (const char* field : {"server_public_key", "public_key", "secret_key"}) {
    json damaged = json::parse(good);
    damaged[field] = damaged[field].get<std::string>().substr(0, 39);
    auto parsed = ParseBundle(damaged.dump());
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidBundle) << field;
    EXPECT_NE(parsed.status().message().find("damaged key"), std::string::npos);
  }
}

TEST(BundleTest, IgnoresUnknownFields) {
  json text = json::parse(BundleToJson(MakeBundle()));
  text["comment"] = "issued at the exercise";
  EXPECT_TRUE(ParseBundle(text.dump()).ok());
}

}  // namespace
}  // namespace muster
