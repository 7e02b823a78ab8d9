// Muster on thin links (issue 13): a team of four behind one emulated field link (a bit
// rate shared by the team, a one-way delay, loss), a real coordinator and the real agent
// link of each member. Each member records 10 status changes, 5 findings and a photo while
// the link is down; then the link comes up and the clock starts.
//
// Reported per link: seconds from link-up until HQ has every member's latest status, every
// finding, every file verified; whether the team's status was all in before the first
// attachment byte left a laptop; bytes on the link and bytes sent twice (by the sync
// engine, and by TCP for lost segments). On the 2.4 kbit/s link also: bytes on the link
// per status change with the team relay included, and an idle agent's bytes per second.
//
// Usage: thinlink_bench [--quick] [--only 0|1|2|3] [--out FILE.json]
//   --quick: 20 KB photos and a shorter idle window, for a first look (minutes, not an hour)
//   --only N: just the Nth link (0, 1, 2) without the status-cost and idle figures, or
//             (3) just those
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include "muster/log.h"
#include "team_rig.h"
#include "verbs.h"

namespace muster {
namespace {

using nlohmann::json;
using testing::LinkProfile;
using testing::TeamRig;

struct Run {
  std::string name;
  LinkProfile profile;
};

double Seconds(Millis from, Millis to) { return to > 0 ? static_cast<double>(to - from) / 1000 : -1; }

json LinkUp(const Run& run, std::size_t photo_bytes, double limit_s) {
  TeamRig rig;
  rig.StartAgents();
  if (!rig.WaitUntilDeployed(120)) throw std::runtime_error("the team never got its tasks");
  rig.link().Cut();
  testing::WaitUntil([&] { return !rig.AllConnected(); }, 60);
  for (int i = 0; i < rig.size(); ++i) {
    rig.RecordSurvey(i, rig.WritePhoto("photo-" + rig.member(i) + ".jpg", photo_bytes, 7 + i));
  }
  rig.link().SetProfile(run.profile);
  rig.link().ResetCounters();
  SystemClock clock;
  const Millis up = clock.Now();
  rig.link().Restore();
  const int statuses = rig.size() * TeamRig::kSurveyStatuses;
  const int findings = rig.size() * TeamRig::kSurveyFindings;
  Millis status_at = 0, findings_at = 0, files_at = 0;
  testing::WaitUntil(
      [&] {
        if (!status_at) status_at = rig.AllHeldAt("status", statuses);
        if (!findings_at) findings_at = rig.AllHeldAt("finding", findings);
        if (!files_at) files_at = rig.AllFilesVerifiedAt(rig.size());
        return status_at && findings_at && files_at && rig.Pending() == 0;
      },
      limit_s);
  const Millis first_chunk = rig.FirstChunkSentAt();
  rig.StopAgents();
  std::uint64_t resent = 0, records_resent = 0, connections = 0, overdue = 0;
  for (int i = 0; i < rig.size(); ++i) {
    resent += rig.stats(i).sync.bytes_resent;
    records_resent += rig.stats(i).sync.records_resent;
    connections += rig.stats(i).connections;
    overdue += rig.stats(i).sync.overdue;
  }
  const json result = {
      {"link", run.name},
      {"status_s", Seconds(up, status_at)},
      {"findings_s", Seconds(up, findings_at)},
      {"files_s", Seconds(up, files_at)},
      {"status_before_first_attachment_byte", status_at > 0 && (first_chunk == 0 || status_at <= first_chunk)},
      {"first_attachment_byte_s", Seconds(up, first_chunk)},
      {"bytes_up", rig.link().bytes_up()},
      {"bytes_down", rig.link().bytes_down()},
      {"bytes_resent_by_sync", resent},
      {"records_resent", records_resent},
      {"bytes_retransmitted_by_tcp", rig.link().bytes_retransmitted()},
      {"connections", connections},
      {"unanswered", overdue},
      {"complete", status_at && findings_at && files_at}};
  std::cerr << result.dump() << "\n";
  return result;
}

// Bytes on a 2.4 kbit/s link per status change, team relay included, and an idle agent's
// bytes per second.
json StatusCost(const LinkProfile& profile, double idle_s) {
  TeamRig rig;
  // The team's only link is the thin one from the start, so that HQ learns it as it would
  // in the field (a link that changes under an open session is another matter).
  rig.link().SetProfile(profile);
  rig.StartAgents();
  if (!rig.WaitUntilDeployed(600)) throw std::runtime_error("the team never got its tasks");
  // Quiet: every agent has its team view and nothing is in flight.
  std::this_thread::sleep_for(std::chrono::seconds(20));
  rig.link().ResetCounters();
  const auto start = std::chrono::steady_clock::now();
  std::ostringstream out;
  agent::AgentStore& store = rig.store(0);
  int changes = 0;
  for (const char* step : {"approach", "perimeter", "sample"}) {
    for (const char* state : {"acknowledged", "in_progress", "completed"}) {
      Status status = agent::SetState(store, step, state, "", false, out);
      if (!status.ok()) throw std::runtime_error(status.ToString());
      ++changes;
    }
  }
  if (!agent::SetState(store, "report", "acknowledged", "", false, out).ok()) {
    throw std::runtime_error("ack report");
  }
  ++changes;
  // Done when HQ has them all and every teammate's team view shows the last one.
  const std::string last = rig.Task(0, "report");
  testing::WaitUntil(
      [&] {
        if (rig.HqScalar("SELECT COUNT(*) FROM inbound WHERE kind='status'") < changes) return false;
        for (int i = 1; i < rig.size(); ++i) {
          auto team = rig.store(i).TeamSnapshots();
          if (!team.ok() || team->empty()) return false;
          bool seen = false;
          for (const json& task : team->front().body["tasks"]) {
            seen = seen || (task["task"] == last && task["state"] == "acknowledged");
          }
          if (!seen) return false;
        }
        return true;
      },
      600);
  // Acknowledgements that ride on later messages come within their delay.
  std::this_thread::sleep_for(std::chrono::seconds(12));
  const double window_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t burst = rig.link().bytes_up() + rig.link().bytes_down();

  rig.link().ResetCounters();
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(idle_s * 1000)));
  const double idle_per_agent =
      static_cast<double>(rig.link().bytes_up() + rig.link().bytes_down()) / idle_s / rig.size();
  // The burst window also held idle traffic; take it out.
  const double burst_only = static_cast<double>(burst) - idle_per_agent * rig.size() * window_s;
  const json result = {{"status_changes", changes},
                       {"bytes_per_status_change", burst_only / changes},
                       {"bytes_in_window", burst},
                       {"window_s", window_s},
                       {"idle_bytes_per_agent_per_s", idle_per_agent},
                       {"idle_window_s", idle_s}};
  std::cerr << result.dump() << "\n";
  return result;
}

}  // namespace
}  // namespace muster

