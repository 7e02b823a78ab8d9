// What a user would build instead of Muster: N publishers send the same groups of records
// (the same encoded bytes as Muster's RECORDS message) as MQTT messages with QoS 1 to a
// Mosquitto broker on loopback, and one subscriber inserts each message into SQLite with
// Muster's durability (WAL, synchronous=FULL, one transaction per group). As in Muster,
// each publisher has one group in flight: it sends the next once the subscriber has
// committed the previous one. scripts/bench starts the broker.
//
// With --broker-pid, the server side's CPU per committed record is reported beside HQ's:
// the broker process plus the subscriber's committing thread.
//
// Usage: mosquitto_bench --port BROKER_PORT --agents N --seconds S --out FILE.json
//                        [--broker-pid PID]
#include <mosquitto.h>
#include <unistd.h>

#include <SQLiteCpp/Statement.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "bench_common.h"
#include "muster/clock.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"

namespace muster::bench {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) { bench::Die("mosquitto_bench", what); }

struct Publisher {
  mosquitto* client = nullptr;
  std::atomic<bool> committed{true};  // the previous group is in the store
  Steady::time_point sent;
  std::uint64_t seq = 0;
};

struct Bench {
  std::vector<std::unique_ptr<Publisher>> publishers;
  std::unique_ptr<SQLite::Database> db;
  std::atomic<std::uint64_t> committed{0};
  std::atomic<bool> measuring{false};
  std::atomic<pid_t> subscriber_tid{0};  // the thread that commits (mosquitto's loop)
  std::mutex latency_mutex;
  std::vector<double> latencies;
};

mosquitto* Connect(const std::string& id, int port, void* context) {
  mosquitto* client = mosquitto_new(id.c_str(), true, context);
  if (!client) Die("mosquitto_new failed");
  mosquitto_int_option(client, MOSQ_OPT_TCP_NODELAY, 1);
  if (mosquitto_connect(client, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
    Die("cannot connect to the broker on 127.0.0.1:" + std::to_string(port));
  }
  if (mosquitto_loop_start(client) != MOSQ_ERR_SUCCESS) Die("mosquitto_loop_start failed");
  return client;
}

// The subscriber: decodes each group and commits it in one transaction.
void OnMessage(mosquitto*, void* context, const mosquitto_message* message) {
  auto& bench = *static_cast<Bench*>(context);
  if (bench.subscriber_tid == 0) bench.subscriber_tid = CurrentThreadId();
  const std::string topic = message->topic;
  const int index = std::stoi(topic.substr(topic.rfind('/') + 1));
  auto decoded = protocol::Decode(
      std::string_view(static_cast<const char*>(message->payload), message->payloadlen));
  if (!decoded.ok()) Die("undecodable message: " + decoded.status().ToString());
  Status status = CommitGroup(*bench.db, BenchMember(index), decoded->body["records"]);
  if (!status.ok()) Die("commit failed: " + status.ToString());
  bench.committed += decoded->body["records"].size();
  Publisher& publisher = *bench.publishers[index];
  if (bench.measuring) {
    std::lock_guard<std::mutex> lock(bench.latency_mutex);
    bench.latencies.push_back(1000 * SecondsSince(publisher.sent));
  }
  publisher.committed = true;
}

void Publish(Publisher& publisher, int index) {
  SystemClock clock;
  const std::string task = BenchTask(BenchMember(index));
  const std::string payload =
      protocol::Encode(RecordsMessage(task, publisher.seq + 1, kGroupRecords, clock.Now()));
  publisher.seq += kGroupRecords;
  const std::string topic = "muster/bench/" + std::to_string(index);
  publisher.committed = false;
  publisher.sent = Steady::now();
  if (mosquitto_publish(publisher.client, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                        payload.data(), 1, false) != MOSQ_ERR_SUCCESS) {
    publisher.committed = true;  // not sent: try again on the next pass
  }
}

struct Options {
  int agents = 100;
  int port = 0;
  pid_t broker = 0;
  double seconds = 10;
  std::string out_path;
};

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--agents") options.agents = std::stoi(argv[i + 1]);
    else if (arg == "--port") options.port = std::stoi(argv[i + 1]);
    else if (arg == "--seconds") options.seconds = std::stod(argv[i + 1]);
    else if (arg == "--out") options.out_path = argv[i + 1];
    else if (arg == "--broker-pid") options.broker = static_cast<pid_t>(std::stol(argv[i + 1]));
    else Die("usage: mosquitto_bench --port BROKER_PORT --agents N --seconds S --out FILE.json "
             "[--broker-pid PID]");
  }
  if (options.port == 0) Die("give --port of the running broker");
  return options;
}

