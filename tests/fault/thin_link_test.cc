// Sync through an emulated field link (tests/support/link_emulator.h): a bit rate the
// team shares, a one-way delay, loss, cuts and black holes. Loopback proves the logic;
// these show delivery on the links the field has (docs/protocol.md §5).
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "team_rig.h"
#include "verbs.h"

namespace muster::testing {
namespace {

constexpr LinkProfile kIridium = {.rate_bps = 2'400, .one_way_delay_ms = 600};
constexpr LinkProfile kBgan = {.rate_bps = 64'000, .one_way_delay_ms = 300};

// What member |i|'s laptop shows for its task of |step|.
std::string Shown(TeamRig& rig, int i, const std::string& step) {
  auto task = rig.store(i).FindTask(step);
  auto all = rig.store(i).Tasks();
  return task.ok() && all.ok() ? rig.store(i).DisplayState(*task, *all) : std::string("?");
}

// Every member's laptop shows each of its tasks of |steps| as HQ holds it (HQ's
// "delivered" is a ready task its agent holds).
void ExpectLaptopsAsHq(TeamRig& rig, const std::vector<std::string>& steps) {
  for (const std::string& step : steps) {
    for (int i = 0; i < rig.size(); ++i) {
      const std::string hq =
          rig.HqText("SELECT state FROM tasks WHERE id='" + rig.Task(i, step) + "'");
      EXPECT_EQ(Shown(rig, i, step), hq == "delivered" ? "ready" : hq)
          << rig.member(i) << " " << step;
    }
  }
}

// Every record each member made is at HQ exactly once.
void ExpectEachRecordOnce(TeamRig& rig) {
  std::int64_t made = 0;
  for (int i = 0; i < rig.size(); ++i) {
    auto stats = rig.store(i).outbox().Stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->pending, 0u) << rig.member(i);
    made += static_cast<std::int64_t>(stats->acked);
  }
  EXPECT_EQ(rig.HqScalar("SELECT COUNT(*) FROM inbound"), made);
  EXPECT_EQ(rig.HqScalar("SELECT COUNT(*) FROM inbound WHERE outcome<>'applied'"), 0);
}

// The team works offline behind one 2.4 kbit/s terminal; when it comes up, every member's
// latest status is at HQ before the first attachment byte leaves a laptop, then every
// finding, then every file, verified.
TEST(ThinLinkTest, AtTwoPointFourKbitTheTeamsStatusGoesBeforeAnyAttachmentByte) {
  TeamRig rig;
  rig.StartAgents();
  ASSERT_TRUE(rig.WaitUntilDeployed(60));
  rig.link().Cut();
  ASSERT_TRUE(WaitUntil([&] { return !rig.AllConnected(); }, 60));
  for (int i = 0; i < rig.size(); ++i) {
    rig.RecordSurvey(i, rig.WritePhoto("photo-" + rig.member(i), 1'500, 11 + i));
  }
  rig.link().SetProfile(kIridium);
  rig.link().Restore();
  const int statuses = rig.size() * TeamRig::kSurveyStatuses;
  ASSERT_TRUE(WaitUntil([&] { return rig.AllHeldAt("status", statuses) > 0; }, 90))
      << rig.HqScalar("SELECT COUNT(*) FROM inbound WHERE kind='status'") << " of " << statuses;
  ASSERT_TRUE(WaitUntil([&] { return rig.AllFilesVerifiedAt(rig.size()) > 0; }, 300))
      << rig.HqScalar("SELECT COUNT(*) FROM attachments WHERE state='verified'") << " verified";
  ASSERT_TRUE(WaitUntil([&] { return rig.Pending() == 0; }, 60));
  const Millis status_at = rig.AllHeldAt("status", statuses);
  const Millis findings_at = rig.AllHeldAt("finding", rig.size() * TeamRig::kSurveyFindings);
  const Millis first_chunk = rig.FirstChunkSentAt();
  ASSERT_GT(first_chunk, 0);
  EXPECT_LE(status_at, first_chunk) << "an attachment byte left before the team's status was in";
  EXPECT_GT(findings_at, 0);
  rig.StopAgents();
  ExpectEachRecordOnce(rig);
  for (int i = 0; i < rig.size(); ++i) {
    EXPECT_EQ(rig.stats(i).sync.records_resent, 0u) << rig.member(i) << ": nothing sent twice";
    EXPECT_EQ(rig.stats(i).sync.overdue, 0u) << rig.member(i) << ": the link was never called dead";
  }
  RecordProperty("status_s", static_cast<int>(status_at - first_chunk));
}

// An upload that takes far longer than any fixed timer on a 2.4 kbit/s link completes
// without one disconnection: timers follow what is in flight, and batches cross in a few
// seconds.
TEST(ThinLinkTest, AnUploadSlowerThanEveryFixedTimerCompletes) {
  TeamRigOptions options;
  options.members = 1;
  options.link.sync.answer_floor_ms = 3'000;  // a fixed timer far shorter than the upload
  TeamRig rig(options);
  rig.StartAgents();
  ASSERT_TRUE(rig.WaitUntilDeployed(60));
  rig.link().SetProfile(kIridium);
  std::ostringstream out;
  const std::string photo = rig.WritePhoto("spectrum.bin", 6'000, 3);
  ASSERT_TRUE(agent::RecordFinding(rig.store(0), "approach", {"reading=4.2"}, false, false, false,
                                   out, {photo})
                  .ok())
      << out.str();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitUntil([&] { return rig.AllFilesVerifiedAt(1) > 0 && rig.Pending() == 0; }, 240));
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(took, 3 * 3.0) << "the upload was meant to outlast the timer several times over";
  rig.StopAgents();
  EXPECT_EQ(rig.stats(0).disconnections, 0u) << "the slow link was never dropped";
  EXPECT_EQ(rig.stats(0).sync.overdue, 0u);
  EXPECT_EQ(rig.stats(0).sync.records_resent, 0u);
  ExpectEachRecordOnce(rig);
}

// Ten cuts while a 200 KB photo crosses a 64 kbit/s link: the upload resumes each time;
// what is sent again is at most the batch in flight at each cut.
TEST(ThinLinkTest, TenCutsDuringAnUploadResendAtMostOneBatchEach) {
  TeamRigOptions options;
  options.members = 1;
  options.link.backoff_max_ms = 2'000;  // redial soon after each short cut
  TeamRig rig(options);
  rig.StartAgents();
  ASSERT_TRUE(rig.WaitUntilDeployed(60));
  rig.link().SetProfile(kBgan);
  std::ostringstream out;
  constexpr std::size_t kPhoto = 200'000;
  ASSERT_TRUE(agent::RecordFinding(rig.store(0), "approach", {}, false, false, false, out,
                                   {rig.WritePhoto("scene.jpg", kPhoto, 5)})
                  .ok());
  rig.link().ResetCounters();
  int cuts = 0;
  while (cuts < 10 && rig.AllFilesVerifiedAt(1) == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2'500));
    rig.link().Cut();
    ++cuts;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    rig.link().Restore();
  }
  ASSERT_TRUE(WaitUntil([&] { return rig.AllFilesVerifiedAt(1) > 0 && rig.Pending() == 0; }, 240));
  EXPECT_GE(cuts, 8) << "the upload must be cut many times while it runs";
  rig.StopAgents();
  const agent::LinkStats stats = rig.stats(0);
  // A batch is about 4 s of link: 32 KB at 64 kbit/s.
  constexpr std::uint64_t kBatch = 32'000 + 1'000;
  EXPECT_LE(stats.sync.bytes_resent, static_cast<std::uint64_t>(cuts) * kBatch)
      << cuts << " cuts, " << stats.sync.records_resent << " records sent again";
  EXPECT_LT(rig.link().bytes_up(), kPhoto + static_cast<std::uint64_t>(cuts + 1) * kBatch);
  ExpectEachRecordOnce(rig);
  RecordProperty("cuts", cuts);
  RecordProperty("bytes_resent", static_cast<int>(stats.sync.bytes_resent));
  RecordProperty("bytes_up", static_cast<int>(rig.link().bytes_up()));
}

// The terminal loses its signal without a word (a black hole) while records are in
// flight and more are made: the agent greets once per connection, nothing queues behind
// the outage, and what HQ got before is not sent again.
TEST(ThinLinkTest, AnOutageQueuesNoGreetingsAndResendsNothingHqHolds) {
  TeamRigOptions options;
  options.members = 1;
  options.link.sync.answer_floor_ms = 4'000;
  options.link.handshake_ms = 4'000;
  options.link.backoff_max_ms = 2'000;
  TeamRig rig(options);
  rig.StartAgents();
  ASSERT_TRUE(rig.WaitUntilDeployed(60));
  rig.link().SetProfile(kBgan);
  std::ostringstream out;
  ASSERT_TRUE(agent::SetState(rig.store(0), "approach", "acknowledged", "", false, out).ok());
  rig.link().Blackhole();  // the status may be on its way, or not yet
  for (const char* state : {"in_progress", "completed"}) {
    ASSERT_TRUE(agent::SetState(rig.store(0), "approach", state, "", false, out).ok());
  }
  std::this_thread::sleep_for(std::chrono::seconds(15));  // several timeouts and redials
  rig.link().Restore();
  ASSERT_TRUE(WaitUntil([&] { return rig.Pending() == 0; }, 120));
  rig.StopAgents();
  const agent::LinkStats stats = rig.stats(0);
  EXPECT_EQ(stats.sync.hellos, stats.connections) << "one greeting per connection";
  // At most the batch that was in flight when the signal went (HQ may commit it only
  // after it answered the new greeting): never the greetings, never the rest.
  EXPECT_LE(stats.sync.records_resent, 1u);
  EXPECT_GE(stats.disconnections, 1u) << "the silent link was noticed";
  EXPECT_EQ(rig.HqText("SELECT state FROM tasks WHERE id='" + rig.Task(0, "approach") + "'"),
            "completed");
  ExpectEachRecordOnce(rig);
}

// A stand-down decided offline on one laptop reaches the team through a 2.4 kbit/s link
// with 600 ms each way and 2 % segment loss: the deciding member's other steps close on
// the laptop at once; once the link is up HQ closes the teammate's too, and both laptops
// end up showing what HQ holds, each record at HQ once.
TEST(ThinLinkTest, AStandDownDecidedOfflineReachesTheTeamOverALossyThinLink) {
  TeamRigOptions options;
  options.members = 2;
  options.playbook = SurveyPlaybook() +
                     "triggers:\n"
                     "  - id: background_only\n"
                     "    when: approach.reading < 0.5 µSv/h\n"
                     "    then:\n"
                     "      - stand_down: survey\n"
                     "        reason: Background only; nothing to survey\n";
  TeamRig rig(options);
  rig.StartAgents();
  ASSERT_TRUE(rig.WaitUntilDeployed(60));
  rig.link().Cut();
  ASSERT_TRUE(WaitUntil([&] { return !rig.AllConnected(); }, 60));
  std::ostringstream out;
  ASSERT_TRUE(agent::RecordFinding(rig.store(0), "approach", {"reading=0.3"}, false, true, false,
                                   out)
                  .ok())
      << out.str();
  const auto shown = [&](int i, const std::string& step) { return Shown(rig, i, step); };
  EXPECT_EQ(shown(0, "perimeter"), "cancelled") << "at once, with no link";
  EXPECT_NE(shown(1, "perimeter"), "cancelled") << "the teammate has not heard yet";

  LinkProfile lossy = kIridium;
  lossy.loss = 0.02;
  rig.link().SetProfile(lossy);
  const auto restored = std::chrono::steady_clock::now();
  rig.link().Restore();
  const std::string teammate = rig.Task(1, "perimeter");
  ASSERT_TRUE(WaitUntil([&] { return shown(1, "perimeter") == "cancelled"; }, 240))
      << "HQ holds " << rig.HqText("SELECT state FROM tasks WHERE id='" + teammate + "'");
  const auto reached = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - restored);
  RecordProperty("teammate_stood_down_ms", static_cast<int>(reached.count()));
  ASSERT_TRUE(WaitUntil([&] { return rig.Pending() == 0; }, 120));
  rig.StopAgents();
  ExpectLaptopsAsHq(rig, {"approach", "perimeter", "sample", "report"});
  EXPECT_EQ(rig.HqScalar("SELECT COUNT(*) FROM tasks WHERE stood_down=1"), 6);
  EXPECT_EQ(rig.HqScalar("SELECT COUNT(*) FROM alerts WHERE kind='conflict'"), 0);
  ExpectEachRecordOnce(rig);
}

// A member at a checkpoint, with HQ out of reach, has a morning's findings waiting on the
// laptop when she records the driver's papers. The driver is on the incident's watchlist
// under another transliteration: the laptop says so at once, and when the 2.4 kbit/s
// terminal comes up (600 ms each way, 2 % loss) the hit is at HQ, as a critical alert,
// before any of the findings recorded before it. Then everything else arrives, once.
TEST(ThinLinkTest, AWatchlistHitMadeOfflineReachesHqBeforeTheBacklogOverALossyThinLink) {
  TeamRigOptions options;
  options.members = 1;
  options.sealed = true;
  options.playbook = SurveyPlaybook() +
                     "  - id: checkpoint\n    title: Check the driver\n    phase: survey\n"
                     "    role: surveyor\n    findings:\n      - {id: driver, type: person}\n";
  TeamRig rig(options);
  ASSERT_TRUE(rig.api()
                  .Post("/v1/watchlist",
                        {{"entries",
                          {{{"notice", "G-2026-0412"},
                            {"type", "green"},
                            {"names", {"Иван Сергеевич Петров", "Ivan Sergeevich PETROV"}},
                            {"date_of_birth", "1971-03-02"},
                            {"documents", {"721234567"}}}}}})
                  .ok());
  ASSERT_TRUE(rig.api().Post("/v1/incidents/INC-1/watchlist", {{"notices", {"G-2026-0412"}}}).ok());
  rig.StartAgents();
  ASSERT_TRUE(rig.WaitUntilDeployed(60));
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto held = rig.store(0).WatchlistOf("INC-1");
        return held.ok() && held->size() == 1;
      },
      60))
      << "the watchlist reaches the laptop with the deployment";
  rig.link().Cut();
  ASSERT_TRUE(WaitUntil([&] { return !rig.AllConnected(); }, 60));

