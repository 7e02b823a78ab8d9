// HQ checks what it stores with the agent's own rules (playbook::CheckFieldValue) and the
// per-record size limit (protocol::kMaxRecordBodyBytes): a refused record is held,
// acknowledged and its refusal stored, and nothing of its effect remains. On a real
// SQLite file in a temp dir; the last tests go through the real sockets and a real agent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent_store.h"
#include "coordinator_fixture.h"
#include "link.h"
#include "muster/protocol.h"
#include "hq_fixture.h"
#include "verbs.h"

namespace muster::coordtest {
namespace {

// ---------------------------------------------------------------------------------------
// Ingest: finding values

class HqValidateTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    DeployBorder();
  }

  // A finding with extra body fields (`confirmed`, `attachments`).
  hq::InboundRecord Finding(std::uint64_t seq, const std::string& task, const json& values,
                            const json& extra = json::object()) {
    hq::InboundRecord record = FindingRecord(seq, task, values);
    for (const auto& [key, value] : extra.items()) record.body[key] = value;
    return record;
  }

  // Ingests |record| alone and expects it held and acknowledged, refused with |code|, its
  // refusal stored as its outcome, and none of its effect left: no finding, no latest
  // value, no timeline line, no attachment. Returns the refusal's message.
  std::string ExpectRefused(const std::string& agent, const hq::InboundRecord& record,
                            ErrorCode code) {
    const auto values = Count("SELECT COUNT(*) FROM finding_values");
    const auto timeline = Count("SELECT COUNT(*) FROM timeline");
    const auto attachments = Count("SELECT COUNT(*) FROM attachments");
    hq::IngestOutcome outcome = IngestOk(agent, {record});
    EXPECT_EQ(outcome.held, (std::vector<std::uint64_t>{record.seq})) << "not acknowledged";
    if (outcome.refused.size() != 1) {
      ADD_FAILURE() << "seq " << record.seq << " was not refused: " << record.body.dump();
      return "";
    }
    EXPECT_EQ(outcome.refused[0].first, record.seq);
    EXPECT_EQ(outcome.refused[0].second.code(), code) << outcome.refused[0].second.ToString();
    const std::string where =
        " WHERE agent_id='" + agent + "' AND seq=" + std::to_string(record.seq);
    EXPECT_EQ(QueryText(hq_->database().db(), "SELECT outcome FROM inbound" + where),
              "refused: " + outcome.refused[0].second.ToString());
    EXPECT_EQ(Count("SELECT COUNT(*) FROM findings" + where), 0);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM finding_values"), values);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline"), timeline);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM attachments"), attachments);
    return outcome.refused[0].second.message();
  }

  void ExpectApplied(const std::string& agent, const hq::InboundRecord& record) {
    hq::IngestOutcome outcome = IngestOk(agent, {record});
    EXPECT_EQ(outcome.held, (std::vector<std::uint64_t>{record.seq}));
    for (const auto& [seq, why] : outcome.refused) ADD_FAILURE() << seq << ": " << why.ToString();
    EXPECT_EQ(Count("SELECT COUNT(*) FROM findings WHERE agent_id='" + agent +
                    "' AND seq=" + std::to_string(record.seq)),
              1);
  }

  static json Spectrum(const std::string& name, const std::string& field = "spectrum") {
    json entry = {{"sha256", std::string(64, 'a')},
                  {"name", name},
                  {"size", 100u},
                  {"chunk_bytes", 32768u},
                  {"chunks", 1u}};
    if (!field.empty()) entry["field"] = field;
    return entry;
  }
};

TEST_F(HqValidateTest, ASampleIdBreakingThePatternIsRefused) {
  const std::string message =
      ExpectRefused("li-1", Finding(1, "d1.recover_material.li", {{"sample_id", "RN-42"}}),
                    ErrorCode::kInvalidValue);
  EXPECT_EQ(message, "sample_id: expected a sample id matching ^RN-[0-9]{4}$, got 'RN-42'");
  ExpectApplied("li-1", Finding(2, "d1.recover_material.li", {{"sample_id", "RN-0042"}}));
}

