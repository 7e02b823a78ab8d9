// A whole incident as a signed archive (views/incident_archive.h), built from a store
// filled through HQ's own doors (a deployment, findings with attached files ingested from
// the members' agents, a cancelled task, a watchlist entry), written out as the console
// writes it and checked as a partner checks it (muster/archive.h); a partner's archive
// leaves out what its releasability does not allow.
#include <filesystem>

#include "hq_fixture.h"
#include "muster/archive.h"
#include "muster/digest.h"
#include "muster/files.h"
#include "muster/playbook/marking.h"

namespace muster::coordtest {
namespace {

namespace fs = std::filesystem;

std::optional<playbook::Marking> Marked(const std::string& text) {
  return playbook::ParseMarking(text);
}

class IncidentArchiveTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    auto key = archive::LoadOrCreateSigningKey(dir_.File("archive-signing.key"));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = *key;
    DeployBorder();
    WatchForIvanPetrov();
    std::vector<std::string> notify;
    // Jonas's reading with a photo, at the playbook's marking (RESTRICTED // TLP:AMBER); the
    // lorry's driver is on the watchlist, and HQ's check of the finding says so.
    Attach("jonas-1", 1, "d1.secondary_inspection.jonas",
           {{"dose_rate_1m", 12.5},
            {"neutrons_detected", false},
            {"hot_spot", "41.55,45.01"},
            {"driver", "Ivan Petrov"}},
           photo_,
           "scene.jpg", "");
    // Li's finding, which she raised to TLP:RED, with a file whose name would hide itself
    // and clear a terminal.
    Attach("li-1", 1, "d1.photograph_scene.li", {{"photo_count", 14}}, sketch_,
           "..\x1b[2J \xc3\xa9vidence.png", "TLP:RED");
    ASSERT_TRUE(hq_->operations()
                    .CancelTask("d1.close_innocent_alarm.amira", "not an innocent alarm", "amira",
                                &notify)
                    .ok());
    ASSERT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='watchlist'"), 1);
  }

  // A finding with one attached file, then the file's bytes in one piece.
  void Attach(const std::string& agent, std::uint64_t seq, const std::string& task, json values,
              const std::string& content, const std::string& name, const std::string& marking) {
    wire::FindingRecord finding{task, std::move(values), {}, {{Sha256Hex(content), name,
                                                              content.size(), ""}}, marking};
    wire::AttachmentPiece piece;
    piece.task = task;
    piece.attachment = Sha256Hex(content);
    piece.offset = 0;
    piece.length = content.size();
    piece.sha256 = Sha256Hex(content);
    piece.name = name;
    piece.size = content.size();
    piece.data = content;
    IngestOk(agent, {Entry(seq, finding), Entry(seq + 1, piece)});
  }

  hq::ArchiveBundle Build(const std::optional<playbook::Marking>& releasable) {
    auto bundle = hq_->incident_archive().Build("INC-1", releasable, key_, "paulo");
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    return bundle.ok() ? *bundle : hq::ArchiveBundle{};
  }
  // Writes |bundle| into |folder| as the console does, the attachments read from HQ.
  void WriteOut(const hq::ArchiveBundle& bundle, const std::string& folder) {
    const auto put = [&](const std::string& path, const std::string& content) {
      fs::create_directories((fs::path(folder) / path).parent_path());
      ASSERT_TRUE(WriteFileAtomic(folder + "/" + path, content).ok());
    };
    for (const auto& [path, text] : bundle.parts) put(path, text);
    for (const hq::ArchiveAttachment& file : bundle.attachments) {
      put(file.path, hq_->attachments().Content(file.id).value());
    }
    put(archive::kManifestName, bundle.manifest_text);
    put(archive::kSignatureName, bundle.signature.Encode().dump());
  }
  static json Part(const hq::ArchiveBundle& bundle, const std::string& path) {
    const auto found = bundle.parts.find(path);
    return found == bundle.parts.end() ? json() : json::parse(found->second);
  }
  static archive::Manifest ManifestOf(const hq::ArchiveBundle& bundle) {
    return archive::Manifest::Decode(json::parse(bundle.manifest_text)).value();
  }
  static std::vector<std::string> Actions(const json& audit) {
    std::vector<std::string> actions;
    for (const json& entry : audit) actions.push_back(entry["action"]);
    return actions;
  }

  archive::SigningKey key_;
  const std::string photo_ = std::string(3000, 'p') + "\xff\xd8";
  const std::string sketch_ = "sketch of the lorry's false bottom";
};

