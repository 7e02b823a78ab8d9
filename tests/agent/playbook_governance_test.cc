// The agent's side of playbook governance, on a real store: a playbook is applied only
// when its text matches its hash and its author's signature holds; a tampered one is
// refused (not stored; its tasks and `status` say why) and a store edited on disk is
// caught when the playbook is read back. HQ's revocations mark the tasks of a version.
#include <SQLiteCpp/Database.h>
#include <sodium.h>

#include <sstream>

#include "agent_fixture.h"
#include "muster/digest.h"
#include "muster/playbook/signature.h"
#include "muster/wire/deliveries.h"
#include "verbs.h"

namespace muster::agent::testing {
namespace {

using nlohmann::json;
namespace pb = muster::playbook;

class AgentPlaybookGovernanceTest : public AgentTest {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    AgentTest::SetUp();
    key_ = pb::GenerateAuthorKey("okafor").value();
  }
  // The border playbook as HQ sends it when okafor signed it.
  wire::PlaybookDelivery Signed() {
    return wire::PlaybookDelivery::Of(BorderSeizure(),
                                      pb::Sign(BorderSeizure().content_hash, key_).value());
  }
  // Applies |playbook| at seq 1 and one task of it at seq 2; both count as applied.
  void Apply(const wire::PlaybookDelivery& playbook) {
    auto applied = store_->ApplyDeliveries(
        {wire::MakeDelivery(1, 1'700'000'000'000, playbook),
         TaskDelivery(2, {.step = "secondary_inspection", .state = "ready"})});
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    EXPECT_EQ(*applied, 2u);
  }
  std::string Verb(Status (*verb)(AgentStore&, const Clock&, bool, std::ostream&), bool as_json) {
    std::ostringstream out;
    Status status = verb(*store_, clock_, as_json, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out.str();
  }
  std::int64_t StoredPlaybooks() {
    return RawStore()->execAndGet("SELECT COUNT(*) FROM playbooks").getInt64();
  }
  // The refusal every way the member can see it.
  void ExpectRefused(const std::string& why) {
    EXPECT_EQ(StoredPlaybooks(), 0);
    const json tasks = json::parse(Verb(ListTasks, true));
    ASSERT_EQ(tasks.size(), 1u);
    const std::string notice = tasks[0]["playbook_notice"];
    EXPECT_EQ(notice.rfind("REFUSED playbook: ", 0), 0u) << notice;
    EXPECT_NE(notice.find(why), std::string::npos) << notice;
    EXPECT_NE(Verb(ListTasks, false).find("[REFUSED playbook: "), std::string::npos);
    std::ostringstream shown;
    Status show = ShowTask(*store_, "secondary_inspection", false, shown);
    EXPECT_EQ(show.code(), ErrorCode::kInvalidPlaybook);
    EXPECT_NE(show.message().find("REFUSED"), std::string::npos) << show.message();
    const json status = json::parse(Verb(ShowStatus, true));
    ASSERT_EQ(status["playbooks_refused"].size(), 1u);
    EXPECT_EQ(status["playbooks_refused"][0]["id"], BorderSeizure().id);
    EXPECT_NE(Verb(ShowStatus, false).find("Playbook:   REFUSED " + BorderSeizure().id),
              std::string::npos);
  }

  pb::AuthorKey key_;
};

TEST_F(AgentPlaybookGovernanceTest, ASignedPlaybookIsAppliedWithItsSignature) {
  Apply(Signed());
  auto book = store_->PlaybookByHash(BorderSeizure().content_hash);
  ASSERT_TRUE(book.ok()) << book.status().ToString();
  auto signature = store_->PlaybookSignature(BorderSeizure().content_hash);
  ASSERT_TRUE(signature.ok() && *signature);
  EXPECT_EQ((*signature)->author, "okafor");
  EXPECT_TRUE(json::parse(Verb(ShowStatus, true))["playbooks_refused"].empty());
}

TEST_F(AgentPlaybookGovernanceTest, AChangedByteOfASignedPlaybookIsRefused) {
  wire::PlaybookDelivery tampered = Signed();
  tampered.source[tampered.source.find("title:") + 7] ^= 1;
  Apply(tampered);
  ExpectRefused("changed on the way or on disk");
}

TEST_F(AgentPlaybookGovernanceTest, ARehashedTextStillMeetsTheSignature) {
  wire::PlaybookDelivery tampered = Signed();
  tampered.source += "# one more line\n";
  tampered.hash = Sha256Hex(tampered.source);
  auto applied = store_->ApplyDeliveries(
      {wire::MakeDelivery(1, 1'700'000'000'000, tampered),
       TaskDelivery(2, {.step = "secondary_inspection", .state = "ready"})});
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(StoredPlaybooks(), 0);
  auto source = store_->PlaybookSource(tampered.hash);
  EXPECT_EQ(source.status().code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(source.status().message().find("okafor"), std::string::npos)
      << source.status().message();
}

TEST_F(AgentPlaybookGovernanceTest, AForgedSignatureIsRefused) {
  wire::PlaybookDelivery forged = Signed();
  const pb::AuthorKey mallory = pb::GenerateAuthorKey("okafor").value();  // same name
  forged.signature->public_key = mallory.public_key;
  forged.signature->key_id = mallory.key_id;
  Apply(forged);
  ExpectRefused("does not match this playbook");
}

TEST_F(AgentPlaybookGovernanceTest, AMalformedSignatureIsRefusedNotSkipped) {
  json body = Signed().Encode();
  body["signature"].erase("public_key");
  auto applied = store_->ApplyDeliveries(
      {{1, "playbook", 1'700'000'000'000, body},
       TaskDelivery(2, {.step = "secondary_inspection", .state = "ready"})});
  ASSERT_TRUE(applied.ok());
  ExpectRefused("public_key");
}

TEST_F(AgentPlaybookGovernanceTest, AnUnsignedPlaybookWhoseTextIsNotItsHashIsRefused) {
  wire::PlaybookDelivery tampered = wire::PlaybookDelivery::Of(BorderSeizure(), std::nullopt);
  tampered.source[tampered.source.find("title:") + 7] ^= 1;
  Apply(tampered);
  ExpectRefused("hashes to");
}

TEST_F(AgentPlaybookGovernanceTest, AGoodCopyLaterEndsTheRefusal) {
  wire::PlaybookDelivery tampered = Signed();
  tampered.source[10] ^= 1;
  Apply(tampered);
  ASSERT_TRUE(store_->ApplyDeliveries({wire::MakeDelivery(3, 1'700'000'000'000, Signed())}).ok());
  EXPECT_TRUE(store_->PlaybookByHash(BorderSeizure().content_hash).ok());
  EXPECT_TRUE(json::parse(Verb(ShowStatus, true))["playbooks_refused"].empty());
  EXPECT_EQ(json::parse(Verb(ListTasks, true))[0]["playbook_notice"], "");
}

TEST_F(AgentPlaybookGovernanceTest, AStoreEditedOnDiskIsCaughtWhenThePlaybookIsRead) {
  Apply(Signed());
  {
    auto db = RawStore();
    db->exec("UPDATE playbooks SET source=replace(source, 'title:', 'title: EDITED')");
  }
  auto reopened = OpenAnother();
  auto book = reopened->PlaybookByHash(BorderSeizure().content_hash);
  ASSERT_EQ(book.status().code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(book.status().message().find("does not hold any more"), std::string::npos)
      << book.status().message();
  std::ostringstream out;
  EXPECT_TRUE(ListTasks(*reopened, clock_, false, out).ok()) << "listing still works";
  // The signature relabelled with another author's name: caught the same way.
  {
    auto db = RawStore();
    db->exec("UPDATE playbooks SET source=replace(source, 'title: EDITED', 'title:')");
    db->exec("UPDATE playbooks SET signature=json_set(signature, '$.author', 'mallory')");
  }
  EXPECT_EQ(OpenAnother()->PlaybookByHash(BorderSeizure().content_hash).status().code(),
            ErrorCode::kInvalidPlaybook);
}

TEST_F(AgentPlaybookGovernanceTest, ARevocationMarksTheTasksOfTheVersion) {
  Apply(Signed());
  const wire::PlaybookStatusDelivery revoked{BorderSeizure().content_hash, 1'700'000'100'000,
                                             "duty-officer", "dose table superseded"};
  ASSERT_TRUE(store_->ApplyDeliveries({wire::MakeDelivery(3, 1'700'000'100'000, revoked)}).ok());
  EXPECT_NE(Verb(ListTasks, false).find("[REVOKED playbook: dose table superseded]"),
            std::string::npos);
  EXPECT_EQ(json::parse(Verb(ListTasks, true))[0]["playbook_notice"],
            "REVOKED playbook: dose table superseded");
  std::ostringstream shown;
  ASSERT_TRUE(ShowTask(*store_, "secondary_inspection", false, shown).ok());
  EXPECT_NE(shown.str().find("REVOKED playbook: dose table superseded (the task goes on"),
            std::string::npos)
      << shown.str();
  EXPECT_EQ(StateOf("secondary_inspection"), "ready") << "the work goes on";
}

}  // namespace
}  // namespace muster::agent::testing