TEST_F(HqValidateTest, AGeolocationThatIsNotAPlaceIsRefused) {
  const std::string message = ExpectRefused(
      "amira-1", Finding(1, "d1.arrival_briefing.amira", {{"scene_location", "not a place"}}),
      ErrorCode::kInvalidValue);
  EXPECT_NE(message.find("scene_location: expected latitude,longitude"), std::string::npos)
      << message;
  ExpectRefused("amira-1", Finding(2, "d1.arrival_briefing.amira", {{"scene_location", "91,6"}}),
                ErrorCode::kInvalidValue);
  ExpectApplied("amira-1",
                Finding(3, "d1.arrival_briefing.amira", {{"scene_location", "46.2331,6.1052"}}));
}

TEST_F(HqValidateTest, ANumberBelowItsMinimumIsAcceptedOnlyWhenConfirmed) {
  const std::string task = "d1.arrival_briefing.amira";
  const std::string message = ExpectRefused("amira-1", Finding(1, task, {{"portal_reading", -5}}),
                                            ErrorCode::kInvalidValue);
  EXPECT_NE(message.find("portal_reading = -5 is outside the expected range 0 to"),
            std::string::npos)
      << message;
  // Confirming another field does not confirm this one.
  ExpectRefused("amira-1",
                Finding(2, task, {{"portal_reading", -5}}, {{"confirmed", {"alarm_time"}}}),
                ErrorCode::kInvalidValue);
  ExpectApplied("amira-1",
                Finding(3, task, {{"portal_reading", -5}}, {{"confirmed", {"portal_reading"}}}));
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT confirmed FROM findings WHERE seq=3"),
            R"(["portal_reading"])");
  EXPECT_EQ(
      QueryText(hq_->database().db(),
                "SELECT value FROM finding_values WHERE key='arrival_briefing.portal_reading'"),
      "-5");
}

TEST_F(HqValidateTest, AnEnumValueNotInItsOptionsIsRefused) {
  const std::string message = ExpectRefused(
      "jonas-1", Finding(1, "d1.identify_nuclide.jonas", {{"nuclide", "Unobtainium-1"}}),
      ErrorCode::kInvalidValue);
  EXPECT_NE(message.find("nuclide: expected one of Cs-137"), std::string::npos) << message;
  // Nothing fired from it either: the innocent-alarm step is still dormant.
  ExpectRefused("jonas-1", Finding(2, "d1.identify_nuclide.jonas", {{"assessment", "innocent"}}),
                ErrorCode::kInvalidValue);
  EXPECT_TRUE(TaskDormant("d1.close_innocent_alarm.amira"));
  ExpectApplied("jonas-1", Finding(3, "d1.identify_nuclide.jonas", {{"nuclide", "Cs-137"}}));
}

TEST_F(HqValidateTest, AMalformedTimeIsRefused) {
  const std::string task = "d1.arrival_briefing.amira";
  std::uint64_t seq = 0;
  for (const std::string bad : {"yesterday", "2026-13-01T10:00Z", "2026-11-24 15:20:00Z"}) {
    ExpectRefused("amira-1", Finding(++seq, task, {{"alarm_time", bad}}), ErrorCode::kInvalidValue);
  }
  ExpectApplied("amira-1", Finding(10, task, {{"alarm_time", "2026-11-24T15:20:00Z"}}));
}

TEST_F(HqValidateTest, AnUnknownFieldIsRefused) {
  const std::string message =
      ExpectRefused("amira-1", Finding(1, "d1.arrival_briefing.amira", {{"colour", "red"}}),
                    ErrorCode::kInvalidValue);
  EXPECT_EQ(message, "step arrival_briefing has no finding field 'colour'");
  // A finding whose other values are fine is refused whole.
  ExpectRefused(
      "amira-1",
      Finding(2, "d1.arrival_briefing.amira", {{"scene_location", "46.2,6.1"}, {"colour", "red"}}),
      ErrorCode::kInvalidValue);
}

