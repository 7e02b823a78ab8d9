#include "agent_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "agent_fixture.h"
#include "muster/playbook/load.h"

namespace muster::agent::testing {
namespace {

using nlohmann::json;

std::vector<std::uint64_t> Seqs(const std::vector<OutboxRecord>& records) {
  std::vector<std::uint64_t> seqs;
  for (const auto& record : records) seqs.push_back(record.seq);
  return seqs;
}

std::vector<std::uint64_t> BatchSeqs(AgentStore& store, std::size_t max_records = 100,
                                     std::size_t max_bytes = 1 << 20) {
  auto batch = store.outbox().NextBatch(max_records, max_bytes);
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  return batch.ok() ? Seqs(*batch) : std::vector<std::uint64_t>{};
}

std::uint64_t AppendOk(AgentStore& store, const std::string& kind, int lane,
                       const json& body = {{"text", "x"}}, const std::string& task = "") {
  auto seq = store.outbox().Append(kind, task, body, lane);
  EXPECT_TRUE(seq.ok()) << seq.status().ToString();
  return seq.ok() ? *seq : 0;
}

using AgentStoreTest = AgentTest;

// --- opening ---

TEST_F(AgentStoreTest, OpenCreatesTheStoreAndRecordsTheIdentity) {
  EXPECT_TRUE(std::filesystem::exists(dir_.File("agent.db")));
  EXPECT_EQ(store_->agent_id(), "agent-7");
  EXPECT_EQ(store_->member_id(), kMember);
  EXPECT_EQ(*store_->AppliedWatermark(), 0u);
  EXPECT_EQ(*store_->outbox().Head(), 0u);
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 0u);
  EXPECT_TRUE(store_->Tasks()->empty());
}

TEST_F(AgentStoreTest, OpenRefusesAStoreOfAnotherAgent) {
  auto other = AgentStore::Open(dir_.path(), MakeBundle("agent-8"), clock_, Key());
  EXPECT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), ErrorCode::kWrongStore);
  EXPECT_NE(other.status().message().find("agent-7"), std::string::npos);
}

TEST_F(AgentStoreTest, ReopeningKeepsEverything) {
  Deploy();
  AppendOk(*store_, "note", kLaneStatus);
  store_.reset();
  store_ = OpenAnother();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(*store_->AppliedWatermark(), 5u);
  EXPECT_EQ(store_->Tasks()->size(), 4u);
  EXPECT_EQ(*store_->outbox().Head(), 1u);
}

// --- deliveries ---

TEST_F(AgentStoreTest, DeliveriesApplyInOrder) {
  Deploy();
  EXPECT_EQ(*store_->AppliedWatermark(), 5u);
  auto tasks = store_->Tasks();
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 4u);
  EXPECT_EQ((*tasks)[0].id, TaskIdOf("secondary_inspection"));
  EXPECT_EQ((*tasks)[1].id, TaskIdOf("establish_cordon"));
  EXPECT_EQ((*tasks)[2].id, TaskIdOf("expand_cordon"));
  EXPECT_EQ((*tasks)[3].id, TaskIdOf("identify_nuclide"));

  const Task task = GetTask("secondary_inspection");
  EXPECT_EQ(task.deployment, 1);
  EXPECT_EQ(task.incident, "INC-2026-0042");
  EXPECT_EQ(task.incident_title, "Portal alarm at Nickelsdorf");
  EXPECT_EQ(task.playbook, BorderSeizure().content_hash);
  EXPECT_EQ(task.hq_state, "ready");
  EXPECT_FALSE(task.dormant);
  ASSERT_TRUE(task.due_at.has_value());
  EXPECT_EQ(*task.due_at, clock_.Now() + 45 * 60'000);
  EXPECT_TRUE(GetTask("expand_cordon").dormant);
  EXPECT_FALSE(GetTask("establish_cordon").due_at.has_value());  // HQ sent null
  EXPECT_EQ(GetTask("establish_cordon").waits_on.size(), 1u);
}