// The subscriber: one client that commits every group published under muster/bench/.
mosquitto* Subscribe(Bench& bench, int port) {
  mosquitto* subscriber = mosquitto_new("bench-subscriber", true, &bench);
  mosquitto_int_option(subscriber, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_message_callback_set(subscriber, OnMessage);
  if (mosquitto_connect(subscriber, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
    Die("the subscriber cannot connect to the broker on port " + std::to_string(port));
  }
  mosquitto_subscribe(subscriber, nullptr, "muster/bench/#", 1);
  mosquitto_loop_start(subscriber);
  return subscriber;
}

// Each publisher whose previous group is committed publishes the next, until |stop|.
void Drive(Bench& bench, const std::atomic<bool>& stop) {
  const int agents = static_cast<int>(bench.publishers.size());
  while (!stop) {
    bool idle = true;
    for (int i = 0; i < agents && !stop; ++i) {
      if (!bench.publishers[i]->committed) continue;
      idle = false;
      Publish(*bench.publishers[i], i);
    }
    if (idle) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void Disconnect(mosquitto* client) {
  mosquitto_disconnect(client);
  mosquitto_loop_stop(client, false);
  mosquitto_destroy(client);
}

json Report(const Options& options, const BaselineWindow& window, Bench& bench) {
  const double elapsed = window.seconds;
  const std::uint64_t records = window.records;
  std::lock_guard<std::mutex> lock(bench.latency_mutex);
  // Bytes at the broker: publishers → broker and broker → subscriber both count as up;
  // a record crosses the wire twice.
  const WireBytes& start = window.wire_start;
  const WireBytes& end = window.wire_end;
  json out = {{"agents", options.agents},
              {"seconds", elapsed},
              {"records", records},
              {"records_per_s", records / elapsed},
              {"latency_ms", Percentiles(bench.latencies)},
              {"wire_bytes_per_record",
               records ? double(end.up + end.down - start.up - start.down) / records : 0},
              {"load_average", LoadAverage()}};
  if (options.broker > 0) {
    out["server_cpu_percent"] = 100 * window.server_cpu_s / elapsed;
    out["server_cpu_us_per_record"] = records ? 1e6 * window.server_cpu_s / records : 0;
  }
  return out;
}

}  // namespace
}  // namespace muster::bench

int main(int argc, char** argv) {
  using namespace muster;
  using namespace muster::bench;
  const Options options = ParseOptions(argc, argv);
  RaiseFileLimit(static_cast<std::uint64_t>(options.agents) * 4 + 1024);
  mosquitto_lib_init();
  const std::string dir = "/tmp/muster-mosquitto-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  Bench bench;
  auto db = OpenStore(dir + "/subscriber.db", kBaselineSchema);
  if (!db.ok()) Die(db.status().ToString());
  bench.db = std::move(db).value();
  for (int i = 0; i < options.agents; ++i) {
    bench.publishers.push_back(std::make_unique<Publisher>());
  }

  mosquitto* subscriber = Subscribe(bench, options.port);
  for (int i = 0; i < options.agents; ++i) {
    bench.publishers[i]->client = Connect("bench-" + std::to_string(i), options.port, nullptr);
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));

  std::atomic<bool> stop{false};
  std::thread driver([&] { Drive(bench, stop); });
  // The server side: the broker and the subscriber's committing thread.
  const auto server_cpu = [&] {
    return (options.broker > 0 ? SampleProcess(options.broker).cpu_seconds : 0) +
           (bench.subscriber_tid != 0 ? ThreadCpuSeconds(bench.subscriber_tid) : 0);
  };
  const BaselineWindow window =
      MeasureBaseline(options.port, options.seconds, bench.committed, server_cpu, bench.measuring);
  stop = true;
  driver.join();
  for (auto& publisher : bench.publishers) Disconnect(publisher->client);
  Disconnect(subscriber);
  mosquitto_lib_cleanup();

  const json out = Report(options, window, bench);
  bench.db.reset();
  std::filesystem::remove_all(dir);
  WriteResult(out, options.out_path);
  return 0;
}