  std::ostringstream out;
  for (const char* step : {"approach", "perimeter", "sample", "report"}) {
    ASSERT_TRUE(agent::RecordFinding(rig.store(0), step,
                                     {"reading=0.4", "remark=" + std::string(300, 'r')}, false,
                                     false, false, out)
                    .ok())
        << out.str();
  }
  std::ostringstream checked;
  ASSERT_TRUE(agent::RecordFinding(rig.store(0), "checkpoint", {"driver=PETROW Iwan|1971-03-02"},
                                   false, true, false, checked)
                  .ok())
      << checked.str();
  EXPECT_NE(checked.str().find("WATCHLIST HIT: driver matches notice G-2026-0412"),
            std::string::npos)
      << checked.str();

  LinkProfile lossy = kIridium;
  lossy.loss = 0.02;
  rig.link().SetProfile(lossy);
  const auto restored = std::chrono::steady_clock::now();
  rig.link().Restore();
  ASSERT_TRUE(WaitUntil(
      [&] { return rig.HqScalar("SELECT COUNT(*) FROM alerts WHERE kind='watchlist'") == 1; }, 240));
  const auto reached = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - restored);
  RecordProperty("hit_at_hq_ms", static_cast<int>(reached.count()));
  EXPECT_EQ(rig.HqScalar("SELECT COUNT(*) FROM inbound WHERE kind='finding'"), 0)
      << "no finding recorded before the hit is at HQ before it";
  EXPECT_EQ(rig.HqText("SELECT severity FROM alerts WHERE kind='watchlist'"), "critical");
  EXPECT_NE(rig.HqText("SELECT message FROM alerts WHERE kind='watchlist'").find("G-2026-0412"),
            std::string::npos);

