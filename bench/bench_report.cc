// Turns the JSON written by fleet_bench, sync_bench, ceiling_bench and mosquitto_bench
// into build/bench/results.md (the tables and the targets of issues 8 and 14), results.json (all
// figures in one file) and throughput.dat (for gnuplot).
//
// Usage: bench_report BENCH_DIR
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

json Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  try {
    return json::parse(in);
  } catch (const json::exception&) {
    return nullptr;
  }
}

double Number(const json& value, const json::json_pointer& at) {
  return value.is_object() && value.contains(at) && value.at(at).is_number() ? value.at(at).get<double>()
                                                                              : NAN;
}

std::string Fixed(double value, int digits = 1) {
  if (std::isnan(value)) return "–";
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

class Report {
 public:
  explicit Report(const std::string& dir) : dir_(dir) {
    all_["fleet"] = Load(dir + "/fleet.json");
    all_["sync"] = Load(dir + "/sync.json");
    for (const char* n : {"small", "big"}) {
      all_["ceiling"][n] = Load(dir + "/ceiling_" + n + ".json");
      all_["mosquitto"][n] = Load(dir + "/mosquitto_" + n + ".json");
    }
  }

  void Write() {
    std::ostringstream md;
    const json& fleet = all_["fleet"];
    md << "# Muster benchmark results\n\n"
       << "Machine: " << fleet.value("machine", std::string("?")) << "; load average "
       << Fixed(Number(fleet, "/load_average_at_start"_json_pointer), 2) << " at the start, "
       << Fixed(Number(fleet, "/load_average_at_end"_json_pointer), 2) << " at the end"
       << (fleet.value("quick", false) ? "; **quick run** (fewer agents, shorter windows)" : "")
       << ".\n\n";
    Ingest(md);
    Scenarios(md);
    Targets(md);
    std::ofstream(dir_ + "/results.md") << md.str();
    all_["targets"] = targets_;
    std::ofstream(dir_ + "/results.json") << all_.dump(2) << "\n";
    std::cout << md.str();
  }

 private:
  void Ingest(std::ostringstream& md) {
    md << "## Durable ingest at HQ (one group of 10 records in flight per agent)\n\n"
       << "| system | agents | records/s | latency p50 ms | p99 ms | agent → HQ bytes/record | "
          "server CPU µs/record | server CPU % | HQ RSS MB | Muster / this |\n"
       << "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    std::ofstream plot(dir_ + "/throughput.dat");
    plot << "# agents muster ceiling mosquitto (records/s)\n";
    for (const char* n : {"small", "big"}) {
      const json& muster = all_["fleet"].is_object() ? all_["fleet"].value("steady_" + std::string(n), json())
                                                      : json();
      const json& ceiling = all_["ceiling"][n];
      const json& mosquitto = all_["mosquitto"][n];
      const double rate = Number(muster, "/records_per_s"_json_pointer);
      const double agents = Number(muster, "/agents"_json_pointer);
      Row(md, "Muster", muster, rate, "/up_bytes_per_record");
      Row(md, "ceiling (ZeroMQ+CURVE → SQLite)", ceiling, rate, "/up_bytes_per_record");
      Row(md, "Mosquitto QoS 1 → SQLite", mosquitto, rate, "/wire_bytes_per_record");
      plot << agents << " " << rate << " " << Number(ceiling, "/records_per_s"_json_pointer) << " "
           << Number(mosquitto, "/records_per_s"_json_pointer) << "\n";
      const std::string label = Fixed(agents, 0) + " agents";
      Target("ingest ≥ 0.5 × ceiling, " + label, rate / Number(ceiling, "/records_per_s"_json_pointer), 0.5,
             true, "× ceiling");
      Target("ingest ≥ 1 × Mosquitto, " + label, rate / Number(mosquitto, "/records_per_s"_json_pointer), 1,
             true, "× Mosquitto");
      Target("HQ CPU per record ≤ 3 × the ceiling's, " + label,
             Number(muster, "/hq_cpu_us_per_record"_json_pointer) /
                 Number(ceiling, "/server_cpu_us_per_record"_json_pointer),
             3, false, "× ceiling", true);
    }
    md << "\nMuster's agents are simulated (bench/sim_agents.h: the wire protocol without an agent "
          "store). Server CPU: for Muster the whole coordinator process (/proc/PID/stat); for the "
          "ceiling its committing thread and its ZeroMQ context's threads; for Mosquitto the broker "
          "process and the subscriber's committing thread. Per record: over the window, divided "
          "by the records committed in it. Mosquitto's bytes count both hops (publisher → broker → "
          "subscriber). Latency: Muster from making a group to the agent receiving HQ's "
          "acknowledgement (sent after HQ's commit); the baselines from sending to the commit.\n\n";
    RealAgents(md);
  }

  // The real agent beside the simulated one, at the same number of agents.
  void RealAgents(std::ostringstream& md) {
    const json& f = all_["fleet"];
    const json real = f.is_object() ? f.value("real_agents", json()) : json();
    if (!real.is_object()) return;
    json sim = f.value("steady_as_real", json());
    if (!sim.is_object()) {
      for (const char* n : {"steady_small", "steady_big"}) {
        if (f.contains(n) && Number(f[n], "/agents"_json_pointer) == Number(real, "/agents"_json_pointer)) {
          sim = f[n];
        }
      }
    }
    md << "### Real agents recording continuously\n\n"
       << "| agents | records/s | latency p50 ms | p99 ms | HQ CPU µs/record | HQ CPU % | "
          "agents' CPU µs/record | agent peak RSS MB | pending at the end |\n"
       << "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    const auto row = [&](const std::string& name, const json& r) {
      if (!r.is_object()) return;
      md << "| " << Fixed(Number(r, "/agents"_json_pointer), 0) << " " << name << " | "
         << Fixed(Number(r, "/records_per_s"_json_pointer), 0) << " | "
         << Fixed(Number(r, "/latency_ms/p50"_json_pointer), 1) << " | "
         << Fixed(Number(r, "/latency_ms/p99"_json_pointer), 1) << " | "
         << Fixed(Number(r, "/hq_cpu_us_per_record"_json_pointer), 0) << " | "
         << Fixed(Number(r, "/hq_cpu_percent"_json_pointer), 0) << " | "
         << Fixed(Number(r, "/agents_cpu_us_per_record"_json_pointer), 0) << " | "
         << Fixed(Number(r, "/agent_peak_rss_mb"_json_pointer), 1) << " | "
         << Fixed(Number(r, "/pending_at_end"_json_pointer), 0) << " |\n";
    };
    row("real `muster-agent run` processes", real);
    row("simulated agents", sim);
    md << "\nReal agents: each member records a group of 10 (5 status changes, 5 findings) in "
          "one local transaction the moment its agent has the previous group acknowledged; the "
          "agent sends them as it always does (one lane per batch: statuses, then findings). "
          "Latency from the member's commit to the acknowledgement committed in the agent's "
          "store. Pending: records recorded and not yet acknowledged when the window closed.\n\n";
  }

  void Row(std::ostringstream& md, const std::string& name, const json& result, double muster_rate,
           const char* bytes) {
    if (!result.is_object()) {
      md << "| " << name << " | – | not run | | | | | | | |\n";
      return;
    }
    const double rate = Number(result, "/records_per_s"_json_pointer);
    const bool hq = result.contains("hq_cpu_percent");
    md << "| " << name << " | " << Fixed(Number(result, "/agents"_json_pointer), 0) << " | "
       << Fixed(rate, 0) << " | " << Fixed(Number(result, "/latency_ms/p50"_json_pointer), 1) << " | "
       << Fixed(Number(result, "/latency_ms/p99"_json_pointer), 1) << " | "
       << Fixed(Number(result, json::json_pointer(bytes)), 1) << " | "
       << Fixed(Number(result, hq ? "/hq_cpu_us_per_record"_json_pointer
                                  : "/server_cpu_us_per_record"_json_pointer), 1) << " | "
       << Fixed(Number(result, hq ? "/hq_cpu_percent"_json_pointer : "/server_cpu_percent"_json_pointer), 0)
       << " | "
       << Fixed(Number(result, "/hq_rss_mb"_json_pointer), 0) << " | "
       << Fixed(muster_rate / rate, 2) << " |\n";
  }

  void Scenarios(std::ostringstream& md) {
    const json& f = all_["fleet"];
    const json& sync = all_["sync"];
    md << "## Scenarios\n\n| scenario | figure | HQ CPU % | HQ RSS MB | notes |\n"
       << "| --- | --- | --- | --- | --- |\n";
    const auto scenario = [&](const char* key) { return f.is_object() ? f.value(key, json()) : json(); };
    const auto at = [](const json& result, const char* path, int digits) {
      return Fixed(Number(result, json::json_pointer(path)), digits);
    };
    const json backlog = scenario("backlog"), real = scenario("real_agents"),
               dispatch = scenario("dispatch"), storm = scenario("storm"), idle = scenario("idle");
    ScenarioRow(md, "10,000-record backlog, one real `muster-agent run`",
                "drained in " + at(backlog, "/drain_s", 2) + " s", backlog,
                "agent peak RSS " + at(backlog, "/agent_peak_rss_mb", 1) + " MB; " +
                    at(backlog, "/up_bytes_per_record", 1) + " bytes/record up, " +
                    at(backlog, "/down_bytes_per_record", 1) + " down; from the process start");
    ScenarioRow(md, at(real, "/agents", 0) + " real `muster-agent run` recording continuously",
                at(real, "/records_per_s", 0) + " records/s", real,
                "agents' CPU " + at(real, "/agents_cpu_percent", 0) + " % of a core; " +
                    at(real, "/pending_at_end", 0) + " records pending at the end (table above)");
    ScenarioRow(md, "deployment dispatched to " + at(dispatch, "/agents", 0) + " simulated agents",
                "all acknowledged in " + at(dispatch, "/all_acknowledged_s", 2) + " s", dispatch,
                at(dispatch, "/tasks", 0) + " tasks; the API answered in " + at(dispatch, "/api_s", 2) +
                    " s; until every agent's DELIVERED (the simulated agents apply nothing)");
    ScenarioRow(md, "reconnect storm, " + at(storm, "/agents", 0) + " simulated agents, HQ restarted",
                "drained in " + at(storm, "/drain_s", 1) + " s", storm,
                at(storm, "/queued_records", 0) + " records queued while HQ was down; from HQ's start");
    ScenarioRow(md, "idle, " + at(idle, "/agents", 0) + " connected simulated agents, " +
                        at(idle, "/seconds", 0) + " s",
                at(idle, "/bytes_per_agent_per_s", 1) + " bytes/agent/s", idle,
                "keep-alive only: PING and PONG after " +
                    Fixed(Number(f, "/keepalive_ms"_json_pointer) / 1000, 0) + " s of silence",
                1);
    md << "| most concurrent simulated agents | " << Fixed(Number(f, "/max_agents/sustained"_json_pointer), 0)
       << " sustained | | ";
    const json steps = f.is_object() && f.contains("max_agents") ? f["max_agents"]["steps"] : json::array();
    md << (steps.empty() ? "–" : Fixed(Number(steps.back(), "/hq_rss_mb"_json_pointer), 0)) << " | stopped by "
       << (f.is_object() && f.contains("max_agents") ? f["max_agents"].value("stopped_by", "?") : "?") << " |\n";
    md << "| status update, batch of 1000 (sync_bench) | "
       << Fixed(Number(sync, "/status_batched_up"_json_pointer), 1) << " bytes up + "
       << Fixed(Number(sync, "/status_batched_down"_json_pointer), 1) << " down | | | framing and "
       << "CURVE included; alone: " << Fixed(Number(sync, "/status_alone_up"_json_pointer), 0) << " up |\n";
    md << "| wake on commit (sync_bench) | median "
       << Fixed(Number(sync, "/wake_median_ms"_json_pointer), 1) << " ms, p99 "
       << Fixed(Number(sync, "/wake_p99_ms"_json_pointer), 1) << " ms | | | a lone record "
       << "committed by another connection, until HQ acknowledged it |\n\n";

    Target("10,000-record backlog drained", Number(f, "/backlog/drain_s"_json_pointer), 2, false, "s");
    Target("dispatch to 200 agents, all acknowledged", Number(f, "/dispatch/all_acknowledged_s"_json_pointer),
           1, false, "s");
    Target("reconnect storm of 1,000 agents drained", Number(f, "/storm/drain_s"_json_pointer), 30, false,
           "s");
    Target("idle 1,000 agents: HQ CPU", Number(f, "/idle/hq_cpu_percent"_json_pointer), 5, false,
           "% of a core");
    Target("idle 1,000 agents: HQ memory", Number(f, "/idle/hq_rss_mb"_json_pointer), 200, false, "MB");
    Target("batched status update on the wire",
           Number(sync, "/status_batched_up"_json_pointer) + Number(sync, "/status_batched_down"_json_pointer),
           64, false, "bytes");
    Target("wake on commit: commit to acknowledged by HQ, p99",
           Number(sync, "/wake_p99_ms"_json_pointer), 100, false, "ms");
    Target("agent RSS while draining", Number(f, "/backlog/agent_peak_rss_mb"_json_pointer), 16, false,
           "MB");
    Target("concurrent agents sustained", Number(f, "/max_agents/sustained"_json_pointer), 10000, true,
           "agents");
  }

  // A scenario of fleet.json: |figure| and |notes| around HQ's CPU and memory in |result|.
  static void ScenarioRow(std::ostringstream& md, const std::string& scenario,
                          const std::string& figure, const json& result, const std::string& notes,
                          int cpu_digits = 0) {
    md << "| " << scenario << " | " << figure << " | "
       << Fixed(Number(result, "/hq_cpu_percent"_json_pointer), cpu_digits) << " | "
       << Fixed(Number(result, "/hq_rss_mb"_json_pointer), 0) << " | " << notes << " |\n";
  }

  // At least |limit|, or below it (at most, when |inclusive|).
  void Target(const std::string& name, double value, double limit, bool at_least,
              const std::string& unit, bool inclusive = false) {
    const bool met = !std::isnan(value) &&
                     (at_least ? value >= limit : inclusive ? value <= limit : value < limit);
    targets_.push_back({{"target", name},
                        {"value", std::isnan(value) ? json() : json(value)},
                        {"limit", limit},
                        {"at_least", at_least},
                        {"inclusive", inclusive},
                        {"unit", unit},
                        {"met", met}});
  }

  void Targets(std::ostringstream& md) {
    md << "## Targets of issues 8 and 14\n\n| target | measured | limit | met |\n| --- | --- | --- | --- |\n";
    for (const json& target : targets_) {
      const double value = target["value"].is_number() ? target["value"].get<double>() : NAN;
      md << "| " << target["target"].get<std::string>() << " | " << Fixed(value, 2) << " "
         << target["unit"].get<std::string>() << " | "
         << (target["at_least"].get<bool>() ? "≥ " : target["inclusive"].get<bool>() ? "≤ " : "< ")
         << Fixed(target["limit"].get<double>(), 1)
         << " | " << (target["met"].get<bool>() ? "yes" : "**no**") << " |\n";
    }
    md << "\n";
  }

  std::string dir_;
  json all_;
  json targets_ = json::array();
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: bench_report BENCH_DIR\n";
    return 2;
  }
  Report(argv[1]).Write();
  return 0;
}