TEST_F(AgentStoreTest, DeliveredPlaybookLoadsAndMatches) {
  Deploy();
  const auto& book = BorderSeizure();
  auto source = store_->PlaybookSource(book.content_hash);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(*source, book.source);
  auto loaded = store_->PlaybookByHash(book.content_hash);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->id, book.id);
  EXPECT_EQ((*loaded)->version, book.version);
  EXPECT_EQ((*loaded)->content_hash, book.content_hash);
  EXPECT_EQ((*loaded)->steps.size(), book.steps.size());
  ASSERT_NE((*loaded)->FindStep("secondary_inspection"), nullptr);
  // Cached: the same object the second time.
  EXPECT_EQ(store_->PlaybookByHash(book.content_hash)->get(), loaded->get());
}

TEST_F(AgentStoreTest, PlaybookNotYetArrivedOrBroken) {
  EXPECT_EQ(store_->PlaybookByHash("feedface").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(store_
                  ->ApplyDeliveries({{1, "playbook", 1,
                                      {{"hash", "deadbeef"}, {"id", "x"}, {"version", "1.0.0"},
                                       {"source", "id: [unclosed"}}}})
                  .ok());
  EXPECT_EQ(store_->PlaybookByHash("deadbeef").status().code(), ErrorCode::kInvalidPlaybook);
}

TEST_F(AgentStoreTest, DuplicateDeliveriesAreIgnored) {
  Deploy();
  // HQ sends seq 2 again (it did not see our DELIVERED) with a different state: ignored.
  auto applied =
      store_->ApplyDeliveries({TaskDelivery(2, {.step = "secondary_inspection", .state = "cancelled"})});
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 5u);
  EXPECT_EQ(GetTask("secondary_inspection").hq_state, "ready");
  // A batch that overlaps: the old part is skipped, the new part applied.
  applied = store_->ApplyDeliveries(
      {TaskDelivery(5, {.step = "identify_nuclide", .state = "cancelled"}),
       TaskDelivery(6, {.step = "identify_nuclide", .state = "ready"})});
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 6u);
  EXPECT_EQ(GetTask("identify_nuclide").hq_state, "ready");
}

TEST_F(AgentStoreTest, AGapStopsApplication) {
  Deploy();
  auto applied = store_->ApplyDeliveries(
      {TaskDelivery(7, {.step = "establish_cordon", .state = "ready"})});
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 5u);
  EXPECT_EQ(GetTask("establish_cordon").hq_state, "waiting");
  // A gap in the middle of a batch: what comes before it is applied, nothing after.
  applied = store_->ApplyDeliveries(
      {TaskDelivery(6, {.step = "establish_cordon", .state = "ready"}),
       TaskDelivery(8, {.step = "establish_cordon", .state = "cancelled"}),
       TaskDelivery(9, {.step = "identify_nuclide", .state = "cancelled"})});
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 6u);
  EXPECT_EQ(*store_->AppliedWatermark(), 6u);
  EXPECT_EQ(GetTask("establish_cordon").hq_state, "ready");
  EXPECT_EQ(GetTask("identify_nuclide").hq_state, "waiting");
}

TEST_F(AgentStoreTest, UnknownDeliveryKindsAdvanceTheCursorWithoutEffect) {
  Deploy();
  auto applied = store_->ApplyDeliveries({{6, "broadcast", 1, {{"text", "from a newer HQ"}}}});
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 6u);
  EXPECT_EQ(store_->Tasks()->size(), 4u);
}

TEST_F(AgentStoreTest, TaskUpdatesKeepLocalWorkAndNeverMakeAnActiveStepDormant) {
  Deploy();
  ASSERT_TRUE(store_->SetLocalState(TaskIdOf("secondary_inspection"), "in_progress", "").ok());
  ASSERT_TRUE(store_->ActivateStep(1, "expand_cordon").ok());
  auto applied = store_->ApplyDeliveries(
      {TaskDelivery(6, {.step = "secondary_inspection", .state = "in_progress", .reason = "HQ saw it"}),
       TaskDelivery(7, {.step = "expand_cordon", .dormant = true})});
  ASSERT_TRUE(applied.ok());
  const Task inspection = GetTask("secondary_inspection");
  EXPECT_EQ(inspection.hq_state, "in_progress");
  EXPECT_EQ(inspection.hq_reason, "HQ saw it");
  EXPECT_EQ(inspection.local_state, "in_progress");
  EXPECT_FALSE(GetTask("expand_cordon").dormant) << "activated here before HQ heard of it";
}

