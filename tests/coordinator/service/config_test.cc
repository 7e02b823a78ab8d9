// LoadConfig: the shipped example, unknown keys and bad values, on real files.
#include <gtest/gtest.h>

#include "service/config.h"
#include "muster/files.h"
#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  Result<hq::Config> Load(const std::string& text) {
    const std::string path = dir_.File("coordinator.yaml");
    Status written = WriteFileAtomic(path, text, 0644);
    EXPECT_TRUE(written.ok()) << written.ToString();
    return hq::LoadConfig(path);
  }
  TempDir dir_;
};

TEST_F(ConfigTest, TheShippedExampleLoads) {
  auto config = hq::LoadConfig(std::string(MUSTER_SOURCE_DIR) + "/config/coordinator.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->data_dir, "/var/lib/muster");
  EXPECT_EQ(config->agent_bind, "tcp://0.0.0.0:7470");
  EXPECT_EQ(config->public_endpoint, "tcp://hq.example.org:7470");
  EXPECT_EQ(config->api_bind, "127.0.0.1");
  EXPECT_EQ(config->api_port, 7471);
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->agent_messages_per_second, 50);
  EXPECT_EQ(config->agent_message_burst, 200);
}

TEST_F(ConfigTest, GivenKeysOverrideTheDefaults) {
  auto config = Load("data_dir: /srv/muster\nagents:\n  bind: tcp://127.0.0.1:*\napi:\n  port: 0\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->data_dir, "/srv/muster");
  EXPECT_EQ(config->agent_bind, "tcp://127.0.0.1:*");
  EXPECT_EQ(config->api_port, 0);
  EXPECT_EQ(config->api_bind, "127.0.0.1");  // default kept
  EXPECT_TRUE(config->public_endpoint.empty());
}

TEST_F(ConfigTest, UnknownKeysAreErrorsNamingTheLine) {
  auto top = Load("data_dir: /srv/muster\ndata_dri: /tmp\n");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.status().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(top.status().message().find(":2:"), std::string::npos) << top.status().message();
  EXPECT_NE(top.status().message().find("data_dri"), std::string::npos);

  auto nested = Load("api:\n  bind: 127.0.0.1\n  prot: 80\n");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(nested.status().message().find("prot"), std::string::npos);
}

TEST_F(ConfigTest, BadValuesAreErrorsNotExceptions) {
  for (const char* text : {"api:\n  port: 70000\n", "api:\n  port: -1\n", "api:\n  port: http\n",
                           "data_dir: [a, b]\n", "agents: [a, b]\n", "- just\n- a list\n",
                           "key: [unclosed\n", "agents:\n  messages_per_second: 0\n",
                           "agents:\n  message_burst: 0.5\n"}) {
    auto config = Load(text);
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.status().code(), ErrorCode::kInvalidConfig) << text;
  }
  auto missing = hq::LoadConfig(dir_.File("nope.yaml"));
  EXPECT_FALSE(missing.ok());
}

TEST_F(ConfigTest, AFileWithEveryKeyCommentedOutGivesTheDefaults) {
  auto config = Load("# muster-coordinator configuration\n# data_dir: /var/lib/muster\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->data_dir, hq::Config{}.data_dir);
  EXPECT_EQ(config->api_port, hq::Config{}.api_port);
}

}  // namespace
}  // namespace muster::coordtest