TEST_F(IncidentArchiveTest, TheWholeIncidentChecksOutAgainstHqsKey) {
  const std::string head_before =
      QueryText(hq_->database().db(), "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1");
  const hq::ArchiveBundle bundle = Build(std::nullopt);
  const archive::Manifest manifest = ManifestOf(bundle);
  EXPECT_EQ(manifest.incident, "INC-1");
  EXPECT_EQ(manifest.hq, hq_->database().hq_id());
  EXPECT_EQ(manifest.created_by, "paulo");
  EXPECT_EQ(manifest.releasable, "");
  EXPECT_EQ(manifest.marking, "RESTRICTED // TLP:RED");
  EXPECT_EQ(manifest.audit_head, head_before);
  EXPECT_EQ(manifest.withheld.findings, 0);
  EXPECT_TRUE(manifest.withheld.parts.empty());

  std::vector<std::string> parts;
  for (const auto& [path, text] : bundle.parts) parts.push_back(path);
  EXPECT_EQ(parts, (std::vector<std::string>{"audit.json", "findings.json", "incident.json",
                                             "positions.geojson", "status.json",
                                             "timeline.json"}));
  const json findings = Part(bundle, "findings.json");
  ASSERT_EQ(findings.size(), 2u);
  ASSERT_EQ(bundle.attachments.size(), 2u);
  EXPECT_EQ(bundle.attachments[0].sha256, Sha256Hex(photo_));
  EXPECT_EQ(bundle.attachments[0].bytes, static_cast<std::int64_t>(photo_.size()));
  // The hostile name is made plain; the finding says where its file is.
  const std::string li_file = bundle.attachments[1].path;
  EXPECT_TRUE(archive::IsSafeArchivePath(li_file)) << li_file;
  EXPECT_EQ(li_file, "attachments/" + std::to_string(bundle.attachments[1].id) +
                         "-_.__2J___vidence.png");
  EXPECT_EQ(findings[1]["attachments"][0]["archive_path"], li_file);
  // HQ's audit entries of the incident, its deployment and its task, the chain hashes
  // with them; none of other incidents.
  const std::vector<std::string> actions = Actions(Part(bundle, "audit.json"));
  for (const char* action :
       {"incident.create", "deployment.create", "task.cancel", "watchlist.assign"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), action), actions.end()) << action;
  }
  EXPECT_EQ(std::find(actions.begin(), actions.end(), "member.create"), actions.end());
  EXPECT_EQ(Part(bundle, "audit.json")[0]["hash"].get<std::string>().size(), 64u);

  WriteOut(bundle, dir_.File("INC-1-archive"));
  auto verdict = archive::VerifyFolder(dir_.File("INC-1-archive"), key_.pair.public_key);
  ASSERT_TRUE(verdict.ok());
  EXPECT_TRUE(verdict->valid()) << verdict->problems.front();
  EXPECT_EQ(verdict->files_checked, 8);

  // Making it is itself audited, with the manifest's hash: HQ can say what it shared.
  EXPECT_EQ(QueryText(hq_->database().db(),
                      "SELECT json_extract(detail, '$.manifest_sha256') FROM audit WHERE "
                      "action='incident.archive'"),
            Sha256Hex(bundle.manifest_text));
  EXPECT_EQ(QueryText(hq_->database().db(),
                      "SELECT actor FROM audit WHERE action='incident.archive'"),
            "paulo");
}

TEST_F(IncidentArchiveTest, APartnersArchiveHoldsOnlyWhatItsReleasabilityAllows) {
  const hq::ArchiveBundle bundle = Build(Marked("RESTRICTED // TLP:AMBER"));
  const archive::Manifest manifest = ManifestOf(bundle);
  EXPECT_EQ(manifest.releasable, "RESTRICTED // TLP:AMBER");
  EXPECT_EQ(manifest.marking, "RESTRICTED // TLP:AMBER");
  const json findings = Part(bundle, "findings.json");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0]["member"], "jonas");
  EXPECT_EQ(manifest.withheld.findings, 1);
  EXPECT_EQ(manifest.withheld.attachments, 1);
  ASSERT_EQ(bundle.attachments.size(), 1u);
  EXPECT_EQ(bundle.attachments[0].sha256, Sha256Hex(photo_));
  // Li's TLP:RED finding could be spoken of on the board, the timeline and in the audit
  // entries: they are left out whole.
  EXPECT_EQ(manifest.withheld.parts,
            (std::vector<std::string>{"audit.json", "status.json", "timeline.json"}));
  EXPECT_TRUE(Part(bundle, "audit.json").is_null());
  for (const auto& [path, text] : bundle.parts) {
    EXPECT_EQ(text.find("false bottom"), std::string::npos) << path;
    EXPECT_EQ(text.find(Sha256Hex(sketch_)), std::string::npos) << path;
  }
  WriteOut(bundle, dir_.File("partner"));
  auto verdict = archive::VerifyFolder(dir_.File("partner"), key_.pair.public_key);
  ASSERT_TRUE(verdict.ok());
  EXPECT_TRUE(verdict->valid()) << verdict->problems.front();

  // Nothing for a partner cleared for TLP:GREEN but the incident and an empty map.
  const archive::Manifest green = ManifestOf(Build(Marked("TLP:GREEN")));
  EXPECT_EQ(green.withheld.findings, 2);
  EXPECT_EQ(green.files.size(), 3u);
}

