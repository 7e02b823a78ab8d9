// Playbook governance at HQ, on a real store with a FakeClock: publication checks a
// signature against the trusted authors (good, tampered, unknown, revoked, required
// mode), deployments keep to a version's window of validity, and a revoked version is
// deployed no more while the agents of its running deployments are told.
#include <sodium.h>

#include "hq_fixture.h"
#include "muster/playbook/load.h"
#include "muster/playbook/signature.h"
#include "muster/playbook/validity.h"
#include "muster/wire/deliveries.h"

namespace muster::coordtest {
namespace {

namespace pb = muster::playbook;

class PlaybookGovernanceTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    HeadquartersTest::SetUp();
    key_ = pb::GenerateAuthorKey("okafor").value();
  }
  static std::string HashOf(const std::string& source) {
    return pb::LoadText(source, "border.yaml", pb::PublishedSourceOptions()).playbook->content_hash;
  }
  pb::Signature SignedBy(const pb::AuthorKey& key, const std::string& source) {
    return pb::Sign(HashOf(source), key).value();
  }
  void Trust(const pb::AuthorKey& key) {
    ASSERT_TRUE(hq_->authors().Add(key.author, key.public_key, "admin").ok());
  }
  Result<json> Publish(const std::string& source, std::optional<pb::Signature> signature) {
    return hq_->playbooks().Publish(source, "border.yaml", signature, "author");
  }
  // The border playbook, version 1.2.0, with a window of validity.
  static std::string WithWindow(const std::string& from, const std::string& until) {
    std::string source = BorderPlaybookSource();
    const std::string version = "\nversion: \"1.1.0\"\n";
    source.replace(source.find(version), version.size(),
                   "\nversion: \"1.2.0\"\nvalid_from: " + from + "\nvalid_until: " + until + "\n");
    return source;
  }
  Result<json> Deploy(const std::string& source, std::optional<pb::Signature> signature) {
    hq::DeployInput input;
    input.incident_id = "INC-1";
    input.playbook_source = source;
    input.signature = std::move(signature);
    return hq_->deployments().Deploy(input, &notify_);
  }

  pb::AuthorKey key_;
  std::vector<std::string> notify_;
};

TEST_F(PlaybookGovernanceTest, ASignatureByATrustedAuthorIsPublishedAndShown) {
  Trust(key_);
  auto published = Publish(BorderPlaybookSource(), SignedBy(key_, BorderPlaybookSource()));
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  EXPECT_EQ((*published)["signed_by"]["author"], "okafor");
  EXPECT_EQ((*published)["signed_by"]["key_id"], key_.key_id);
  auto list = hq_->playbooks().List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[0]["signed_by"]["author"], "okafor");
  EXPECT_TRUE((*list)[0]["revoked"].is_null());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='playbook.publish' AND "
                  "detail LIKE '%okafor%'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='author.add'"), 1);
}

TEST_F(PlaybookGovernanceTest, ATamperedSignatureIsRefusedNamingTheAuthor) {
  Trust(key_);
  pb::Signature signature = SignedBy(key_, BorderPlaybookSource());
  signature.signature[5] = signature.signature[5] == 'A' ? 'B' : 'A';
  auto refused = Publish(BorderPlaybookSource(), signature);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(refused.status().message().find("okafor"), std::string::npos);
  // A signature of other content (the text was edited after signing).
  auto other =
      Publish(WithWindow("2026-01-01", "2027-01-01"), SignedBy(key_, BorderPlaybookSource()));
  EXPECT_EQ(other.status().code(), ErrorCode::kInvalidPlaybook);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM playbooks"), 0);
}

