// The ceiling of Muster's own stack: N clients push the same records Muster's agents send
// (the same bodies, the same wire codec, the same group of kGroupRecords per message)
// through ZeroMQ with CURVE into one SQLite store with Muster's durability (WAL,
// synchronous=FULL, one transaction per message), and nothing else: no agent store, no
// authorisation, no effects, no deliveries. One group in flight per client, as in Muster.
//
// The server has a ZeroMQ context of its own (one I/O thread, as the coordinator has), so
// that its CPU can be told from the clients': the server side is the thread that commits
// plus its context's threads (I/O and reaper), read from /proc/self/task/TID/stat over
// the window, and reported per committed record beside HQ's (fleet_bench).
//
// Usage: ceiling_bench --agents N --seconds S --out FILE.json
#include <sodium.h>
#include <unistd.h>

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <zmq.hpp>

#include "bench_common.h"
#include "muster/clock.h"
#include "muster/keys.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"

namespace muster::bench {
namespace {

using nlohmann::json;
using protocol::Message;
using protocol::MessageType;
using Steady = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) { bench::Die("ceiling_bench", what); }

// The central store: one ROUTER, one transaction per message, an ACK after the commit.
void Serve(zmq::socket_t& router, SQLite::Database& db, const std::atomic<bool>& stop,
           std::atomic<std::uint64_t>& committed, std::atomic<pid_t>& tid) {
  tid = CurrentThreadId();
  while (!stop) {
    zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(100));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    zmq::message_t identity, payload;
    if (!router.recv(identity, zmq::recv_flags::dontwait)) continue;
    if (!router.recv(payload, zmq::recv_flags::dontwait)) continue;
    auto message = protocol::Decode(
        std::string_view(static_cast<const char*>(payload.data()), payload.size()));
    if (!message.ok()) Die("undecodable message: " + message.status().ToString());
    const std::string agent = identity.to_string();
    const json& records = message->body["records"];
    Status status = CommitGroup(db, agent, records);
    if (!status.ok()) Die("commit failed: " + status.ToString());
    committed += records.size();
    json seqs = json::array();
    for (const json& record : records) seqs.push_back(record["seq"]);
    const std::string ack = protocol::Encode(
        Message{MessageType::kAck, {{"seqs", seqs}, {"ingested", seqs.back()}}});
    router.send(identity, zmq::send_flags::sndmore);
    router.send(zmq::buffer(ack), zmq::send_flags::none);
  }
}

struct Options {
  int agents = 100;
  double seconds = 10;
  std::string out_path;
};

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--agents") options.agents = std::stoi(argv[i + 1]);
    else if (arg == "--seconds") options.seconds = std::stod(argv[i + 1]);
    else if (arg == "--out") options.out_path = argv[i + 1];
    else Die("usage: ceiling_bench --agents N --seconds S --out FILE.json");
  }
  return options;
}

// The threads of this process that were not among |before|.
std::vector<pid_t> ThreadsSince(const std::vector<pid_t>& before) {
  std::vector<pid_t> started;
  for (pid_t tid : ThreadIds()) {
    if (std::find(before.begin(), before.end(), tid) == before.end()) started.push_back(tid);
  }
  return started;
}

// Round trips measured while |measuring| was set, in milliseconds, from every client.
struct Latencies {
  std::mutex mutex;
  std::vector<double> ms;
};

// Client |index|: one DEALER with CURVE that sends a group of records and waits for its
// ACK, again and again until |stop|.
void RunClient(zmq::context_t& context, const std::string& server_key, int port, int index,
               const std::atomic<bool>& stop, const std::atomic<bool>& measuring,
               Latencies& latencies) {
  auto keys = GenerateKeyPair();
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::curve_serverkey, server_key);
  dealer.set(zmq::sockopt::curve_publickey, keys->public_key);
  dealer.set(zmq::sockopt::curve_secretkey, keys->secret_key);
  dealer.set(zmq::sockopt::routing_id, BenchMember(index));
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect("tcp://127.0.0.1:" + std::to_string(port));
  const std::string task = BenchTask(BenchMember(index));
  SystemClock clock;
  std::uint64_t seq = 1;
  std::vector<double> mine;
  while (!stop) {
    const std::string frame =
        protocol::Encode(RecordsMessage(task, seq, kGroupRecords, clock.Now()));
    seq += kGroupRecords;
    const auto sent = Steady::now();
    dealer.send(zmq::buffer(frame));
    zmq::message_t ack;
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    while (!stop && !(item.revents & ZMQ_POLLIN)) {
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
    }
    if (stop) break;
    (void)dealer.recv(ack);
    if (measuring) mine.push_back(1000 * SecondsSince(sent));
  }
  std::lock_guard<std::mutex> lock(latencies.mutex);
  latencies.ms.insert(latencies.ms.end(), mine.begin(), mine.end());
}

