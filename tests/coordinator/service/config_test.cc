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
  EXPECT_EQ(config->api_tls, hq::TlsMode::kAuto);
  EXPECT_TRUE(config->api_tls_cert.empty());
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->agent_messages_per_second, 50);
  EXPECT_EQ(config->agent_message_burst, 200);
  EXPECT_FALSE(config->playbook_signatures_required);
}

TEST_F(ConfigTest, PlaybookSignaturesAreOptionalOrRequired) {
  auto required = Load("playbook_signatures: required\n");
  ASSERT_TRUE(required.ok()) << required.status().ToString();
  EXPECT_TRUE(required->playbook_signatures_required);
  auto wrong = Load("log_level: info\nplaybook_signatures: always\n");
  ASSERT_EQ(wrong.status().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(wrong.status().message().find(":2: playbook_signatures 'always' is not one of "
                                          "optional, required"),
            std::string::npos)
      << wrong.status().message();
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

TEST_F(ConfigTest, TheApiTlsKeysAreReadAndContradictionsRefusedNamingTheFix) {
  auto config = Load("api:\n  bind: 0.0.0.0\n  tls: on\n  tls_cert: /etc/muster/api.crt\n"
                     "  tls_key: /etc/muster/api.key\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->api_tls, hq::TlsMode::kOn);
  EXPECT_EQ(config->api_tls_cert, "/etc/muster/api.crt");
  EXPECT_EQ(config->api_tls_key, "/etc/muster/api.key");
  EXPECT_EQ(hq::ApiServesTls(*config).value(), true);

  auto loopback = Load("api:\n  tls: auto\n");
  ASSERT_TRUE(loopback.ok());
  EXPECT_EQ(hq::ApiServesTls(*loopback).value(), false);
  auto off = Load("api:\n  tls: off\n");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->api_tls, hq::TlsMode::kOff);

  auto misspelt = Load("api:\n  bind: 127.0.0.1\n  tls: yes\n");
  ASSERT_FALSE(misspelt.ok());
  EXPECT_NE(misspelt.status().message().find(":3:"), std::string::npos);
  EXPECT_NE(misspelt.status().message().find("auto, on, off"), std::string::npos);

  auto clear = Load("api:\n  bind: 0.0.0.0\n  tls: off\n");
  ASSERT_FALSE(clear.ok());
  EXPECT_EQ(clear.status().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(clear.status().message().find("api.tls: off"), std::string::npos)
      << clear.status().message();

  auto half = Load("api:\n  tls_cert: /etc/muster/api.crt\n");
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("api.tls_key"), std::string::npos);
}

TEST_F(ConfigTest, AFileWithEveryKeyCommentedOutGivesTheDefaults) {
  auto config = Load("# muster-coordinator configuration\n# data_dir: /var/lib/muster\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->data_dir, hq::Config{}.data_dir);
  EXPECT_EQ(config->api_port, hq::Config{}.api_port);
}

}  // namespace
}  // namespace muster::coordtest
