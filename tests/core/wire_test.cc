// The typed wire records and deliveries: what one side encodes the other decodes to the
// same value, and a body that is not what its kind says is refused naming the field,
// never thrown on.
#include <gtest/gtest.h>

#include <cstdio>

#include "muster/digest.h"
#include "muster/protocol.h"
#include "muster/wire/deliveries.h"
#include "muster/wire/packing.h"
#include "muster/wire/records.h"

namespace muster::wire {
namespace {

const std::string kSha = Sha256Hex("the photo");

// Through MessagePack, as the bodies travel.
json Travel(const json& body) { return json::from_msgpack(json::to_msgpack(body)); }

TEST(WireRecordsTest, KindsHaveOneNameEach) {
  for (RecordKind kind : {RecordKind::kStatus, RecordKind::kFinding, RecordKind::kAlert,
                          RecordKind::kTrigger, RecordKind::kNote, RecordKind::kAttachmentChunk,
                          RecordKind::kChecklist, RecordKind::kPosition,
                          RecordKind::kWatchlistHit}) {
    EXPECT_EQ(RecordKindFromName(RecordKindName(kind)), kind);
  }
  EXPECT_EQ(RecordKindName(RecordKind::kAttachmentChunk), std::string("attachment_chunk"));
  EXPECT_FALSE(RecordKindFromName("gossip").has_value());
  EXPECT_EQ(DeliveryKindFromName("team"), DeliveryKind::kTeam);
  EXPECT_FALSE(DeliveryKindFromName("status").has_value());
}

TEST(WireRecordsTest, AWatchlistHitAndAWatchlistTravelWhole) {
  const WatchlistHitRecord hit{"d1.secondary_inspection.jonas", "G-2026-0412", 973, true,
                               "PETROW Iwan|1971-03-02", "scores 0.97"};
  auto back = WatchlistHitRecord::Decode(Travel(hit.Encode()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->notice, "G-2026-0412");
  EXPECT_EQ(back->score_milli, 973u);
  EXPECT_TRUE(back->document);
  EXPECT_EQ(back->person, "PETROW Iwan|1971-03-02");
  json over = hit.Encode();
  over["score_milli"] = 1001;
  EXPECT_FALSE(WatchlistHitRecord::Decode(over).ok());

  const WatchlistDelivery list{"INC-1", true,
                               {{"G-2026-0412", "green", {"Иван Петров"}, "1971", {"RU"},
                                 {"721234567"}, {"UA"}}},
                               {"G-2020-0001"}};
  auto delivered = WatchlistDelivery::Decode(Travel(list.Encode()));
  ASSERT_TRUE(delivered.ok()) << delivered.status().ToString();
  EXPECT_TRUE(delivered->whole);
  ASSERT_EQ(delivered->entries.size(), 1u);
  EXPECT_EQ(delivered->entries[0].names[0], "Иван Петров");
  EXPECT_EQ(delivered->entries[0].regions, std::vector<std::string>{"UA"});
  EXPECT_EQ(delivered->removed, std::vector<std::string>{"G-2020-0001"});
  json bad = list.Encode();
  bad["entries"][0]["date_of_birth"] = "yesterday";
  const Status refused = WatchlistDelivery::Decode(bad).status();
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("G-2026-0412"), std::string::npos) << refused.message();
  bad = list.Encode();
  bad["entries"][0].erase("names");
  bad["entries"][0].erase("documents");
  EXPECT_FALSE(WatchlistDelivery::Decode(bad).ok());
  EXPECT_EQ(DeliveryKindFromName("watchlist"), DeliveryKind::kWatchlist);
}

TEST(WireRecordsTest, APositionCarriesItsPlaceAndNothingElse) {
  auto back = PositionRecord::Decode(Travel(PositionRecord{"48.8566,2.3522"}.Encode()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->place, "48.8566,2.3522");
  EXPECT_EQ(RecordKindName(RecordKind::kPosition), std::string("position"));
  EXPECT_FALSE(PositionRecord::Decode(json::object()).ok());
  EXPECT_FALSE(PositionRecord::Decode(json{{"place", 48.8}}).ok());
}

TEST(WireRecordsTest, AChecklistTickNamesItsItemAndWhetherItIsChecked) {
  auto back = ChecklistRecord::Decode(Travel(ChecklistRecord{"d1.survey.amira", 3, false}.Encode()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->task, "d1.survey.amira");
  EXPECT_EQ(back->item, 3u);
  EXPECT_FALSE(back->checked);
  EXPECT_EQ(RecordKindName(RecordKind::kChecklist), std::string("checklist"));
  EXPECT_FALSE(ChecklistRecord::Decode(json{{"task", "t"}, {"item", "two"}}).ok());
  EXPECT_FALSE(ChecklistRecord::Decode(json{{"item", 1}}).ok());
}

TEST(WireRecordsTest, AStatusTravelsWithItsReasonOnlyWhenGiven) {
  const json plain = StatusRecord{"d1.survey.amira", "in_progress", ""}.Encode();
  EXPECT_FALSE(plain.contains("reason"));
  auto back = StatusRecord::Decode(
      Travel(StatusRecord{"d1.survey.amira", "blocked", "road shut"}.Encode()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->task, "d1.survey.amira");
  EXPECT_EQ(back->state, "blocked");
  EXPECT_EQ(back->reason, "road shut");
}

TEST(WireRecordsTest, AFindingKeepsValuesConfirmationsAndFiles) {
  FindingRecord finding;
  finding.task = "d1.sample.amira";
  finding.values = {{"dose_rate", 12.5}, {"photo", "site.jpg"}, {"wind", "NE"}};
  finding.confirmed = {"dose_rate"};
  finding.attachments = {{kSha, "site.jpg", 200'000, "photo"}, {kSha, "extra.jpg", 10, ""}};
  auto back = FindingRecord::Decode(Travel(finding.Encode()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->values, finding.values);
  EXPECT_EQ(back->confirmed, finding.confirmed);
  ASSERT_EQ(back->attachments.size(), 2u);
  EXPECT_EQ(back->attachments[0].field, "photo");
  EXPECT_EQ(back->attachments[0].size, 200'000u);
  EXPECT_EQ(back->attachments[1].field, "");
}

TEST(WireRecordsTest, AFindingsFileMustBeNamedPlainlyAndWithinTheLimit) {
  FindingRecord finding{"d1.sample.amira", json::object(), {}, {{kSha, "../etc/passwd", 1, ""}}, ""};
  auto path = FindingRecord::Decode(finding.Encode());
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), ErrorCode::kMalformed);
  EXPECT_NE(path.status().message().find("'name'"), std::string::npos);
  finding.attachments = {{"not-a-sha", "a.jpg", 1, ""}};
  EXPECT_NE(FindingRecord::Decode(finding.Encode()).status().message().find("sha256"),
            std::string::npos);
  finding.attachments = {{kSha, "a.jpg", protocol::kMaxAttachmentBytes + 1, ""}};
  EXPECT_EQ(FindingRecord::Decode(finding.Encode()).status().code(), ErrorCode::kTooLarge);
}

TEST(WireRecordsTest, AlertsNotesAndTriggersRoundTrip) {
  auto alert = AlertRecord::Decode(
      Travel(AlertRecord{"", "contamination on my glove", "critical"}.Encode()));
  ASSERT_TRUE(alert.ok());
  EXPECT_EQ(alert->task, "");
  EXPECT_EQ(alert->severity, "critical");
  // A safety alert is never refused for a missing message.
  auto bare = AlertRecord::Decode(json{{"severity", "warning"}});
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->message, "");
  auto note = NoteRecord::Decode(Travel(NoteRecord{"d1.survey.amira", "gate 3 locked"}.Encode()));
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->text, "gate 3 locked");
  auto trigger =
      TriggerRecord::Decode(Travel(TriggerRecord{"d1.sample.amira", "high_dose"}.Encode()));
  ASSERT_TRUE(trigger.ok());
  EXPECT_EQ(trigger->trigger, "high_dose");
}

TEST(WireRecordsTest, AWrongFieldIsNamedAndNothingThrows) {
  auto missing = StatusRecord::Decode(json{{"task", "t"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kMalformed);
  EXPECT_NE(missing.status().message().find("'state'"), std::string::npos);
  auto typed = StatusRecord::Decode(json{{"task", 7}, {"state", "completed"}});
  EXPECT_NE(typed.status().message().find("'task'"), std::string::npos);
  for (const json& hostile :
       {json(), json(3), json::array({1, 2}), json("status"),
        json{{"task", json::array()}, {"values", "x"}},
        json{{"task", "t"}, {"values", json::object()}, {"attachments", 5}},
        json{{"task", "t"}, {"values", json::object()}, {"attachments", json::array({7})}},
        json{{"task", "t"}, {"confirmed", json::array({1})}, {"values", json::object()}}}) {
    EXPECT_FALSE(FindingRecord::Decode(hostile).ok()) << hostile.dump();
    EXPECT_FALSE(StatusRecord::Decode(hostile).ok()) << hostile.dump();
    EXPECT_FALSE(AttachmentPiece::Decode(hostile).ok()) << hostile.dump();
    EXPECT_FALSE(TaskDelivery::Decode(hostile).ok()) << hostile.dump();
    EXPECT_FALSE(TeamChange::Decode(hostile).ok()) << hostile.dump();
  }
}

TEST(WireRecordsTest, APieceCarriesItsBytesAndAnOlderAgentsChunkFindsItsOffset) {
  AttachmentPiece piece;
  piece.task = "d1.sample.amira";
  piece.attachment = kSha;
  piece.offset = 4096;
  piece.name = "site.jpg";
  piece.size = 10'000;
  piece.data = std::string("\x00\x01\xff", 3);
  piece.length = 3;
  piece.sha256 = Sha256Hex(*piece.data);
  const json body = Travel(piece.Encode());
  EXPECT_TRUE(body["data"].is_binary());
  EXPECT_FALSE(piece.Description().contains("data"));
  auto back = AttachmentPiece::Decode(body);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->offset, 4096u);
  EXPECT_EQ(*back->data, *piece.data);
  EXPECT_EQ(back->sha256, piece.sha256);

  json legacy = body;
  legacy.erase("offset");
  legacy["index"] = 3;
  legacy["chunk_bytes"] = 1024;
  auto old = AttachmentPiece::Decode(legacy);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->offset, 3072u);
  legacy["chunk_bytes"] = 0;
  EXPECT_FALSE(AttachmentPiece::Decode(legacy).ok());

  json no_bytes = body;
  no_bytes.erase("data");
  EXPECT_NE(AttachmentPiece::Decode(no_bytes).status().message().find("'data'"), std::string::npos);
  no_bytes["damaged"] = "disk read error";
  auto damaged = AttachmentPiece::Decode(no_bytes);
  ASSERT_TRUE(damaged.ok());
  EXPECT_EQ(damaged->damaged, "disk read error");
  EXPECT_FALSE(damaged->data.has_value());
}

TEST(WireDeliveriesTest, ATaskTravelsWithWhatItWaitsOn) {
  TaskDelivery task;
  task.task = "d1.sample.amira";
  task.deployment = 1;
  task.step = "sample";
  task.member = "amira";
  task.state = "waiting";
  task.due_at = 1'700'000'000'000;
  task.playbook = "abc";
  task.incident = "INC-1";
  task.incident_title = "Portal alarm";
  task.waits_on = {{"d1.survey.jonas", "survey", "jonas", "Jonas Berg", "in_progress"}};
  auto back = TaskDelivery::Decode(Travel(task.Encode()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->due_at, task.due_at);
  ASSERT_EQ(back->waits_on.size(), 1u);
  EXPECT_EQ(back->waits_on[0].name, "Jonas Berg");
  task.due_at.reset();
  auto undated = TaskDelivery::Decode(Travel(task.Encode()));
  ASSERT_TRUE(undated.ok());
  EXPECT_FALSE(undated->due_at.has_value());
}

TEST(WireDeliveriesTest, TeamViewsAndChangesRoundTripAndTellTheirForm) {
  TeamView view{1,
                "INC-1",
                "abc",
                1000,
                4,
                {{"amira", "Amira"}},
                {{"d1.a.amira", "a", "amira", "ready"}},
                {{"amira-1", std::string(40, 'k')}},
                {{"amira-1", "amira"}}};
  const json view_body = Travel(view.Encode());
  EXPECT_EQ(*TeamDelivery::FormOf(view_body), TeamDelivery::Form::kView);
  auto view_back = TeamView::Decode(view_body);
  ASSERT_TRUE(view_back.ok());
  EXPECT_EQ(view_back->tasks[0].state, "ready");
  EXPECT_EQ(view_back->members.at("amira"), "Amira");
  EXPECT_EQ(view_back->agents, view.agents) << "the field relay admits these keys";
  EXPECT_EQ(view_back->agent_members, view.agent_members);

  TeamChange change{1, 5, {{0, 3}}, {{1, "d1.b.li", "b", "li", 1}}, {{"li", "Li Wei"}}};
  const json change_body = Travel(change.Encode());
  EXPECT_EQ(*TeamDelivery::FormOf(change_body), TeamDelivery::Form::kChange);
  auto change_back = TeamChange::Decode(change_body);
  ASSERT_TRUE(change_back.ok()) << change_back.status().ToString();
  ASSERT_EQ(change_back->set.size(), 1u);
  EXPECT_EQ(change_back->set[0].state, 3);
  ASSERT_EQ(change_back->add.size(), 1u);
  EXPECT_EQ(change_back->add[0].member, "li");
  EXPECT_EQ(change_back->members.at("li"), "Li Wei");
  // Only the state changed: no members map on the wire.
  const TeamChange states_only{1, 6, {{0, 4}}, {}, {}};
  EXPECT_FALSE(states_only.Encode().contains("members"));

  EXPECT_EQ(*TeamDelivery::FormOf(json{{"deployment", 1}, {"superseded", true}}),
            TeamDelivery::Form::kSuperseded);
  EXPECT_EQ(*TeamDelivery::FormOf(json{{"deployment", 1}, {"superseded", "yes"}}),
            TeamDelivery::Form::kChange);
  EXPECT_FALSE(
      TeamChange::Decode(json{{"deployment", 1}, {"version", 2}, {"set", {{"x", 1}}}}).ok());
}

// Packing in pieces writes the bytes to_msgpack writes for the same value, at each size of
// map and array header (fix, 16-bit, 32-bit).
TEST(WirePackingTest, PiecesAreTheBytesOfTheWholeValue) {
  for (std::size_t size : {0u, 3u, 15u, 16u, 300u, 65'535u, 65'536u}) {
    json array = json::array();
    json map = json::object();
    std::string array_pieces, map_pieces;
    pack::ArrayHeader(array_pieces, size);
    pack::MapHeader(map_pieces, size);
    for (std::size_t i = 0; i < size; ++i) {
      array.push_back(i);
      pack::Value(array_pieces, i);
      char key[16];
      std::snprintf(key, sizeof key, "k%08zu", i);  // in to_msgpack's (sorted) order
      map[key] = "v";
      pack::Value(map_pieces, key);
      pack::Value(map_pieces, "v");
    }
    std::string whole_array, whole_map;
    json::to_msgpack(array, whole_array);
    json::to_msgpack(map, whole_map);
    EXPECT_EQ(array_pieces, whole_array) << size;
    EXPECT_EQ(map_pieces, whole_map) << size;
  }
}

TEST(WirePackingTest, AnEntryWithAPackedBodyDecodesAsTheEntry) {
  const Entry entry{7, "team", 1'700'000'000'000, json{{"deployment", 1}, {"tasks", {1, 2, 3}}}};
  std::string body;
  pack::Value(body, entry.body);
  std::string packed;
  Entry::Pack(packed, entry.seq, entry.kind, entry.at, body);
  std::string whole;
  json::to_msgpack(entry.Encode(), whole);
  EXPECT_EQ(packed, whole) << "the same bytes, so they compress the same";
  EXPECT_EQ(Entry::FromChecked(json::from_msgpack(packed)).body, entry.body);
}

TEST(WirePackingTest, APackedMessageIsFramedAsEncodeFramesIt) {
  const Entry entry{1, "team", 1'700'000'000'000, json{{"deployment", 1}}};
  const json body = {{"deliveries", json::array({entry.Encode()})}, {"more", true}};
  std::string packed;
  pack::Value(packed, body);
  const std::string frame = protocol::EncodePacked(protocol::MessageType::kDeliver, packed);
  EXPECT_EQ(frame, protocol::Encode({protocol::MessageType::kDeliver, body}));
  auto decoded = protocol::Decode(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->body, body);
}

}  // namespace
}  // namespace muster::wire
