// What every benchmark program of bench/ shares: the records they push (the same bodies
// and sizes everywhere, so that Muster and its baselines move the same bytes), how they
// read a process's CPU and memory from /proc, how they count TCP payload bytes with
// ss(8), and how they summarise latencies.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <nlohmann/json.hpp>

#include "muster/clock.h"
#include "muster/protocol.h"
#include "muster/result.h"
#include "muster/sqlite_store.h"

namespace muster::bench {

// Records per group: one member action (a status change with its findings) committed in
// one transaction at the agent, sent in one message and committed in one transaction at
// HQ. Every program of the benchmark uses the same group size.
inline constexpr int kGroupRecords = 10;

// What every program of the benchmark records, built here and nowhere else (so that it
// can move to typed record structs in one place).
//
// The |index|-th record a member makes about |task|: even ones are status updates, odd
// ones findings with two fields of the secondary_inspection step, as a member records
// them. A real agent's store takes these through Outbox::Append.
struct BenchRecord {
  std::string kind;
  nlohmann::json body;
};
BenchRecord MakeRecord(const std::string& task, std::uint64_t index);

// A group of |count| records about |task| as the RECORDS message of the wire protocol
// (docs/protocol.md §3): seqs |first_seq|, |first_seq|+1, ..., the |first_seq|-1+r-th
// record of MakeRecord, all recorded |at|. What the simulated agents and both baselines'
// clients send.
protocol::Message RecordsMessage(const std::string& task, std::uint64_t first_seq, int count,
                                 Millis at);

// The task id a simulated member reports on, as HQ names it (deployment.step.member).
std::string BenchTask(const std::string& member_id);
std::string BenchMember(int index);

// The baselines' central store: a table shaped like HQ's inbound, and one group of
// records (as decoded from a RECORDS message) committed in one transaction.
extern const std::vector<Migration> kBaselineSchema;
Status CommitGroup(SQLite::Database& db, const std::string& agent, const nlohmann::json& records);

// Prints "PROGRAM: WHAT" and exits with status 1.
[[noreturn]] void Die(const std::string& program, const std::string& what);

// CPU time (user + system) and memory of a process, from /proc/PID/stat and status.
struct ProcSample {
  double cpu_seconds = 0;
  double rss_mb = 0;
  double peak_rss_mb = 0;  // VmHWM
};
ProcSample SampleProcess(pid_t pid);

// CPU time (user + system) of one thread of this process, from /proc/self/task/TID/stat
// (0 when it is gone), and the id of the calling thread.
double ThreadCpuSeconds(pid_t tid);
pid_t CurrentThreadId();
// The ids of this process's threads now (/proc/self/task).
std::vector<pid_t> ThreadIds();

// Samples, every |interval_ms| until Stop(), the scheduler state of every thread of a
// process (/proc/PID/task/TID/stat): the share of samples in which each thread was busy
// (running or runnable, R, or waiting for the disk, D) and in D alone. A thread busy
// nearly all the time is the bottleneck; one mostly asleep (S) is waiting for work.
class ThreadStates {
 public:
  explicit ThreadStates(pid_t pid, int interval_ms = 5);
  ~ThreadStates();
  ThreadStates(const ThreadStates&) = delete;
  ThreadStates& operator=(const ThreadStates&) = delete;
  // [{"thread": name, "tid", "busy": share R or D, "disk": share D}], busiest first;
  // threads busy in under 1 % of the samples are left out.
  nlohmann::json Stop();

 private:
  struct Counts {
    std::string name;
    std::uint64_t busy = 0, disk = 0;
  };
  void Run(pid_t pid, int interval_ms);

  std::atomic<bool> stop_{false};
  std::uint64_t samples_ = 0;
  std::map<pid_t, Counts> threads_;
  std::thread sampler_;
  nlohmann::json result_;
};

// TCP payload bytes on the established connections whose local port is |port| (the
// server side), summed: bytes_received (clients → server) and bytes_acked (server →
// clients). Includes ZMTP/MQTT framing and encryption, excludes TCP/IP headers.
struct WireBytes {
  std::uint64_t up = 0;
  std::uint64_t down = 0;
  int connections = 0;
};
WireBytes ServerWireBytes(int port);

// What the measuring window of a baseline (ceiling_bench, mosquitto_bench) saw.
struct BaselineWindow {
  double seconds = 0;
  std::uint64_t records = 0;  // committed by the server within the window
  double server_cpu_s = 0;
  double process_cpu_s = 0;        // this whole process, clients included
  WireBytes wire_start, wire_end;  // at the server's port
};
// Waits 2 s for every client to be connected and running, then measures for |seconds|
// with |measuring| set. |committed| counts the records the server committed, and
// |server_cpu| reads the CPU seconds of the server side so far.
BaselineWindow MeasureBaseline(int port, double seconds,
                               const std::atomic<std::uint64_t>& committed,
                               const std::function<double()>& server_cpu,
                               std::atomic<bool>& measuring);

// Writes |result| to |path| (unless empty) and prints it.
void WriteResult(const nlohmann::json& result, const std::string& path);

// p50/p99/max of |values| (sorted in place); zeros when empty.
nlohmann::json Percentiles(std::vector<double>& values);

// Raises the open-file limit to the hard limit, or to |wanted| when the process may
// (root); returns the soft limit now in force.
std::uint64_t RaiseFileLimit(std::uint64_t wanted);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

double SecondsSince(std::chrono::steady_clock::time_point start);
double LoadAverage();  // the 1-minute load average
std::string MachineDescription();  // nproc, CPU model, memory

}  // namespace muster::bench
