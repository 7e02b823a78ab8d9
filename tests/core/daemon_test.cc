// Daemon hygiene (issue 15): one program per data directory, the refusal naming the
// holder; SIGHUP logged and ignored instead of killing the program.
#include "muster/daemon.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "temp_dir.h"

namespace muster {
namespace {

TEST(DirectoryLockTest, ASecondHolderIsRefusedWithTheFirstOnesPidUntilItLetsGo) {
  testing::TempDir dir;
  auto first = DirectoryLock::Acquire(dir.path(), "muster-coordinator");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = DirectoryLock::Acquire(dir.path(), "muster-coordinator");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kConflict);
  EXPECT_NE(second.status().message().find("in use by muster-coordinator (pid " +
                                           std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("stop it first"), std::string::npos);
  { auto released = std::move(first).value(); }
  EXPECT_TRUE(DirectoryLock::Acquire(dir.path(), "muster-agent run").ok())
      << "free again once the first holder is gone";
}

TEST(DirectoryLockTest, AnUnwritableDirectoryIsAnIoError) {
  auto lock = DirectoryLock::Acquire("/nonexistent/muster", "muster-agent run");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), ErrorCode::kIoError);
  EXPECT_NE(lock.status().message().find("/nonexistent/muster/lock"), std::string::npos);
}

// In a child process: SIGHUP does not end the wait; SIGTERM does, and is returned.
TEST(StopSignalsTest, SighupIsIgnoredAndSigtermStops) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const sigset_t signals = BlockStopSignals();
    ::kill(::getpid(), SIGHUP);
    ::kill(::getpid(), SIGTERM);
    ::_exit(WaitForStop(signals, "test") == SIGTERM ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child was killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace muster