json Report(const Options& options, const BaselineWindow& window, Latencies& latencies,
            std::size_t server_threads) {
  const double elapsed = window.seconds;
  const std::uint64_t records = window.records;
  return {{"agents", options.agents},
          {"seconds", elapsed},
          {"records", records},
          {"records_per_s", records / elapsed},
          {"latency_ms", Percentiles(latencies.ms)},
          // The server: its committing thread and its ZeroMQ context's threads.
          {"server_cpu_percent", 100 * window.server_cpu_s / elapsed},
          {"server_cpu_us_per_record", records ? 1e6 * window.server_cpu_s / records : 0},
          {"server_threads", server_threads},
          // The whole process, clients included.
          {"process_cpu_percent", 100 * window.process_cpu_s / elapsed},
          {"up_bytes_per_record",
           records ? double(window.wire_end.up - window.wire_start.up) / records : 0},
          {"down_bytes_per_record",
           records ? double(window.wire_end.down - window.wire_start.down) / records : 0},
          {"load_average", LoadAverage()}};
}

}  // namespace
}  // namespace muster::bench

int main(int argc, char** argv) {
  using namespace muster;
  using namespace muster::bench;
  const Options options = ParseOptions(argc, argv);
  if (sodium_init() < 0) Die("libsodium failed to start");
  RaiseFileLimit(static_cast<std::uint64_t>(options.agents) * 8 + 1024);
  const std::string dir = "/tmp/muster-ceiling-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  auto db = OpenStore(dir + "/ceiling.db", kBaselineSchema);
  if (!db.ok()) Die(db.status().ToString());

  auto server_keys = GenerateKeyPair();
  if (!server_keys.ok()) Die(server_keys.status().ToString());
  // The server's context starts its threads with its first socket: the threads that
  // appear then are the server's.
  const std::vector<pid_t> threads_before = ThreadIds();
  zmq::context_t server_context(1);
  zmq::socket_t router(server_context, zmq::socket_type::router);
  std::vector<pid_t> server_threads = ThreadsSince(threads_before);
  zmq::context_t context(1);
  context.set(zmq::ctxopt::max_sockets, options.agents + 16);
  router.set(zmq::sockopt::curve_server, 1);
  router.set(zmq::sockopt::curve_secretkey, server_keys->secret_key);
  router.set(zmq::sockopt::linger, 0);
  const int port = FreePort();
  router.bind("tcp://127.0.0.1:" + std::to_string(port));

  std::atomic<bool> stop{false}, stop_server{false};
  std::atomic<std::uint64_t> committed{0};
  std::atomic<pid_t> serve_tid{0};
  std::thread server([&] { Serve(router, **db, stop_server, committed, serve_tid); });
  while (serve_tid == 0) std::this_thread::yield();
  server_threads.push_back(serve_tid);
  const auto server_cpu = [&] {
    double seconds = 0;
    for (pid_t tid : server_threads) seconds += ThreadCpuSeconds(tid);
    return seconds;
  };

  Latencies latencies;
  std::atomic<bool> measuring{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < options.agents; ++c) {
    clients.emplace_back([&, c] {
      RunClient(context, server_keys->public_key, port, c, stop, measuring, latencies);
    });
  }
  const BaselineWindow window =
      MeasureBaseline(port, options.seconds, committed, server_cpu, measuring);
  stop = true;
  for (auto& client : clients) client.join();
  stop_server = true;
  server.join();
  router.close();
  context.shutdown();
  server_context.shutdown();

  const json out = Report(options, window, latencies, server_threads.size());
  db->reset();
  std::filesystem::remove_all(dir);
  WriteResult(out, options.out_path);
  return 0;
}