  ASSERT_TRUE(WaitUntil([&] { return rig.Pending() == 0; }, 240));
  rig.StopAgents();
  EXPECT_EQ(rig.HqScalar("SELECT COUNT(*) FROM inbound WHERE kind='finding'"), 5);
  EXPECT_EQ(rig.HqScalar("SELECT COUNT(*) FROM alerts WHERE kind='watchlist'"), 1);
  ExpectEachRecordOnce(rig);
}

// An exercise over the 2.4 kbit/s terminal (600 ms each way, 2 % loss). The controller's
// script silences one surveyor for 30 s and sends the other a simulated reading: the
// reading reaches that laptop, marked; the silenced laptop records on, and HQ holds
// nothing of it until the silence ends. Then that work arrives, once.
TEST(ThinLinkTest, AnExercisesInjectsPlayOverALossyThinLink) {
  TeamRigOptions options;
  options.members = 2;
  options.exercise = true;
  options.coordinator.alert_sweep_interval_ms = 500;
  TeamRig rig(options);
  LinkProfile lossy = kIridium;
  lossy.loss = 0.02;
  rig.link().SetProfile(lossy);
  rig.StartAgents();
  ASSERT_TRUE(rig.WaitUntilDeployed(240));
  auto tasks = rig.OpenStore(0)->Tasks();
  ASSERT_TRUE(tasks.ok() && !tasks->empty());
  EXPECT_TRUE((*tasks)[0].exercise) << "the laptop knows its tasks are an exercise's";

  const std::string silent = rig.member(0);
  const std::string heard = rig.member(1);
  ASSERT_TRUE(rig.api()
                  .Post("/v1/incidents/INC-1/exercise",
                        {{"script", "exercise: Thin drill\ninjects:\n  - at: 0s\n    silence: "
                                    "{member: " + silent + ", for: 30s}\n  - at: 0s\n    "
                                    "reading: {to: " + heard + ", what: dose rate, value: "
                                    "\"12\", unit: µSv/h}\n"}})
                  .ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        return rig.HqScalar("SELECT COUNT(*) FROM exercise_injects WHERE fired_at IS NOT NULL") ==
               2;
      },
      30));
  const Millis silence_ends = rig.HqScalar("SELECT until_at FROM exercise_silences");

  for (const std::string& member : {silent, heard}) {
    const int i = member == silent ? 0 : 1;
    std::ostringstream out;
    ASSERT_TRUE(agent::RecordFinding(*rig.OpenStore(i), "approach", {"reading=0.4"}, false,
                                     false, false, out)
                    .ok())
        << out.str();
  }
  const auto findings_of = [&](const std::string& member) {
    return rig.HqScalar(
        "SELECT COUNT(*) FROM inbound i JOIN agents a ON a.id=i.agent_id WHERE "
        "i.kind='finding' AND a.member_id='" + member + "'");
  };
  std::vector<agent::Notice> notices;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto taken = rig.OpenStore(1)->TakeUnseenNotices();
        if (taken.ok()) notices.insert(notices.end(), taken->begin(), taken->end());
        return !notices.empty() && findings_of(heard) == 1;
      },
      120));
  EXPECT_EQ(notices[0].text, "EXERCISE EXERCISE EXERCISE — simulated reading: dose rate 12 µSv/h");
  EXPECT_EQ(notices[0].role, "") << "sent to a member, not to a role";
  ASSERT_LT(SystemClock().Now(), silence_ends) << "the link was too slow to test the silence";
  EXPECT_EQ(findings_of(silent), 0) << "HQ hears nothing from a silenced member";

  ASSERT_TRUE(WaitUntil([&] { return findings_of(silent) == 1; }, 240));
  EXPECT_GE(rig.HqScalar("SELECT MIN(i.received_at) FROM inbound i JOIN agents a ON "
                         "a.id=i.agent_id WHERE a.member_id='" + silent + "' AND i.kind='finding'"),
            silence_ends);
  ASSERT_TRUE(WaitUntil([&] { return rig.Pending() == 0; }, 240));
  rig.StopAgents();
  ExpectEachRecordOnce(rig);
}

