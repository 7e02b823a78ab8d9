// Real processes for the fault tests: a muster-coordinator or a muster-agent daemon
// started from the built binaries, and killed with SIGKILL when a test says so.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace muster::testing {

class ChildProcess {
 public:
  ChildProcess(const std::string& binary, const std::vector<std::string>& args,
               const std::string& log_path);
  ~ChildProcess();  // SIGTERM, then waits; no process outlives its test

  void Kill();       // SIGKILL: no shutdown code runs
  void Terminate();  // SIGTERM and wait for a clean exit
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Runs |binary| with |args| to its end, as a person at a terminal would run a CLI verb.
struct ProcessResult {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string output;  // stdout and stderr together
};
ProcessResult RunProcess(const std::string& binary, const std::vector<std::string>& args);

}  // namespace muster::testing