TEST_F(IncidentArchiveTest, WithoutAnythingRedTheAuditGoesButNotThePersonsOfInterest) {
  hq_->database().db().exec("UPDATE findings SET marking='' WHERE agent_id='li-1'");
  // The hit's alert is acknowledged: its text is quoted twice in the timeline.
  ASSERT_TRUE(
      hq_->alerts().Ack(Count("SELECT id FROM alerts WHERE kind='watchlist'"), "amira").ok());
  const hq::ArchiveBundle bundle = Build(Marked("RESTRICTED // TLP:AMBER"));
  const archive::Manifest manifest = ManifestOf(bundle);
  EXPECT_TRUE(manifest.withheld.parts.empty());
  // The alert, its two timeline entries, and the watchlist.assign audit entry.
  EXPECT_EQ(manifest.withheld.watchlist, 4);
  const std::vector<std::string> actions = Actions(Part(bundle, "audit.json"));
  EXPECT_NE(std::find(actions.begin(), actions.end(), "task.cancel"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "alert.ack"), actions.end());
  EXPECT_EQ(std::find(actions.begin(), actions.end(), "watchlist.assign"), actions.end());
  EXPECT_EQ(Part(bundle, "findings.json").size(), 2u);
  for (const auto& [path, text] : bundle.parts) {
    EXPECT_EQ(text.find("G-2026-0412"), std::string::npos) << path;
    EXPECT_EQ(text.find("person of interest"), std::string::npos) << path;
  }
  // HQ's own archive keeps them.
  const hq::ArchiveBundle own = Build(std::nullopt);
  EXPECT_NE(own.parts.at("status.json").find("G-2026-0412"), std::string::npos);
  EXPECT_NE(own.parts.at("timeline.json").find("G-2026-0412"), std::string::npos);
}

TEST_F(IncidentArchiveTest, OneFileInTwoFindingsIsOneFileOfTheArchive) {
  // Jonas attaches the same photo to a second reading.
  Attach("jonas-1", 3, "d1.secondary_inspection.jonas",
         {{"dose_rate_1m", 13.0}, {"neutrons_detected", false}}, photo_, "scene.jpg", "");
  const hq::ArchiveBundle bundle = Build(std::nullopt);
  EXPECT_EQ(Part(bundle, "findings.json").size(), 3u);
  EXPECT_EQ(bundle.attachments.size(), 2u);
  WriteOut(bundle, dir_.File("twice"));
  auto verdict = archive::VerifyFolder(dir_.File("twice"), key_.pair.public_key);
  ASSERT_TRUE(verdict.ok());
  EXPECT_TRUE(verdict->valid()) << verdict->problems.front();
}

TEST_F(IncidentArchiveTest, AnIncidentNamedLikeADeploymentGetsOnlyItsOwnAuditEntries) {
  // Incident "1" and deployment 1 of INC-1 share a subject: neither takes the other's.
  hq::IncidentInput input;
  input.id = "1";
  input.title = "Another incident";
  ASSERT_TRUE(hq_->incidents().Create(input, "amira").ok());
  auto bundle = hq_->incident_archive().Build("1", std::nullopt, key_, "paulo");
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_EQ(Actions(json::parse(bundle->parts.at("audit.json"))),
            std::vector<std::string>{"incident.create"});
  EXPECT_TRUE(json::parse(bundle->parts.at("findings.json")).empty());
}

TEST_F(IncidentArchiveTest, AMarkingThatCannotBeReadIsWithheld) {
  hq_->database().db().exec("UPDATE findings SET marking='TLP:CHARTREUSE' WHERE agent_id='jonas-1'");
  const archive::Manifest manifest = ManifestOf(Build(Marked("CONFIDENTIAL // TLP:RED")));
  EXPECT_EQ(manifest.withheld.findings, 1) << "jonas's unreadable marking fails closed";
  EXPECT_EQ(manifest.withheld.parts.size(), 3u);
}

TEST_F(IncidentArchiveTest, AnUnknownIncidentIsNotFoundAndNothingIsAudited) {
  auto missing = hq_->incident_archive().Build("INC-404", std::nullopt, key_, "paulo");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='incident.archive'"), 0);
}

}  // namespace
}  // namespace muster::coordtest