int main(int argc, char** argv) {
  using namespace muster;
  bool quick = false;
  int only = -1;  // one link only (0, 1, 2) without the status cost, or 3: the cost only
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") quick = true;
    else if (arg == "--out" && i + 1 < argc) out_path = argv[++i];
    else if (arg == "--only" && i + 1 < argc) only = std::stoi(argv[++i]);
    else {
      std::cerr << "usage: thinlink_bench [--quick] [--only 0|1|2|3] [--out FILE.json]\n";
      return 2;
    }
  }
  InitLogging("error");
  const std::size_t photo = quick ? 20'000 : 200'000;
  const std::vector<Run> runs = {
      {"2.4 kbit/s, 1.2 s round trip", {.rate_bps = 2'400, .one_way_delay_ms = 600}},
      {"64 kbit/s, 600 ms round trip", {.rate_bps = 64'000, .one_way_delay_ms = 300}},
      {"64 kbit/s, 600 ms round trip, 5 % loss",
       {.rate_bps = 64'000, .one_way_delay_ms = 300, .loss = 0.05}},
  };
  json results = {{"photo_bytes", photo}, {"members", 4}, {"links", json::array()}};
  try {
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const Run& run = runs[r];
      if (only >= 0 && static_cast<int>(r) != only) continue;
      // 4 photos at 2.4 kbit/s are about 45 minutes of link at best.
      const double limit = run.profile.rate_bps < 10'000 ? (quick ? 900 : 4'800) : 900;
      results["links"].push_back(LinkUp(run, photo, limit));
    }
    if (only < 0 || only == 3) {
      results["status_cost"] = StatusCost(runs[0].profile, quick ? 130 : 300);
    }
  } catch (const std::exception& error) {
    std::cerr << "thinlink_bench: " << error.what() << "\n";
    return 1;
  }
  std::cout << std::fixed << std::setprecision(1)
            << "| link | status at HQ (s) | all findings (s) | all files verified (s) | status "
               "before any attachment byte | bytes up / down | re-sent by sync / by TCP |\n"
            << "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const json& run : results["links"]) {
    std::cout << "| " << run["link"].get<std::string>() << " | " << run["status_s"].get<double>()
              << " | " << run["findings_s"].get<double>() << " | " << run["files_s"].get<double>()
              << " | " << (run["status_before_first_attachment_byte"].get<bool>() ? "yes" : "NO")
              << " | " << run["bytes_up"] << " / " << run["bytes_down"] << " | "
              << run["bytes_resent_by_sync"] << " / " << run["bytes_retransmitted_by_tcp"]
              << " |\n";
  }
  if (!results.contains("status_cost")) return 0;
  const json& cost = results["status_cost"];
  std::cout << "\nAt 2.4 kbit/s: " << cost["bytes_per_status_change"].get<double>()
            << " bytes on the link per status change (both directions, team relay included); "
            << "an idle agent costs " << std::setprecision(2)
            << cost["idle_bytes_per_agent_per_s"].get<double>() << " bytes/s\n";
  if (!out_path.empty()) std::ofstream(out_path) << results.dump(2) << "\n";
  return 0;
}
