#include "bench_common.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cstdio>
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

ProcSample SampleProcess(pid_t pid) {
  ProcSample sample;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const std::size_t close = text.rfind(')');
  if (close != std::string::npos) {
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
    sample.cpu_seconds = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) sample.rss_mb = std::stod(line.substr(6)) / 1024;
    if (line.rfind("VmHWM:", 0) == 0) sample.peak_rss_mb = std::stod(line.substr(6)) / 1024;
  }
  return sample;
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
