#include "bench_common.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "muster/clock.h"

namespace muster::bench {

BenchRecord MakeRecord(const std::string& task, std::uint64_t index) {
  if (index % 2 == 0) {
    return {"status", {{"task", task}, {"state", index % 4 == 0 ? "in_progress" : "acknowledged"}}};
  }
  return {"finding",
          {{"task", task},
           {"values",
            {{"dose_rate_1m", 0.5 + static_cast<double>(index % 50) / 10}, {"neutrons_detected", false}}}}};
}

protocol::Message RecordsMessage(const std::string& task, std::uint64_t first_seq, int count,
                                 Millis at) {
  nlohmann::json records = nlohmann::json::array();
  for (int r = 0; r < count; ++r) {
    const std::uint64_t seq = first_seq + static_cast<std::uint64_t>(r);
    BenchRecord record = MakeRecord(task, seq - 1);
    records.push_back(
        {{"seq", seq}, {"kind", std::move(record.kind)}, {"at", at}, {"body", std::move(record.body)}});
  }
  return protocol::Message{protocol::MessageType::kRecords, {{"records", std::move(records)}}};
}

const std::vector<Migration> kBaselineSchema = {
    {1,
     "CREATE TABLE inbound(agent_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, "
     "recorded_at INTEGER NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL, "
     "PRIMARY KEY(agent_id, seq))"}};

Status CommitGroup(SQLite::Database& db, const std::string& agent, const nlohmann::json& records) {
  SystemClock clock;
  return InTransaction(db, [&]() -> Status {
    SQLite::Statement insert(db, "INSERT OR IGNORE INTO inbound VALUES(?,?,?,?,?,?)");
    for (const nlohmann::json& record : records) {
      insert.bind(1, agent);
      insert.bind(2, record["seq"].get<std::int64_t>());
      insert.bind(3, record["kind"].get<std::string>());
      insert.bind(4, record["at"].get<std::int64_t>());
      insert.bind(5, static_cast<std::int64_t>(clock.Now()));
      insert.bind(6, record["body"].dump());
      insert.exec();
      insert.reset();
    }
    return Status::Ok();
  });
}

void Die(const std::string& program, const std::string& what) {
  std::cerr << program << ": " << what << "\n";
  std::exit(1);
}

std::string BenchMember(int index) {
  char id[16];
  std::snprintf(id, sizeof id, "m%05d", index);
  return id;
}

std::string BenchTask(const std::string& member_id) { return "d1.secondary_inspection." + member_id; }

namespace {

// utime + stime of a /proc/.../stat file, in seconds (0 when it cannot be read).
double StatCpuSeconds(const std::string& path) {
  std::ifstream stat(path);
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

double ThreadCpuSeconds(pid_t tid) {
  return StatCpuSeconds("/proc/self/task/" + std::to_string(tid) + "/stat");
}

pid_t CurrentThreadId() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

std::vector<pid_t> ThreadIds() {
  std::vector<pid_t> ids;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", error)) {
    ids.push_back(static_cast<pid_t>(std::stol(entry.path().filename().string())));
  }
  return ids;
}

ProcSample SampleProcess(pid_t pid) {
  ProcSample sample;
  sample.cpu_seconds = StatCpuSeconds("/proc/" + std::to_string(pid) + "/stat");
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) sample.rss_mb = std::stod(line.substr(6)) / 1024;
    if (line.rfind("VmHWM:", 0) == 0) sample.peak_rss_mb = std::stod(line.substr(6)) / 1024;
  }
  return sample;
}

ThreadStates::ThreadStates(pid_t pid, int interval_ms)
    : sampler_([this, pid, interval_ms] { Run(pid, interval_ms); }) {}

ThreadStates::~ThreadStates() { Stop(); }