TEST_F(HqValidateTest, AValueOfTheWrongTypeIsRefused) {
  const std::string message = ExpectRefused(
      "jonas-1", Finding(1, "d1.secondary_inspection.jonas", {{"dose_rate_1m", "145"}}),
      ErrorCode::kInvalidValue);
  EXPECT_EQ(message, "dose_rate_1m: expected a number in µSv/h, got the text '145'");
  ExpectRefused("jonas-1",
                Finding(2, "d1.secondary_inspection.jonas", {{"neutrons_detected", "no"}}),
                ErrorCode::kInvalidValue);
  ExpectRefused("jonas-1", Finding(3, "d1.secondary_inspection.jonas", {{"hot_spot", 46.2}}),
                ErrorCode::kInvalidValue);
  // And the cordon trigger did not fire on the string "145".
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fired_triggers"), 0);
}

TEST_F(HqValidateTest, AnAttachmentValueMustNameADescribedFile) {
  const std::string task = "d1.identify_nuclide.jonas";
  const std::string none = ExpectRefused("jonas-1", Finding(1, task, {{"spectrum", "cs137.spe"}}),
                                         ErrorCode::kInvalidValue);
  EXPECT_NE(none.find("it attaches none"), std::string::npos) << none;
  // Another file described: refused, and that file is not registered either.
  ExpectRefused(
      "jonas-1",
      Finding(2, task, {{"spectrum", "cs137.spe"}}, {{"attachments", {Spectrum("other.spe")}}}),
      ErrorCode::kInvalidValue);
  // The file described for another field does not count.
  ExpectRefused("jonas-1",
                Finding(3, task, {{"spectrum", "cs137.spe"}},
                        {{"attachments", {Spectrum("cs137.spe", "sketch")}}}),
                ErrorCode::kInvalidValue);
  ExpectApplied("jonas-1", Finding(4, task, {{"spectrum", "cs137.spe"}},
                                   {{"attachments", {Spectrum("cs137.spe")}}}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attachments"), 1);
  // A file attached to the finding as a whole may be named too.
  ExpectApplied("jonas-1", Finding(5, task, {{"spectrum", "whole.spe"}},
                                   {{"attachments", {Spectrum("whole.spe", "")}}}));
}

// A ticked checklist item: applied on the member's own task, the newest record per item
// standing; an item the step does not have is refused, another member's task forbidden.
TEST_F(HqValidateTest, ChecklistTicksAreKeptPerItemAndCheckedAgainstTheStep) {
  const auto tick = [](std::uint64_t seq, const std::string& task, std::uint64_t item,
                       bool checked) {
    return hq::InboundRecord{seq, "checklist", 1'700'000'000'000 + static_cast<Millis>(seq),
                             wire::ChecklistRecord{task, item, checked}.Encode()};
  };
  const std::string task = "d1.recover_material.li";
  hq::IngestOutcome applied =
      IngestOk("li-1", {tick(1, task, 1, true), tick(2, task, 3, true), tick(4, task, 3, false)});
  EXPECT_TRUE(applied.refused.empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM checklist_ticks WHERE checked=1"), 1);
  // Seq 3 arrives after seq 4 (a resend): the older tick does not undo the newer untick.
  IngestOk("li-1", {tick(3, task, 3, true)});
  EXPECT_EQ(Count("SELECT checked FROM checklist_ticks WHERE item=3"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='checklist'"), 3);

  const std::string none = ExpectRefused("li-1", tick(5, task, 4, true), ErrorCode::kInvalidValue);
  EXPECT_NE(none.find("3 checklist item(s)"), std::string::npos) << none;
  ExpectRefused("li-1", tick(6, "d1.secondary_inspection.jonas", 1, true), ErrorCode::kForbidden);

  auto board = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(board.ok()) << board.status().ToString();
  bool seen = false;
  for (const json& deployment : (*board)["deployments"]) {
    for (const json& row : deployment["tasks"]) {
      if (row["id"] != task) continue;
      seen = true;
      EXPECT_EQ(row["checklist_checked"], 1);
      EXPECT_EQ(row["checklist_items"], 3);
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(HqValidateTest, OneBadRecordInABatchIsRefusedAndTheOthersApplied) {
  auto outcome =
      IngestOk("li-1", {Finding(1, "d1.recover_material.li", {{"sample_id", "RN-0001"}}),
                        Finding(2, "d1.recover_material.li", {{"sample_id", "RN-1"}}),
                        Finding(3, "d1.recover_material.li", {{"recovery_site", "46.2,6.1"}})});
  EXPECT_EQ(outcome.held, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(outcome.ingested, 3u);
  ASSERT_EQ(outcome.refused.size(), 1u);
  EXPECT_EQ(outcome.refused[0].first, 2u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM findings"), 2);
  EXPECT_EQ(QueryText(hq_->database().db(),
                      "SELECT value FROM finding_values WHERE "
                      "key='recover_material.sample_id'"),
            R"("RN-0001")");
  // Sent again, the refused record is recognised and acknowledged without a new refusal.
  auto again = IngestOk("li-1", {Finding(2, "d1.recover_material.li", {{"sample_id", "RN-1"}})});
  EXPECT_EQ(again.held, (std::vector<std::uint64_t>{2}));
  EXPECT_TRUE(again.refused.empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM findings"), 2);
}

// ---------------------------------------------------------------------------------------
// Ingest: the per-record size limit

TEST_F(HqValidateTest, TextOverItsLimitIsRefusedAndALongSafetyAlertIsCutNotLost) {
  std::string message = ExpectRefused(
      "paulo-1", Finding(1, "d1.host_liaison.paulo", {{"lead_agency", std::string(8001, 'x')}}),
      ErrorCode::kInvalidValue);
  EXPECT_EQ(message,
            "the value of lead_agency is 8001 characters long; the limit is 8000: shorten it or "
            "attach a file");
  message = ExpectRefused("amira-1",
                          {2, "status", clock_.Now(),
                           {{"task", "d1.arrival_briefing.amira"},
                            {"state", "blocked"},
                            {"reason", std::string(1001, 'r')}}},
                          ErrorCode::kInvalidValue);
  EXPECT_NE(message.find("the reason is 1001 characters long"), std::string::npos) << message;
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "ready");

  auto raised = IngestOk("jonas-1", {{3, "alert", clock_.Now(),
                                      {{"message", "man down " + std::string(5000, '!')},
                                       {"severity", "critical"}}}});
  EXPECT_TRUE(raised.refused.empty());
  const std::string shown =
      QueryText(hq_->database().db(), "SELECT message FROM alerts WHERE kind='safety'");
  EXPECT_EQ(shown.rfind("jonas: man down !!!", 0), 0u) << shown.substr(0, 40);
  EXPECT_NE(shown.find("[cut from 5009 characters]"), std::string::npos);
  EXPECT_LT(shown.size(), 1100u);
}

TEST_F(HqValidateTest, AHugeNoteIsRefusedTooLargeAndNotOnTheTimeline) {
  const std::string text(7'800'000, 'x');
  const std::string message = ExpectRefused(
      "amira-1", {1, "note", clock_.Now(), {{"task", "d1.arrival_briefing.amira"}, {"text", text}}},
      ErrorCode::kTooLarge);
  EXPECT_NE(message.find("the limit is 65536"), std::string::npos) << message;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='note'"), 0);
  // The log keeps a mention of it, not the megabytes.
  EXPECT_LT(Count("SELECT length(body) FROM inbound WHERE agent_id='amira-1' AND seq=1"), 200);
  EXPECT_NE(QueryText(hq_->database().db(), "SELECT body FROM inbound WHERE seq=1").find("too_large"),
            std::string::npos);
}

TEST_F(HqValidateTest, TheLimitIsOnTheBodyAsTheAgentMeasuresIt) {
  // {"text":"…"} is 11 bytes around the text: exactly at the limit, then one byte over.
  const std::size_t room = protocol::kMaxRecordBodyBytes - json{{"text", ""}}.dump().size();
  ExpectRefused("amira-1", {1, "note", clock_.Now(), {{"text", std::string(room + 1, 'x')}}},
                ErrorCode::kTooLarge);
  auto fits = IngestOk("amira-1", {{2, "note", clock_.Now(), {{"text", std::string(room, 'x')}}}});
  EXPECT_TRUE(fits.refused.empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='note'"), 1);
}

TEST_F(HqValidateTest, AHugeFindingIsRefusedTooLargeBeforeItsValuesAreLookedAt) {
  ExpectRefused("amira-1",
                Finding(1, "d1.arrival_briefing.amira",
                        {{"scene_location", "46.2,6.1"}, {"lead_notes", std::string(70'000, 'x')}}),
                ErrorCode::kTooLarge);
}

TEST_F(HqValidateTest, AChunksDataIsNotCountedButTheRestOfItIs) {
  // 200 KiB of data: over the record limit, within the chunk limit.
  const std::string piece(200 * 1024, 'z');
  json chunk = {{"task", "d1.identify_nuclide.jonas"},
                {"attachment", std::string(64, 'b')},
                {"name", "big.spe"},
                {"size", piece.size()},
                {"chunk_bytes", piece.size()},
                {"chunks", 1},
                {"index", 0},
                {"sha256", std::string(64, 'c')},
                {"data", json::binary_t(std::vector<std::uint8_t>(piece.begin(), piece.end()))}};
  auto outcome = IngestOk("jonas-1", {{1, "attachment_chunk", clock_.Now(), chunk}});
  ASSERT_EQ(outcome.refused.size(), 1u);
  // Refused for its made-up sha256, not for its size.
  EXPECT_NE(outcome.refused[0].second.code(), ErrorCode::kTooLarge)
      << outcome.refused[0].second.ToString();
  chunk["name"] = std::string(70'000, 'n');
  ExpectRefused("jonas-1", {2, "attachment_chunk", clock_.Now(), chunk}, ErrorCode::kTooLarge);
}

// ---------------------------------------------------------------------------------------
// What an agent records passes: the same code checks it on both sides.

TEST_F(HqValidateTest, FindingsTheAgentVerbMadePassAtHq) {
  Bundle bundle;
  bundle.agent_id = "jonas-1";
  bundle.member_id = "jonas";
  bundle.hq_id = hq_->database().hq_id();
  const std::string data = dir_.File("agent-jonas");
  std::filesystem::create_directories(data);
  auto agent = agent::AgentStore::Open(data, bundle, clock_);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  std::vector<agent::Delivery> deliveries;
  for (const hq::Delivery& delivery : Deliveries("jonas-1")) {
    deliveries.push_back({delivery.seq, delivery.kind, delivery.at, delivery.body});
  }
  ASSERT_TRUE((*agent)->ApplyDeliveries(deliveries).ok());
  const std::string spectrum = dir_.File("cs137.spe");
  std::ofstream(spectrum) << "channel counts\n1 2\n";
  const std::string photo = dir_.File("detector.jpg");
  std::ofstream(photo) << "not really a jpeg";

  std::ostringstream out;
  Status inspected = agent::RecordFinding(
      **agent, "secondary_inspection",
      {"dose_rate_1m=250000", "background=-1", "neutrons_detected=no", "hot_spot=46.2,6.1"},
      /*confirm=*/true, /*complete=*/false, /*force=*/true, out, {});
  ASSERT_TRUE(inspected.ok()) << inspected.ToString();
  Status identified = agent::RecordFinding(
      **agent, "identify_nuclide",
      {"nuclide=Cs-137", "assessment=suspect_material", "spectrum=" + spectrum, "confidence=high"},
      /*confirm=*/false, /*complete=*/false, /*force=*/true, out, {photo});
  ASSERT_TRUE(identified.ok()) << identified.ToString();

  auto records = (*agent)->outbox().Records("");
  ASSERT_TRUE(records.ok());
  std::vector<hq::InboundRecord> batch;
  for (const agent::OutboxRecord& record : *records) {
    batch.push_back({record.seq, record.kind, record.created_at, record.body});
  }
  ASSERT_GE(batch.size(), 2u);
  hq::IngestOutcome outcome = IngestOk("jonas-1", batch);
  for (const auto& [seq, why] : outcome.refused) ADD_FAILURE() << seq << ": " << why.ToString();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM findings WHERE agent_id='jonas-1'"), 2);
  EXPECT_EQ(QueryText(hq_->database().db(),
                      "SELECT value FROM finding_values WHERE key='identify_nuclide.spectrum'"),
            R"("cs137.spe")");
}

// ---------------------------------------------------------------------------------------
// Through the wire: the real router, decoder and agent

TEST_F(CoordinatorTest, AHugeNoteInASmallCompressedFrameGetsAckThenTooLarge) {
  StartHq();
  Bundle amira = Enroll("amira");
  RawDealer dealer(amira.endpoint, KeysOf(amira));
  dealer.Send(Hello(amira.agent_id));
  ASSERT_TRUE(dealer.ReceiveType(MessageType::kWelcome, 5'000).has_value());

  const std::string text(7'800'000, 'x');
  const std::string frame = protocol::Encode(Message{
      MessageType::kRecords,
      {{"records",
        json::array({{{"seq", 1}, {"kind", "note"}, {"at", 1}, {"body", {{"text", text}}}},
                     {{"seq", 2}, {"kind", "note"}, {"at", 2}, {"body", {{"text", "ok"}}}}})}}});
  ASSERT_LT(frame.size(), 64u * 1024) << "the frame is small on the wire";
  ASSERT_TRUE(static_cast<std::uint8_t>(frame[2]) & protocol::kFlagCompressed);
  dealer.SendFrame(frame);

  auto ack = dealer.ReceiveType(MessageType::kAck, 10'000);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->body["seqs"], json::array({1, 2}));
  EXPECT_EQ(ack->body["ingested"], 2);
  auto error = dealer.ReceiveType(MessageType::kError, 5'000);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->body["code"], "too_large");
  EXPECT_EQ(error->body["ref"], 1);

  SystemClock clock;
  auto store = hq::Headquarters::Open(config_.data_dir + "/muster.db", clock);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(QueryText((*store)->database().db(), "SELECT outcome FROM inbound WHERE seq=1")
                .rfind("refused: too_large: ", 0),
            0u);
  EXPECT_EQ(QueryText((*store)->database().db(), "SELECT outcome FROM inbound WHERE seq=2"), "applied");
  EXPECT_EQ(QueryInt((*store)->database().db(), "SELECT COUNT(*) FROM timeline WHERE kind='note'"), 1);
  EXPECT_LT(QueryInt((*store)->database().db(), "SELECT MAX(length(body)) FROM inbound"), 200);
}

// A record the agent's own checks would have stopped (an older or another agent, or one
// appended past the verbs) is refused at HQ, and the member sees why.
TEST_F(CoordinatorTest, TheMemberSeesHqsRefusalOfAFinding) {
  StartHq();
  Enroll("amira", "team_leader");
  Enroll("jonas", "radiation_specialist");
  Bundle li = Enroll("li", "forensic_examiner");
  Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Portal alarm"}});
  Post("/v1/deployments", {{"incident", "INC-1"},
                           {"playbook_source", BorderPlaybookSource()},
                           {"assign", json::object()}});
  const std::string task = "d1.recover_material.li";
  const std::string data = dir_.File("agent-" + li.agent_id);
  std::filesystem::create_directories(data);
  {
    auto store = agent::AgentStore::Open(data, li, clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)
                    ->outbox().Append("finding", task,
                             {{"task", task}, {"values", {{"sample_id", "RN-42"}}}},
                             agent::kLaneFinding)
                    .ok());
  }
  agent::SyncReport report = SyncAgent(li);
  EXPECT_TRUE(report.connected) << report.error;
  EXPECT_EQ(report.pending, 0u) << "the refused record is acknowledged, not sent again";

  auto store = agent::AgentStore::Open(data, li, clock_);
  ASSERT_TRUE(store.ok());
  auto records = (*store)->outbox().Records(task);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_TRUE((*records)[0].acked_at.has_value());
  EXPECT_EQ((*records)[0].refusal,
            "invalid_value: sample_id: expected a sample id matching ^RN-[0-9]{4}$, got 'RN-42'");
  std::ostringstream log;
  ASSERT_TRUE(agent::ShowLog(**store, task, /*as_json=*/false, log).ok());
  EXPECT_NE(log.str().find("got 'RN-42'"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace muster::coordtest
