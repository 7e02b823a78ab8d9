// `muster export archive` at the console (console/archive_commands.h) against a real HTTP
// server on 127.0.0.1 that answers as HQ would, and as a broken or hostile HQ might: the
// console writes the folder only when everything HQ sent matches the signed manifest,
// never outside --out, and leaves nothing behind when it refuses.
#include "archive_commands.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "muster/digest.h"
#include "muster/files.h"
#include "temp_dir.h"

namespace muster::console {
namespace {

namespace fs = std::filesystem;
using muster::testing::TempDir;

class ArchiveFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = archive::LoadOrCreateSigningKey(dir_.File("hq.key")).value();
    server_.Post(R"(/v1/incidents/([^/]+)/archive)",
                 [this](const httplib::Request&, httplib::Response& response) {
                   response.status = 201;
                   response.set_content(answer_.dump(), "application/json");
                 });
    server_.Get(R"(/v1/attachments/(\d+)/content)",
                [this](const httplib::Request&, httplib::Response& response) {
                  response.set_content(photo_sent_, "application/octet-stream");
                });
    // Bound and listening here: a request made before the thread accepts it waits.
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the loop runs would be lost, and TearDown would wait for ever.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    out_ = dir_.File("archives/INC-1");
    fs::create_directories(dir_.File("archives"));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  // HQ's answer with |parts| and the photo, its manifest listing |listed| (the parts and
  // the photo when empty), signed with HQ's key.
  void Answer(const std::map<std::string, std::string>& parts,
              std::vector<archive::ArchiveFile> listed = {}) {
    archive::Manifest manifest;
    manifest.incident = "INC-1";
    manifest.hq = "hq";
    manifest.created_at = "2026-12-07T10:00:00Z";
    manifest.created_by = "amira";
    manifest.audit_head = std::string(64, '0');
    if (listed.empty()) {
      for (const auto& [path, text] : parts) {
        listed.push_back({path, Sha256Hex(text), static_cast<std::int64_t>(text.size())});
      }
      listed.push_back({"attachments/1-scene.jpg", Sha256Hex(photo_),
                        static_cast<std::int64_t>(photo_.size())});
    }
    manifest.files = listed;
    const std::string text = manifest.Encode().dump(2) + "\n";
    answer_ = {{"manifest", text},
               {"signature", archive::SignManifest(text, key_).value().Encode()},
               {"parts", parts},
               {"attachments",
                {{{"id", 1},
                  {"path", "attachments/1-scene.jpg"},
                  {"sha256", Sha256Hex(photo_)},
                  {"bytes", photo_.size()}}}}};
  }
  Result<ArchiveWritten> Fetch() {
    ApiClient api("http://127.0.0.1:" + std::to_string(port_), "token");
    return FetchArchive(api, "INC-1", "TLP:GREEN", out_);
  }
  // Nothing but the folder for archives, empty, and the key beside it.
  void ExpectNothingWritten() {
    EXPECT_TRUE(fs::is_empty(dir_.File("archives")));
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_.path())) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"archives", "hq.key"}));
  }

  TempDir dir_;
  archive::SigningKey key_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  json answer_;
  const std::string photo_ = std::string(5000, 'j');
  std::string photo_sent_ = photo_;
  std::string out_;
};

TEST_F(ArchiveFetchTest, WhatHqSignedIsWrittenAndChecks) {
  Answer({{"incident.json", "{\"id\": \"INC-1\"}\n"}, {"findings.json", "[]\n"}});
  auto written = Fetch();
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->key_id, key_.key_id);
  EXPECT_EQ(ReadFile(out_ + "/attachments/1-scene.jpg").value(), photo_);
  auto verdict = archive::VerifyFolder(out_, key_.pair.public_key);
  ASSERT_TRUE(verdict.ok());
  EXPECT_TRUE(verdict->valid());
  EXPECT_EQ(verdict->files_checked, 3);
}

TEST_F(ArchiveFetchTest, AFileThatDoesNotMatchTheManifestWritesNothing) {
  Answer({{"incident.json", "{}\n"}});
  photo_sent_ = photo_.substr(1) + "k";  // changed on the way
  auto written = Fetch();
  EXPECT_EQ(written.status().code(), ErrorCode::kDamaged);
  EXPECT_NE(written.status().message().find("attachments/1-scene.jpg does not match"),
            std::string::npos)
      << written.status().message();
  ExpectNothingWritten();
}

TEST_F(ArchiveFetchTest, APathOutOfTheFolderIsRefusedBeforeAnythingIsWritten) {
  Answer({{"incident.json", "{}\n"}, {"../../escaped.json", "{}\n"}});
  auto written = Fetch();
  EXPECT_EQ(written.status().code(), ErrorCode::kDamaged);
  EXPECT_NE(written.status().message().find("outside the archive's rules"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_.File("escaped.json")));
  ExpectNothingWritten();
}

TEST_F(ArchiveFetchTest, APartTheManifestDoesNotListOrAFileNotSentIsRefused) {
  Answer({{"incident.json", "{}\n"}});
  answer_["parts"]["extra.json"] = "{}\n";
  EXPECT_EQ(Fetch().status().code(), ErrorCode::kDamaged);
  ExpectNothingWritten();

  Answer({{"incident.json", "{}\n"}},
         {{"incident.json", Sha256Hex("{}\n"), 3}, {"findings.json", Sha256Hex("[]"), 2}});
  answer_["attachments"] = json::array();
  auto missing = Fetch();
  EXPECT_EQ(missing.status().code(), ErrorCode::kDamaged);
  EXPECT_NE(missing.status().message().find("findings.json, which HQ did not send"),
            std::string::npos)
      << missing.status().message();
  ExpectNothingWritten();
}

TEST_F(ArchiveFetchTest, AnAnswerThatIsNoArchiveIsRefusedWithoutACrash) {
  for (const json& answer :
       {json::object(), json{{"manifest", 3}}, json{{"manifest", "{}"}, {"parts", json::object()},
                                                    {"attachments", json::array()},
                                                    {"signature", json::object()}}}) {
    answer_ = answer;
    EXPECT_EQ(Fetch().status().code(), ErrorCode::kDamaged) << answer.dump();
  }
  Answer({{"incident.json", "{}\n"}});
  answer_["attachments"][0].erase("id");
  EXPECT_EQ(Fetch().status().code(), ErrorCode::kDamaged);
  ExpectNothingWritten();
}

TEST_F(ArchiveFetchTest, AnExistingFolderIsNeverWrittenInto) {
  fs::create_directories(out_);
  Answer({{"incident.json", "{}\n"}});
  EXPECT_EQ(Fetch().status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(fs::is_empty(out_));
}

}  // namespace
}  // namespace muster::console
