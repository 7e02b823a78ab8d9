// `muster playbook keygen|sign|verify`: an author's key file, FILE.sig, and the offline
// check, with and without --json.
#include "playbook_commands.h"
#include "signature_commands.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "muster/files.h"

namespace muster::console {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kBorder =
    std::string(MUSTER_SOURCE_DIR) + "/playbooks/radioactive-material-border-seizure.yaml";

class SignatureCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    dir_ = fs::temp_directory_path() / ("muster-signature-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "lib");
    // A copy of the border playbook and its libraries, to sign and to tamper with.
    fs::copy(fs::path(kBorder).parent_path() / "lib", dir_ / "lib",
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    fs::copy_file(kBorder, Path("border.yaml"));
    key_ = Path("okafor.key");
    ASSERT_EQ(KeygenCommand("okafor", key_, false, out_, err_), 0) << err_.str();
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }
  json JsonOf(int expected, int code) {
    EXPECT_EQ(code, expected) << out_.str() << err_.str();
    return json::parse(out_.str());
  }
  void Clear() {
    out_.str("");
    err_.str("");
  }
  fs::path dir_;
  std::string key_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(SignatureCommandsTest, KeygenWritesAPrivateKeyFileAndPrintsThePublicKey) {
  struct stat info {};
  ASSERT_EQ(::stat(key_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_NE(out_.str().find("muster author add okafor --key "), std::string::npos) << out_.str();
  Clear();
  EXPECT_EQ(KeygenCommand("okafor", key_, false, out_, err_), 1) << "never overwritten";
  Clear();
  const json answer = JsonOf(0, KeygenCommand("haddad", Path("haddad.key"), true, out_, err_));
  EXPECT_EQ(answer["author"], "haddad");
  EXPECT_EQ(answer["key_id"].get<std::string>().size(), 16u);
  EXPECT_EQ(answer["public_key"].get<std::string>().size(), 44u);
  Clear();
  EXPECT_EQ(JsonOf(2, KeygenCommand("", Path("x.key"), true, out_, err_))["error"]["code"],
            "invalid_argument");
}

TEST_F(SignatureCommandsTest, SignWritesTheSigAndVerifyChecksIt) {
  Clear();
  ASSERT_EQ(SignCommand(Path("border.yaml"), key_, false, out_, err_), 0) << err_.str();
  EXPECT_TRUE(fs::exists(Path("border.yaml.sig")));
  EXPECT_NE(out_.str().find("signed by okafor"), std::string::npos);
  Clear();
  EXPECT_EQ(VerifyCommand(Path("border.yaml"), "", false, out_, err_), 0) << err_.str();
  EXPECT_NE(out_.str().find("the signature holds"), std::string::npos);
  Clear();
  const json verdict = JsonOf(0, VerifyCommand(Path("border.yaml"), "", true, out_, err_));
  EXPECT_EQ(verdict["valid"], true);
  EXPECT_EQ(verdict["author"], "okafor");
  Clear();
  const json signed_answer = JsonOf(0, SignCommand(Path("border.yaml"), key_, true, out_, err_));
  EXPECT_EQ(signed_answer["signature_file"], Path("border.yaml.sig"));
  EXPECT_EQ(signed_answer["content_hash"], verdict["content_hash"]);
}

TEST_F(SignatureCommandsTest, AnEditAfterSigningFailsVerification) {
  ASSERT_EQ(SignCommand(Path("border.yaml"), key_, false, out_, err_), 0);
  std::ofstream(Path("border.yaml"), std::ios::app) << "# edited after signing\n";
  Clear();
  EXPECT_EQ(VerifyCommand(Path("border.yaml"), "", false, out_, err_), 1);
  EXPECT_NE(err_.str().find("not for this playbook"), std::string::npos) << err_.str();
  Clear();
  const json verdict = JsonOf(1, VerifyCommand(Path("border.yaml"), "", true, out_, err_));
  EXPECT_EQ(verdict["valid"], false);
  EXPECT_TRUE(verdict["problem"].is_string());
  // So does an edit of an included library: the hash covers the whole text.
  ASSERT_EQ(SignCommand(Path("border.yaml"), key_, false, out_, err_), 0);
  std::ofstream(Path("lib/common-steps.yaml"), std::ios::app) << "# edited\n";
  Clear();
  EXPECT_EQ(VerifyCommand(Path("border.yaml"), "", false, out_, err_), 1);
}

TEST_F(SignatureCommandsTest, ShowSaysTheWindowOfValidity) {
  std::string text = ReadFile(Path("border.yaml")).value();
  text.replace(text.find("\nversion:"), 1, "\nvalid_until: 2026-12-31\n");
  std::ofstream(Path("border.yaml"), std::ios::trunc) << text;
  Clear();
  ASSERT_EQ(ShowCommand(Path("border.yaml"), false, out_, err_), 0) << err_.str();
  EXPECT_NE(out_.str().find("valid: from any time until 2026-12-31 (UTC)"), std::string::npos)
      << out_.str();
  Clear();
  ASSERT_EQ(ShowCommand(Path("border.yaml"), true, out_, err_), 0);
  EXPECT_EQ(json::parse(out_.str())["valid_until"], "2026-12-31");
}

TEST_F(SignatureCommandsTest, SignRefusesAPlaybookWithLintErrors) {
  std::ofstream(Path("broken.yaml")) << "id: broken\nversion: \"1\"\n";
  EXPECT_EQ(SignCommand(Path("broken.yaml"), key_, false, out_, err_), 1);
  EXPECT_NE(err_.str().find("does not pass lint"), std::string::npos) << err_.str();
  EXPECT_FALSE(fs::exists(Path("broken.yaml.sig")));
  Clear();
  EXPECT_EQ(JsonOf(1, SignCommand(Path("broken.yaml"), key_, true, out_, err_))["error"]["code"],
            "invalid_playbook");
}

TEST_F(SignatureCommandsTest, AKeyFileOthersCanReadOrThatIsNotAKeyIsRefused) {
  fs::permissions(key_, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_EQ(SignCommand(Path("border.yaml"), key_, false, out_, err_), 1);
  Clear();
  std::ofstream(Path("other.key")) << "{\"kind\": \"something\"}";
  fs::permissions(Path("other.key"), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(SignCommand(Path("border.yaml"), Path("other.key"), false, out_, err_), 1);
  Clear();
  EXPECT_EQ(VerifyCommand(Path("border.yaml"), Path("missing.sig"), false, out_, err_), 1)
      << "no signature to check";
}

}  // namespace
}  // namespace muster::console