// A delivery the agent cannot use is skipped (and logged), not refused: refusing it would
// make HQ resend it forever and stop every later delivery to this agent.
TEST_F(AgentStoreTest, AMalformedDeliveryIsSkippedAndLaterOnesStillApply) {
  Deploy();
  const std::string before = GetTask("identify_nuclide").hq_state;
  Delivery bad = TaskDelivery(7, {.step = "identify_nuclide", .state = "ready"});
  bad.body["deployment"] = "one";  // HQ sends an integer
  auto applied = store_->ApplyDeliveries(
      {TaskDelivery(6, {.step = "establish_cordon", .state = "ready"}), bad,
       TaskDelivery(8, {.step = "photograph_scene", .state = "ready"})});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 8u);
  EXPECT_EQ(GetTask("establish_cordon").hq_state, "ready");
  EXPECT_EQ(GetTask("identify_nuclide").hq_state, before);
}

TEST_F(AgentStoreTest, FindTaskByIdOrUnambiguousStep) {
  Deploy();
  EXPECT_EQ(GetTask("secondary_inspection").id, TaskIdOf("secondary_inspection"));
  auto by_id = store_->FindTask(TaskIdOf("establish_cordon"));
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->step, "establish_cordon");
  EXPECT_EQ(store_->FindTask("no_such_step").status().code(), ErrorCode::kNotFound);
  // A second deployment of the same playbook: the step name is now ambiguous.
  ASSERT_TRUE(store_
                  ->ApplyDeliveries({TaskDelivery(
                      6, {.step = "secondary_inspection", .state = "ready", .deployment = 2})})
                  .ok());
  auto ambiguous = store_->FindTask("secondary_inspection");
  EXPECT_EQ(ambiguous.status().code(), ErrorCode::kAmbiguous);
  EXPECT_NE(ambiguous.status().message().find(TaskIdOf("secondary_inspection", 2)),
            std::string::npos);
  EXPECT_TRUE(store_->FindTask(TaskIdOf("secondary_inspection", 2)).ok());
}

// --- the outbox ---

TEST_F(AgentStoreTest, AppendAssignsIncreasingSequences) {
  clock_.Set(1'800'000'000'000);
  const std::uint64_t a = AppendOk(*store_, "note", kLaneStatus, {{"text", "first"}}, "t1");
  clock_.Advance(1000);
  const std::uint64_t b = AppendOk(*store_, "note", kLaneStatus, {{"text", "second"}});
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(*store_->outbox().Head(), 2u);
  auto records = store_->outbox().Records("");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].kind, "note");
  EXPECT_EQ((*records)[0].task, "t1");
  EXPECT_EQ((*records)[0].body["text"], "first");
  EXPECT_EQ((*records)[0].created_at, 1'800'000'000'000);
  EXPECT_EQ((*records)[1].created_at, 1'800'000'001'000);
  EXPECT_FALSE((*records)[0].sent_at.has_value());
  EXPECT_FALSE((*records)[0].acked_at.has_value());
  EXPECT_EQ(Seqs(*store_->outbox().Records("t1")), (std::vector<std::uint64_t>{1}));
}