// Two surveyors, one sweep either may do (completion: any), and the report that waits on
// it. One surveyor sweeps while the terminal is down; once it is up (2.4 kbit/s, 600 ms
// each way, 2 % loss) HQ closes the other's sweep as done by the first, both reports are
// released, and both laptops end as HQ holds, with no conflict and each record once.
TEST(ThinLinkTest, OneSurveyorsSweepClosesTheOthersOverALossyThinLink) {
  TeamRigOptions options;
  options.members = 2;
  options.playbook = R"(id: sweep-thin
version: "1.0.0"
title: One sweep for two surveyors
hazards: [chemical]
roles:
  - id: surveyor
    title: Surveyor
    count: 2
phases:
  - id: survey
    title: Survey
steps:
  - id: sweep
    title: Sweep the site
    phase: survey
    role: surveyor
    completion: any
  - id: report
    title: Report
    phase: survey
    role: surveyor
    depends_on: [sweep]
)";
  TeamRig rig(options);
  rig.StartAgents();
  ASSERT_TRUE(rig.WaitUntilDeployed(60));
  rig.link().Cut();
  ASSERT_TRUE(WaitUntil([&] { return !rig.AllConnected(); }, 60));
  std::ostringstream out;
  ASSERT_TRUE(agent::RecordFinding(rig.store(0), "sweep", {}, false, true, false, out).ok())
      << out.str();
  const auto shown = [&](int i, const std::string& step) { return Shown(rig, i, step); };
  EXPECT_EQ(shown(0, "report"), "ready") << "one completed sweep is enough, at once, offline";
  EXPECT_EQ(shown(1, "report"), "waiting") << "the teammate has not heard yet";

  LinkProfile lossy = kIridium;
  lossy.loss = 0.02;
  rig.link().SetProfile(lossy);
  const auto restored = std::chrono::steady_clock::now();
  rig.link().Restore();
  ASSERT_TRUE(WaitUntil([&] { return shown(1, "sweep") == "cancelled"; }, 240))
      << "HQ holds " << rig.HqText("SELECT state FROM tasks WHERE id='" + rig.Task(1, "sweep") + "'");
  ASSERT_TRUE(WaitUntil([&] { return shown(1, "report") == "ready"; }, 240));
  const auto reached = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - restored);
  RecordProperty("teammate_released_ms", static_cast<int>(reached.count()));
  ASSERT_TRUE(WaitUntil([&] { return rig.Pending() == 0; }, 120));
  rig.StopAgents();
  ExpectLaptopsAsHq(rig, {"sweep", "report"});
  auto sweep = rig.store(1).FindTask("sweep");
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(sweep->hq_reason, "done by " + rig.member(0) + " (completion: any)");
  EXPECT_EQ(rig.HqScalar("SELECT COUNT(*) FROM alerts WHERE kind='conflict'"), 0);
  ExpectEachRecordOnce(rig);
}

}  // namespace
}  // namespace muster::testing

