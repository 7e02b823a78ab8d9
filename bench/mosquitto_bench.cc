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

}  // namespace
}  // namespace muster::bench

int main(int argc, char** argv) {
  using namespace muster;
  using namespace muster::bench;
  int agents = 100, port = 0;
  pid_t broker = 0;
  double seconds = 10;
  std::string out_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--agents") agents = std::stoi(argv[i + 1]);
    else if (arg == "--port") port = std::stoi(argv[i + 1]);
    else if (arg == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (arg == "--out") out_path = argv[i + 1];
    else if (arg == "--broker-pid") broker = static_cast<pid_t>(std::stol(argv[i + 1]));
    else Die("usage: mosquitto_bench --port BROKER_PORT --agents N --seconds S --out FILE.json "
             "[--broker-pid PID]");
  }
  if (port == 0) Die("give --port of the running broker");
  RaiseFileLimit(static_cast<std::uint64_t>(agents) * 4 + 1024);
  mosquitto_lib_init();
  const std::string dir = "/tmp/muster-mosquitto-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  Bench bench;
  auto db = OpenStore(dir + "/subscriber.db", kBaselineSchema);
  if (!db.ok()) Die(db.status().ToString());
  bench.db = std::move(db).value();
  for (int i = 0; i < agents; ++i) bench.publishers.push_back(std::make_unique<Publisher>());

  mosquitto* subscriber = mosquitto_new("bench-subscriber", true, &bench);
  mosquitto_int_option(subscriber, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_message_callback_set(subscriber, OnMessage);
  if (mosquitto_connect(subscriber, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
    Die("the subscriber cannot connect to the broker on port " + std::to_string(port));
  }
  mosquitto_subscribe(subscriber, nullptr, "muster/bench/#", 1);
  mosquitto_loop_start(subscriber);
  for (int i = 0; i < agents; ++i) {
    bench.publishers[i]->client = Connect("bench-" + std::to_string(i), port, nullptr);
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));

  std::atomic<bool> stop{false};
  std::thread driver([&] {
    while (!stop) {
      bool idle = true;
      for (int i = 0; i < agents && !stop; ++i) {
        if (!bench.publishers[i]->committed) continue;
        idle = false;
        Publish(*bench.publishers[i], i);
      }
      if (idle) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const WireBytes wire_start = ServerWireBytes(port);
  const std::uint64_t start_count = bench.committed;
  // The server side: the broker and the subscriber's committing thread.
  const auto server_cpu = [&] {
    return (broker > 0 ? SampleProcess(broker).cpu_seconds : 0) +
           (bench.subscriber_tid != 0 ? ThreadCpuSeconds(bench.subscriber_tid) : 0);
  };
  const double server_cpu_start = server_cpu();
  const auto start = Steady::now();
  bench.measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  bench.measuring = false;
  const double elapsed = SecondsSince(start);
  const std::uint64_t records = bench.committed - start_count;
  const double server_cpu_s = server_cpu() - server_cpu_start;
  const WireBytes wire_end = ServerWireBytes(port);
  stop = true;
  driver.join();
  for (auto& publisher : bench.publishers) {
    mosquitto_disconnect(publisher->client);
    mosquitto_loop_stop(publisher->client, false);
    mosquitto_destroy(publisher->client);
  }
  mosquitto_disconnect(subscriber);
  mosquitto_loop_stop(subscriber, false);
  mosquitto_destroy(subscriber);
  mosquitto_lib_cleanup();

  std::lock_guard<std::mutex> lock(bench.latency_mutex);
  // Bytes at the broker: publishers → broker and broker → subscriber both count as up;
  // a record crosses the wire twice.
  json out = {{"agents", agents},
              {"seconds", elapsed},
              {"records", records},
              {"records_per_s", records / elapsed},
              {"latency_ms", Percentiles(bench.latencies)},
              {"wire_bytes_per_record",
               records ? double(wire_end.up + wire_end.down - wire_start.up - wire_start.down) /
                             records
                       : 0},
              {"load_average", LoadAverage()}};
  if (broker > 0) {
    out["server_cpu_percent"] = 100 * server_cpu_s / elapsed;
    out["server_cpu_us_per_record"] = records ? 1e6 * server_cpu_s / records : 0;
  }
  bench.db.reset();
  std::filesystem::remove_all(dir);
  if (!out_path.empty()) std::ofstream(out_path) << out.dump(2) << "\n";
  std::cout << out.dump(2) << "\n";
  return 0;
}