TEST_F(AgentStoreTest, NextBatchTakesTheLowestLaneOnlyInSequence) {
  AppendOk(*store_, "status", kLaneStatus);        // 1
  AppendOk(*store_, "finding", kLaneFinding);      // 2
  AppendOk(*store_, "alert", kLaneSafety);         // 3
  AppendOk(*store_, "status", kLaneStatus);        // 4
  AppendOk(*store_, "note", kLaneAttachment);      // 5
  AppendOk(*store_, "trigger", kLaneSafety);       // 6
  EXPECT_EQ(*store_->outbox().LowestPendingLane(), kLaneSafety);
  EXPECT_EQ(BatchSeqs(*store_), (std::vector<std::uint64_t>{3, 6}));
  EXPECT_EQ(BatchSeqs(*store_, 1), (std::vector<std::uint64_t>{3}));
  ASSERT_TRUE(store_->outbox().MarkAcked({3, 6}).ok());
  EXPECT_EQ(BatchSeqs(*store_), (std::vector<std::uint64_t>{1, 4}));
  ASSERT_TRUE(store_->outbox().MarkAcked({1, 4}).ok());
  EXPECT_EQ(BatchSeqs(*store_), (std::vector<std::uint64_t>{2}));
  // Below a lane cap (attachments held back), nothing higher comes out.
  ASSERT_TRUE(store_->outbox().MarkAcked({2}).ok());
  auto capped = store_->outbox().NextBatch(kLaneFinding, 100, 1 << 20);
  ASSERT_TRUE(capped.ok());
  EXPECT_TRUE(capped->empty());
  EXPECT_EQ(BatchSeqs(*store_), (std::vector<std::uint64_t>{5}));
  ASSERT_TRUE(store_->outbox().MarkAcked({5}).ok());
  EXPECT_EQ(*store_->outbox().LowestPendingLane(), -1);
}

TEST_F(AgentStoreTest, TheCursorsListWhatWasSentAndWhatWasAcknowledgedOutOfOrder) {
  for (int i = 0; i < 6; ++i) AppendOk(*store_, "status", kLaneStatus);  // 1..6
  ASSERT_TRUE(store_->outbox().MarkSent({1, 2, 3, 5}).ok());
  ASSERT_TRUE(store_->outbox().MarkAcked({1, 5, 6}).ok());
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 1u);
  EXPECT_EQ(*store_->outbox().SentUnacked(), (protocol::SeqRanges{{2, 3}}));
  auto above = store_->outbox().AckedAboveWatermark();
  ASSERT_TRUE(above.ok());
  EXPECT_EQ(above->ranges, (protocol::SeqRanges{{5, 6}}));
  EXPECT_TRUE(above->complete);
  EXPECT_EQ(*store_->outbox().Requeue({{5, 5}}), 1u);
  EXPECT_EQ(store_->outbox().Stats()->pending, 4u);  // 2, 3, 4 and 5 again
  ASSERT_TRUE(store_->outbox().MarkAckedRanges({{2, 3}}).ok());
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 3u);
}

TEST_F(AgentStoreTest, NextBatchRespectsTheByteLimitButAlwaysSendsOne) {
  const json big = {{"text", std::string(1000, 'x')}};
  const std::size_t size = big.dump().size();
  for (int i = 0; i < 5; ++i) AppendOk(*store_, "note", kLaneStatus, big);
  EXPECT_EQ(BatchSeqs(*store_, 100, 3 * size).size(), 3u);
  EXPECT_EQ(BatchSeqs(*store_, 100, 3 * size - 1).size(), 2u);
  // A record larger than the limit still goes, alone, so that it cannot block the outbox.
  EXPECT_EQ(BatchSeqs(*store_, 100, 10), (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(BatchSeqs(*store_, 0).empty());
}

TEST_F(AgentStoreTest, MarkAckedAndTheContiguousWatermark) {
  for (int i = 0; i < 4; ++i) AppendOk(*store_, "status", kLaneStatus);  // 1..4
  ASSERT_TRUE(store_->outbox().MarkSent({1, 2, 3, 4}).ok());
  ASSERT_TRUE(store_->outbox().MarkAcked({3}).ok());
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 0u) << "1 is not acknowledged yet";
  ASSERT_TRUE(store_->outbox().MarkAcked({1}).ok());
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 1u);
  ASSERT_TRUE(store_->outbox().MarkAcked({2, 4}).ok());
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 4u);
  EXPECT_TRUE(BatchSeqs(*store_).empty());
  AppendOk(*store_, "status", kLaneStatus);  // 5
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 4u);
}