TEST_F(PlaybookGovernanceTest, AnUnknownOrRevokedAuthorIsForbidden) {
  auto unknown = Publish(BorderPlaybookSource(), SignedBy(key_, BorderPlaybookSource()));
  ASSERT_EQ(unknown.status().code(), ErrorCode::kForbidden);
  EXPECT_NE(unknown.status().message().find("muster author add okafor"), std::string::npos)
      << unknown.status().message();

  Trust(key_);
  // The key is trusted for okafor, not for whoever claims it.
  pb::AuthorKey impostor = key_;
  impostor.author = "mallory";
  EXPECT_EQ(
      Publish(BorderPlaybookSource(), SignedBy(impostor, BorderPlaybookSource())).status().code(),
      ErrorCode::kForbidden);

  ASSERT_TRUE(hq_->authors().Revoke("okafor", "admin").ok());
  auto revoked = Publish(BorderPlaybookSource(), SignedBy(key_, BorderPlaybookSource()));
  ASSERT_EQ(revoked.status().code(), ErrorCode::kForbidden);
  EXPECT_NE(revoked.status().message().find("revoked"), std::string::npos);
  EXPECT_EQ(hq_->authors().Revoke("okafor", "admin").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='author.revoke'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM playbooks"), 0);
  EXPECT_EQ(hq_->authors().Add("okafor", key_.public_key, "admin").status().code(),
            ErrorCode::kConflict)
      << "a revoked key is not trusted again";
}

TEST_F(PlaybookGovernanceTest, AVersionSignedByAKeyRevokedLaterIsNotDeployedUntilSignedAgain) {
  DeployBorder();  // the team, and an unsigned deployment
  Trust(key_);
  const std::string source = WithWindow("2000-01-01", "2100-01-01");
  ASSERT_TRUE(Deploy(source, SignedBy(key_, source)).ok());
  ASSERT_TRUE(hq_->authors().Revoke("okafor", "admin").ok());
  auto refused = Deploy(source, std::nullopt);
  ASSERT_EQ(refused.status().code(), ErrorCode::kForbidden) << refused.status().ToString();
  const pb::AuthorKey successor = pb::GenerateAuthorKey("haddad").value();
  Trust(successor);
  auto again = Deploy(source, SignedBy(successor, source));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)["playbook"]["signed_by"]["author"], "haddad");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='playbook.sign'"), 1);
}

TEST_F(PlaybookGovernanceTest, RequiredModeRefusesUnsignedPlaybooks) {
  ASSERT_TRUE(Publish(BorderPlaybookSource(), std::nullopt).ok()) << "optional: accepted";
  auto strict =
      hq::Headquarters::Open(dir_.File("muster.db"), clock_, {hq::SignaturePolicy::kRequired});
  ASSERT_TRUE(strict.ok());
  auto refused = (*strict)->playbooks().Publish(WithWindow("2000-01-01", "2100-01-01"), "b.yaml",
                                                std::nullopt, "author");
  ASSERT_EQ(refused.status().code(), ErrorCode::kForbidden);
  EXPECT_NE(refused.status().message().find("muster playbook sign"), std::string::npos);
  // What was published unsigned before is not deployed either.
  auto book = (*strict)->playbooks().ByHash(HashOf(BorderPlaybookSource()));
  ASSERT_TRUE(book.ok());
  EXPECT_EQ((*strict)->playbooks().CheckDeployable(**book).code(), ErrorCode::kForbidden);
  ASSERT_TRUE((*strict)->authors().Add("okafor", key_.public_key, "admin").ok());
  EXPECT_TRUE((*strict)
                  ->playbooks()
                  .Publish(BorderPlaybookSource(), "b.yaml", SignedBy(key_, BorderPlaybookSource()),
                           "author")
                  .ok());
  EXPECT_TRUE((*strict)->playbooks().CheckDeployable(**book).ok());
}