void ThreadStates::Run(pid_t pid, int interval_ms) {
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  while (!stop_) {
    std::error_code error;
    bool any = false;
    for (const auto& entry : std::filesystem::directory_iterator(tasks, error)) {
      std::ifstream stat(entry.path() / "stat");
      std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      const std::size_t open = text.find('('), close = text.rfind(')');
      if (open == std::string::npos || close == std::string::npos || close + 2 >= text.size()) continue;
      Counts& counts = threads_[static_cast<pid_t>(std::stol(entry.path().filename().string()))];
      counts.name = text.substr(open + 1, close - open - 1);
      const char state = text[close + 2];
      counts.busy += state == 'R' || state == 'D' ? 1 : 0;
      counts.disk += state == 'D' ? 1 : 0;
      any = true;
    }
    samples_ += any ? 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
}

nlohmann::json ThreadStates::Stop() {
  if (!sampler_.joinable()) return result_;
  stop_ = true;
  sampler_.join();
  result_ = nlohmann::json::array();
  if (samples_ == 0) return result_;
  std::vector<std::pair<pid_t, Counts>> sorted(threads_.begin(), threads_.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second.busy > b.second.busy; });
  const double samples = static_cast<double>(samples_);
  for (const auto& [tid, counts] : sorted) {
    if (counts.busy / samples < 0.01) continue;
    result_.push_back({{"thread", counts.name},
                       {"tid", tid},
                       {"busy", counts.busy / samples},
                       {"disk", counts.disk / samples}});
  }
  return result_;
}

namespace {

std::uint64_t SumField(const std::string& text, const std::string& name) {
  std::uint64_t total = 0;
  for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    total += std::strtoull(text.c_str() + at + name.size(), nullptr, 10);
  }
  return total;
}

}  // namespace

WireBytes ServerWireBytes(int port) {
  const std::string command = "ss -tinH state established '( sport = :" + std::to_string(port) +
                              " )' 2>/dev/null";
  WireBytes bytes;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return bytes;
  std::string text;
  char buffer[65536];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  pclose(pipe);
  bytes.up = SumField(text, " bytes_received:");
  bytes.down = SumField(text, " bytes_acked:");
  for (std::size_t at = text.find("127.0.0.1:" + std::to_string(port) + " ");
       at != std::string::npos; at = text.find("127.0.0.1:" + std::to_string(port) + " ", at + 1)) {
    ++bytes.connections;
  }
  return bytes;
}

BaselineWindow MeasureBaseline(int port, double seconds,
                               const std::atomic<std::uint64_t>& committed,
                               const std::function<double()>& server_cpu,
                               std::atomic<bool>& measuring) {
  std::this_thread::sleep_for(std::chrono::seconds(2));
  BaselineWindow window;
  window.wire_start = ServerWireBytes(port);
  const std::uint64_t start_count = committed;
  const double server_cpu_start = server_cpu();
  const ProcSample process_start = SampleProcess(getpid());
  const auto start = std::chrono::steady_clock::now();
  measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  measuring = false;
  window.seconds = SecondsSince(start);
  window.records = committed - start_count;
  window.server_cpu_s = server_cpu() - server_cpu_start;
  window.process_cpu_s = SampleProcess(getpid()).cpu_seconds - process_start.cpu_seconds;
  window.wire_end = ServerWireBytes(port);
  return window;
}

void WriteResult(const nlohmann::json& result, const std::string& path) {
  if (!path.empty()) std::ofstream(path) << result.dump(2) << "\n";
  std::cout << result.dump(2) << "\n";
}

nlohmann::json Percentiles(std::vector<double>& values) {
  if (values.empty()) return {{"p50", 0}, {"p99", 0}, {"max", 0}, {"count", 0}};
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    return values[std::min(values.size() - 1, static_cast<std::size_t>(q * values.size()))];
  };
  return {{"p50", at(0.50)}, {"p99", at(0.99)}, {"max", values.back()}, {"count", values.size()}};
}

std::uint64_t RaiseFileLimit(std::uint64_t wanted) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  rlimit raised{wanted, std::max<rlim_t>(wanted, limit.rlim_max)};
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double LoadAverage() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

std::string MachineDescription() {
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  const double memory_gb = static_cast<double>(sysconf(_SC_PHYS_PAGES)) *
                           static_cast<double>(sysconf(_SC_PAGE_SIZE)) / (1 << 30);
  std::ostringstream out;
  out << std::thread::hardware_concurrency() << " cores (" << model << "), "
      << static_cast<int>(memory_gb + 0.5) << " GiB memory";
  return out.str();
}

}  // namespace muster::bench