TEST_F(AgentStoreTest, MarkAckedIsIdempotentAndKeepsTheFirstReceipt) {
  AppendOk(*store_, "status", kLaneStatus);
  clock_.Set(1'800'000'000'000);
  ASSERT_TRUE(store_->outbox().MarkAcked({1}).ok());
  clock_.Advance(60'000);
  ASSERT_TRUE(store_->outbox().MarkAcked({1, 99}).ok());  // 99 does not exist: ignored
  auto records = store_->outbox().Records("");
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].acked_at, 1'800'000'000'000);
  EXPECT_EQ((*records)[0].sent_at, 1'800'000'000'000) << "acknowledged implies sent";
  EXPECT_EQ(store_->Link()->last_sync_at, 1'800'000'060'000);
}

TEST_F(AgentStoreTest, MarkSentKeepsTheFirstSendTime) {
  AppendOk(*store_, "status", kLaneStatus);
  clock_.Set(1'800'000'000'000);
  ASSERT_TRUE(store_->outbox().MarkSent({1}).ok());
  clock_.Advance(15'000);
  ASSERT_TRUE(store_->outbox().MarkSent({1}).ok());
  EXPECT_EQ((*store_->outbox().Records(""))[0].sent_at, 1'800'000'000'000);
}

TEST_F(AgentStoreTest, StatsCountTheOutbox) {
  AppendOk(*store_, "status", kLaneStatus, {{"a", 1}});  // 1: acked
  AppendOk(*store_, "status", kLaneStatus, {{"a", 2}});  // 2: sent
  AppendOk(*store_, "status", kLaneStatus, {{"a", 3}});  // 3: only local
  ASSERT_TRUE(store_->outbox().MarkSent({1, 2}).ok());
  ASSERT_TRUE(store_->outbox().MarkAcked({1}).ok());
  ASSERT_TRUE(store_->outbox().MarkRefused(1, "forbidden: task closed").ok());
  auto stats = store_->outbox().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->pending, 2u);
  EXPECT_EQ(stats->pending_bytes, 2 * json({{"a", 2}}).dump().size());
  EXPECT_EQ(stats->sent_unacked, 1u);
  EXPECT_EQ(stats->acked, 1u);
  EXPECT_EQ(stats->refused, 1u);
  EXPECT_EQ((*store_->outbox().Records(""))[0].refusal, "forbidden: task closed");
}

TEST_F(AgentStoreTest, RequeueAboveSendsAgainWhatARestoredHqLost) {
  for (int i = 0; i < 5; ++i) AppendOk(*store_, "status", kLaneStatus);  // 1..5
  ASSERT_TRUE(store_->outbox().MarkAcked({1, 2, 3, 4, 5}).ok());
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 5u);
  auto requeued = store_->outbox().RequeueAbove(2);
  ASSERT_TRUE(requeued.ok());
  EXPECT_EQ(*requeued, 3u);
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 2u);
  EXPECT_EQ(BatchSeqs(*store_), (std::vector<std::uint64_t>{3, 4, 5}));
  EXPECT_EQ(*store_->outbox().RequeueAbove(2), 0u) << "already queued";
  EXPECT_EQ(*store_->outbox().Head(), 5u) << "sequences are kept: HQ ignores what it still has";
}

TEST_F(AgentStoreTest, RebaseSequenceMovesUnackedRecordsPastWhatHqHolds) {
  AppendOk(*store_, "status", kLaneStatus, {{"n", 1}});  // 1: acked
  AppendOk(*store_, "status", kLaneStatus, {{"n", 2}});  // 2
  AppendOk(*store_, "finding", kLaneFinding, {{"n", 3}});  // 3
  ASSERT_TRUE(store_->outbox().MarkAcked({1}).ok());
  // This store was restored from a backup; HQ already holds seqs up to 10 from this agent.
  ASSERT_TRUE(store_->outbox().RebaseSequence(10).ok());
  auto records = store_->outbox().Records("");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(Seqs(*records), (std::vector<std::uint64_t>{1, 11, 12}));
  EXPECT_EQ((*records)[1].body["n"], 2) << "order kept";
  EXPECT_EQ((*records)[2].body["n"], 3);
  EXPECT_EQ((*records)[2].kind, "finding");
  EXPECT_EQ((*records)[2].lane, kLaneFinding);
  EXPECT_EQ(AppendOk(*store_, "note", kLaneStatus), 13u);
  EXPECT_EQ(*store_->outbox().Head(), 13u);
}

