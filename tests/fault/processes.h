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

}  // namespace muster::testing