TEST_F(PlaybookGovernanceTest, DeploymentsKeepToTheWindowByHqsClock) {
  DeployBorder();
  const std::string source = WithWindow("2026-12-07", "2026-12-08T12:00:00Z");
  clock_.Set(pb::ParseValidityTime("2026-12-06T23:59:59Z", false).value());
  auto early = Deploy(source, std::nullopt);
  ASSERT_EQ(early.status().code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(early.status().message().find("valid only from 2026-12-07"), std::string::npos);
  clock_.Set(pb::ParseValidityTime("2026-12-08T12:00:01Z", false).value());
  auto late = Deploy(source, std::nullopt);
  ASSERT_EQ(late.status().code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(late.status().message().find("expired"), std::string::npos);
  clock_.Set(pb::ParseValidityTime("2026-12-07T08:00:00Z", false).value());
  auto inside = Deploy(source, std::nullopt);
  ASSERT_TRUE(inside.ok()) << inside.status().ToString();
  EXPECT_EQ((*inside)["playbook"]["valid_until"], "2026-12-08T12:00:00Z");
  EXPECT_TRUE((*inside)["playbook"]["signed_by"].is_null());
}

TEST_F(PlaybookGovernanceTest, AgentsAreSentTheSignatureWithThePlaybook) {
  DeployBorder();
  Trust(key_);
  const std::string source = WithWindow("2000-01-01", "2100-01-01");
  ASSERT_TRUE(Deploy(source, SignedBy(key_, source)).ok());
  const auto playbooks = OfKind(Deliveries("jonas-1"), "playbook");
  ASSERT_EQ(playbooks.size(), 2u);
  EXPECT_FALSE(playbooks[0].body.contains("signature")) << "the unsigned one";
  auto delivery = wire::PlaybookDelivery::Decode(playbooks[1].body);
  ASSERT_TRUE(delivery.ok());
  ASSERT_TRUE(delivery->signature);
  EXPECT_TRUE(pb::VerifySource(delivery->source, delivery->hash, delivery->signature).ok());
}

TEST_F(PlaybookGovernanceTest, ARevokedVersionIsDeployedNoMoreAndItsRunningTeamIsTold) {
  const json deployment = DeployBorder();
  const std::string hash = deployment["playbook"]["hash"];
  auto revoked = hq_->operations().RevokePlaybook(
      "radioactive-material-border-seizure", deployment["playbook"]["version"].get<std::string>(),
      "dose table superseded", "officer", &notify_);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ((*revoked)["running"], json::array({deployment["id"]}));
  EXPECT_EQ(notify_.size(), 4u);
  for (const char* agent : {"amira-1", "jonas-1", "li-1", "paulo-1"}) {
    const auto notices = OfKind(Deliveries(agent), "playbook_status");
    ASSERT_EQ(notices.size(), 1u) << agent;
    auto notice = wire::PlaybookStatusDelivery::Decode(notices[0].body);
    ASSERT_TRUE(notice.ok());
    EXPECT_EQ(notice->hash, hash);
    EXPECT_EQ(notice->reason, "dose table superseded");
    EXPECT_EQ(notice->revoked_by, "officer");
  }
  auto again = Deploy(BorderPlaybookSource(), std::nullopt);
  ASSERT_EQ(again.status().code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(again.status().message().find("revoked by officer: dose table superseded"),
            std::string::npos)
      << again.status().message();
  auto board = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(board.ok());
  EXPECT_EQ((*board)["deployments"][0]["playbook"]["revoked"]["reason"], "dose table superseded");
  EXPECT_EQ((*board)["deployments"][0]["status"], "active") << "the deployment goes on";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='playbook.revoke'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='playbook_revoked'"), 1);
  EXPECT_EQ(hq_->operations()
                .RevokePlaybook("radioactive-material-border-seizure",
                                deployment["playbook"]["version"].get<std::string>(), "again",
                                "officer", &notify_)
                .status()
                .code(),
            ErrorCode::kConflict);
  EXPECT_EQ(hq_->operations()
                .RevokePlaybook("no-such", "1.0.0", "why", "officer", &notify_)
                .status()
                .code(),
            ErrorCode::kNotFound);
}

TEST_F(PlaybookGovernanceTest, AMemberAddedAfterTheRevocationIsToldToo) {
  const json deployment = DeployBorder();
  ASSERT_TRUE(hq_->operations()
                  .RevokePlaybook("radioactive-material-border-seizure",
                                  deployment["playbook"]["version"].get<std::string>(),
                                  "superseded", "officer", &notify_)
                  .ok());
  AddMember("sara", {"liaison_officer"});
  const std::string agent = EnrollAgent("sara");
  ASSERT_TRUE(hq_->operations()
                  .AddMember(deployment["id"].get<std::int64_t>(), "liaison_officer", "sara",
                             "officer", &notify_)
                  .ok());
  const auto deliveries = Deliveries(agent);
  ASSERT_GE(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].kind, "playbook");
  EXPECT_EQ(deliveries[1].kind, "playbook_status");
}

}  // namespace
}  // namespace muster::coordtest