TEST_F(AgentStoreTest, RebaseSequenceWithEverythingAcknowledged) {
  AppendOk(*store_, "status", kLaneStatus);
  ASSERT_TRUE(store_->outbox().MarkAcked({1}).ok());
  ASSERT_TRUE(store_->outbox().RebaseSequence(7).ok());
  EXPECT_EQ(AppendOk(*store_, "note", kLaneStatus), 8u);
}

// A store restored from a backup taken before its first record, or a data_dir recreated
// for the same bundle: the outbox never held a record, yet HQ holds seqs up to 10.
TEST_F(AgentStoreTest, RebaseSequenceOnAnEmptyOutbox) {
  ASSERT_TRUE(store_->outbox().RebaseSequence(10).ok());
  EXPECT_EQ(AppendOk(*store_, "note", kLaneStatus), 11u);
}

// --- what the member sees ---

TEST_F(AgentStoreTest, DisplayStateFollowsHqThenMemberThenReadiness) {
  Deploy();
  EXPECT_EQ(StateOf("secondary_inspection"), "ready");
  EXPECT_EQ(StateOf("establish_cordon"), "waiting");
  EXPECT_EQ(StateOf("expand_cordon"), "dormant");
  ASSERT_TRUE(store_->SetLocalState(TaskIdOf("secondary_inspection"), "in_progress", "").ok());
  EXPECT_EQ(StateOf("secondary_inspection"), "in_progress");
  EXPECT_EQ(StateOf("establish_cordon"), "waiting");
}

TEST_F(AgentStoreTest, WaitingBecomesReadyWhenAnOwnDependencyIsCompletedLocally) {
  Deploy();
  ASSERT_TRUE(store_->SetLocalState(TaskIdOf("secondary_inspection"), "completed", "").ok());
  // HQ has not heard yet (its relayed state is still "ready"), but this is our own task.
  EXPECT_EQ(GetTask("establish_cordon").waits_on[0]["state"], "ready");
  EXPECT_EQ(StateOf("establish_cordon"), "ready");
  EXPECT_EQ(StateOf("identify_nuclide"), "ready");
}

TEST_F(AgentStoreTest, DependenciesOfOtherMembersCountAsHqRelaysThem) {
  Deploy();
  json waits = json::array({WaitsOn("photograph_scene", "in_progress", "j.weber"),
                            WaitsOn("identify_nuclide", "ready")});
  ASSERT_TRUE(store_->ApplyDeliveries({TaskDelivery(6, {.step = "recover_material", .waits_on = waits})}).ok());
  EXPECT_EQ(StateOf("recover_material"), "waiting");
  ASSERT_TRUE(store_->SetLocalState(TaskIdOf("identify_nuclide"), "completed", "").ok());
  EXPECT_EQ(StateOf("recover_material"), "waiting") << "j.weber has not finished";
  waits[0]["state"] = "completed";
  ASSERT_TRUE(store_->ApplyDeliveries({TaskDelivery(7, {.step = "recover_material", .waits_on = waits})}).ok());
  EXPECT_EQ(StateOf("recover_material"), "ready");
}

TEST_F(AgentStoreTest, CancelledAndReassignedWinOverLocalWork) {
  Deploy();
  ASSERT_TRUE(store_->SetLocalState(TaskIdOf("secondary_inspection"), "in_progress", "").ok());
  ASSERT_TRUE(store_->ApplyDeliveries(
      {TaskDelivery(6, {.step = "secondary_inspection", .state = "cancelled", .reason = "innocent alarm"}),
       TaskDelivery(7, {.step = "expand_cordon", .state = "reassigned", .dormant = true})}).ok());
  EXPECT_EQ(StateOf("secondary_inspection"), "cancelled");
  EXPECT_EQ(StateOf("expand_cordon"), "reassigned");
  EXPECT_EQ(GetTask("secondary_inspection").hq_reason, "innocent alarm");
}