namespace muster::testing {
namespace {

// Three laptops on one 2.4 kbit/s terminal (600 ms each way, 2 % loss): one 3 hours fast,
// one 2 days slow, one right. Each measures its offset from HQ's clock within half its
// round trip; HQ keeps the order in which the readings were really taken (the fast
// laptop's 200 before the right one's 400, so the latest value is 400), shows each skew
// and alerts for the two beyond 2 minutes.
TEST(ThinLinkTest, WrongLaptopClocksAreMeasuredAndCorrectedOverALossyThinLink) {
  constexpr Millis kHour = 3'600'000;
  const std::vector<Millis> shifts = {3 * kHour, -48 * kHour, 0};
  TeamRigOptions options;
  options.members = 3;
  options.laptop_clock_shifts = shifts;
  TeamRig rig(options);
  LinkProfile lossy = kIridium;
  lossy.loss = 0.02;
  rig.link().SetProfile(lossy);
  rig.StartAgents();
  ASSERT_TRUE(rig.WaitUntilDeployed(300));
  // Each laptop knows its offset within half the round trip it measured it over: the first
  // sample (a WELCOME queued behind the team's deliveries) is loose, and a PING on the
  // quiet link tightens it.
  const auto kept_rtt = [&](int i) {
    auto kept = rig.store(i).ClockOffsetToHq();
    return kept.ok() && kept->has_value() ? (*kept)->rtt_ms : Millis{60'000};
  };
  WaitUntil([&] { return kept_rtt(0) < 4000 && kept_rtt(1) < 4000 && kept_rtt(2) < 4000; }, 30);
  const Millis apart = std::max({kept_rtt(0), kept_rtt(1), kept_rtt(2)}) + 500;
  RecordProperty("readings_apart_ms", static_cast<int>(apart));
  // Taken in this order, further apart than the clocks can be told apart: the slow
  // laptop's, the fast one's, the right one's.
  for (const auto& [i, reading] : std::vector<std::pair<int, std::string>>{
           {1, "reading=50"}, {0, "reading=200"}, {2, "reading=400"}}) {
    std::ostringstream out;
    ASSERT_TRUE(
        agent::RecordFinding(rig.store(i), "approach", {reading}, false, false, false, out).ok())
        << out.str();
    std::this_thread::sleep_for(std::chrono::milliseconds(apart));
  }
  ASSERT_TRUE(WaitUntil([&] { return rig.AllHeldAt("finding", 3) > 0 && rig.Pending() == 0; },
                        240));
  rig.StopAgents();

  for (int i = 0; i < rig.size(); ++i) {
    const std::string agent = "(SELECT id FROM agents WHERE member_id='" + rig.member(i) + "')";
    const Millis offset = rig.HqScalar("SELECT clock_offset_ms FROM agents WHERE id=" + agent);
    const Millis rtt = rig.HqScalar("SELECT clock_rtt_ms FROM agents WHERE id=" + agent);
    const Millis error = std::llabs(offset + shifts[i]);
    EXPECT_LE(error, rtt / 2 + 1) << rig.member(i) << " offset " << offset << " rtt " << rtt;
    RecordProperty("offset_error_ms_" + rig.member(i), static_cast<int>(error));
    RecordProperty("offset_rtt_ms_" + rig.member(i), static_cast<int>(rtt));
    auto kept = rig.store(i).ClockOffsetToHq();
    ASSERT_TRUE(kept.ok() && kept->has_value());
    EXPECT_LE(std::llabs((*kept)->offset_ms - offset), std::max<Millis>(250, rtt / 4))
        << "HQ holds about what the laptop measured best";
  }
  const std::string order = rig.HqText(
      "SELECT group_concat(member, ',') FROM (SELECT t.member_id AS member FROM findings f JOIN "
      "tasks t ON t.id=f.task_id ORDER BY f.recorded_at, f.id)");
  EXPECT_EQ(order, rig.member(1) + "," + rig.member(0) + "," + rig.member(2));
  EXPECT_EQ(rig.HqText("SELECT value FROM finding_values WHERE key='approach.reading'"), "400.0");
  EXPECT_EQ(rig.HqScalar("SELECT COUNT(*) FROM alerts WHERE kind='clock_skew'"), 2);
  ExpectEachRecordOnce(rig);
}

// Five members behind one 2.4 kbit/s terminal (600 ms each way, 2 % loss). The team
// works through its field relay: the relay's one link carries every member's records to
// HQ. Then the same work again over the members' own links, for comparison: what crossed
// the terminal and how long it took. Each record is at HQ once either way.
TEST(ThinLinkTest, TheFieldRelayCarriesTheTeamsWorkOverALossyThinLink) {
  TeamRigOptions options;
  options.members = 5;
  options.relay = 0;
  TeamRig rig(options);
  rig.StartAgents();
  ASSERT_TRUE(rig.WaitUntilDeployed(60));
  rig.StopAgents();
  LinkProfile lossy = kIridium;
  lossy.loss = 0.02;
  rig.link().SetProfile(lossy);
  const auto work = [&](int i, const std::string& step) {
    auto verb_store = rig.OpenStore(i);
    std::ostringstream out;
    ASSERT_TRUE(agent::SetState(*verb_store, step, "acknowledged", "", false, out).ok()) << out.str();
    ASSERT_TRUE(agent::SetState(*verb_store, step, "in_progress", "", false, out).ok()) << out.str();
    ASSERT_TRUE(agent::RecordFinding(*verb_store, step,
                                     {"reading=" + std::to_string(i) + ".25", "remark=" + step},
                                     false, true, false, out)
                    .ok())
        << out.str();
  };
  const auto all_at_hq = [&] {
    std::int64_t made = 0;
    for (int i = 0; i < rig.size(); ++i) {
      auto head = rig.store(i).outbox().Head();
      made += head.ok() ? static_cast<std::int64_t>(*head) : 0;
    }
    return rig.HqScalar("SELECT COUNT(*) FROM inbound") == made;
  };

  // Through the relay: the members sync on site; only the relay's link reaches HQ.
  rig.StartSite();
  rig.link().ResetCounters();
  const auto relay_started = std::chrono::steady_clock::now();
  rig.StartAgent(0);
  for (int i = 0; i < rig.size(); ++i) work(i, "approach");
  ASSERT_TRUE(WaitUntil(all_at_hq, 240)) << rig.HqScalar("SELECT COUNT(*) FROM inbound");
  const auto relay_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - relay_started)
                            .count();
  const std::uint64_t relay_up = rig.link().bytes_up();
  rig.StopAgent(0);
  rig.StopSite();

  // The same work over each member's own link.
  rig.link().ResetCounters();
  const auto direct_started = std::chrono::steady_clock::now();
  rig.StartAgents();
  for (int i = 0; i < rig.size(); ++i) work(i, "perimeter");
  ASSERT_TRUE(WaitUntil([&] { return all_at_hq() && rig.Pending() == 0; }, 240))
      << rig.HqScalar("SELECT COUNT(*) FROM inbound");
  const auto direct_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - direct_started)
                             .count();
  const std::uint64_t direct_up = rig.link().bytes_up();
  rig.StopAgents();

  RecordProperty("relay_ms", static_cast<int>(relay_ms));
  RecordProperty("relay_bytes_up", static_cast<int>(relay_up));
  RecordProperty("direct_ms", static_cast<int>(direct_ms));
  RecordProperty("direct_bytes_up", static_cast<int>(direct_up));
  // Each member's approach came by the relay, taken for its author.
  for (int i = 0; i < rig.size(); ++i) {
    EXPECT_EQ(rig.HqText("SELECT state FROM tasks WHERE id='" + rig.Task(i, "approach") + "'"),
              "completed");
    EXPECT_EQ(rig.HqText("SELECT state FROM tasks WHERE id='" + rig.Task(i, "perimeter") + "'"),
              "completed");
  }
  EXPECT_EQ(rig.HqScalar("SELECT COUNT(*) FROM findings"), 2 * rig.size());
  ExpectEachRecordOnce(rig);
}

}  // namespace
}  // namespace muster::testing