// Regression (agent/agent_store.cc DisplayState, fixed): of HQ's states only cancelled/reassigned are
// shown; a task HQ already has as completed (re-enrolment and HQ-restore backlogs resend
// every current task) shows "ready" to a member whose store has no local state, inviting
// the work to be done twice. Fix: when local_state is empty, show HQ's state if it is one
// the member reported (acknowledged, in_progress, blocked, completed).
TEST_F(AgentStoreTest, ATaskHqHasAsCompletedShowsCompleted) {
  ASSERT_TRUE(store_->ApplyDeliveries({PlaybookDelivery(1),
                                       TaskDelivery(2, {.step = "secondary_inspection",
                                                        .state = "completed"})}).ok());
  EXPECT_EQ(StateOf("secondary_inspection"), "completed");
}

// Regression (agent/agent_store.cc DisplayState, verbs.cc WaitsOn, fixed): waits_on entries are read with
// json::value(), which throws type_error when an entry is not a map or "state" is not a
// string. ApplyDelivery stores waits_on unchecked, so one odd snapshot from HQ makes every
// verb that lists tasks end with an uncaught exception. Fix: skip (or refuse at
// ApplyDelivery) entries that are not maps with string fields.
TEST_F(AgentStoreTest, OddWaitsOnEntriesDoNotThrow) {
  ASSERT_TRUE(store_->ApplyDeliveries(
      {PlaybookDelivery(1),
       TaskDelivery(2, {.step = "establish_cordon",
                        .waits_on = json::array({"d1.secondary_inspection.m.okafor",
                                                 {{"task", "x"}, {"state", 3}}})})}).ok());
  std::string state;
  EXPECT_NO_THROW(state = StateOf("establish_cordon"));
  EXPECT_EQ(state, "waiting");
}

TEST_F(AgentStoreTest, FindingValuesTakeTheLatestPerField) {
  Deploy();
  const std::string task = TaskIdOf("secondary_inspection");
  AppendOk(*store_, "finding", kLaneFinding,
           {{"task", task}, {"values", {{"dose_rate_1m", 12.5}, {"neutrons_detected", false}}}}, task);
  AppendOk(*store_, "finding", kLaneFinding, {{"task", task}, {"values", {{"dose_rate_1m", 40.0}}}},
           task);
  AppendOk(*store_, "note", kLaneStatus, {{"values", {{"dose_rate_1m", 99.0}}}}, task);  // not a finding
  auto values = store_->FindingValues(1);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->size(), 2u);
  EXPECT_DOUBLE_EQ(std::get<double>(values->at("secondary_inspection.dose_rate_1m")), 40.0);
  EXPECT_FALSE(std::get<bool>(values->at("secondary_inspection.neutrons_detected")));
  EXPECT_TRUE(store_->FindingValues(2)->empty()) << "other deployments are apart";
}

TEST_F(AgentStoreTest, FiredTriggersAreRecordedOncePerDeployment) {
  ASSERT_TRUE(store_->MarkTriggerFired(1, "cordon_expansion").ok());
  ASSERT_TRUE(store_->MarkTriggerFired(1, "cordon_expansion").ok());
  ASSERT_TRUE(store_->MarkTriggerFired(2, "innocent_alarm").ok());
  EXPECT_EQ(*store_->FiredTriggers(1), (std::vector<std::string>{"cordon_expansion"}));
  EXPECT_EQ(*store_->FiredTriggers(2), (std::vector<std::string>{"innocent_alarm"}));
  EXPECT_TRUE(store_->FiredTriggers(3)->empty());
}

TEST_F(AgentStoreTest, LinkStateRoundTrips) {
  auto empty = store_->Link();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->connected);
  EXPECT_EQ(empty->daemon_seen_at, 0);
  EXPECT_EQ(empty->last_sync_at, 0);
  ASSERT_TRUE(store_->SetLink({true, 1'800'000'000'000, 0, "timeout"}).ok());
  auto link = store_->Link();
  EXPECT_TRUE(link->connected);
  EXPECT_EQ(link->daemon_seen_at, 1'800'000'000'000);
  EXPECT_EQ(link->last_error, "timeout");
  clock_.Set(1'800'000'005'000);
  ASSERT_TRUE(store_->ApplyDeliveries({}).ok());
  EXPECT_EQ(store_->Link()->last_sync_at, 1'800'000'005'000);
}

}  // namespace
}  // namespace muster::agent::testing
