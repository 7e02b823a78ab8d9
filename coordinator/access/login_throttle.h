// Slows password guessing at the login route: failures are counted per account name and
// per client address, separately. After |free_failures| failures in a row a key is locked
// for |first_lock|, doubling with each further failure up to |max_lock|. A successful
// login clears its account's count only: an address's count is forgotten after
// |max_lock| without a failure (counted from the end of its last lock), so that someone with a valid account cannot log in
// between guesses at others to keep their address unlocked. A locked account answers
// rate_limited even to the right password, so guessing one account from many addresses
// gains nothing, and one address trying many accounts is slowed as well.
//
// Kept in memory (a restart forgets it; the audit log keeps every refused login), at
// most |max_tracked| keys: when full, the oldest unlocked key is forgotten (a locked key
// is kept, so memory grows past the cap only with the number of locked keys).
// Thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "muster/clock.h"

namespace muster::hq {

class LoginThrottle {
 public:
  struct Options {
    int free_failures = 5;
    Millis first_lock = 30'000;
    Millis max_lock = 15 * 60'000;
    std::size_t max_tracked = 10'000;
  };

  explicit LoginThrottle(const Clock& clock) : LoginThrottle(clock, Options{}) {}
  LoginThrottle(const Clock& clock, Options options) : clock_(clock), options_(options) {}

  // How long |account| from |address| must wait before a login is tried; 0: now.
  Millis RetryAfter(const std::string& account, const std::string& address);
  void Failed(const std::string& account, const std::string& address);
  void Succeeded(const std::string& account);

 private:
  struct Entry {
    int failures = 0;
    Millis locked_until = 0;
    Millis last_failure = 0;
  };
  // |forgets|: the count starts again after a quiet |max_lock| (addresses only).
  void Fail(const std::string& key, Millis now, bool forgets);
  Millis Wait(const std::string& key, Millis now) const;
  void MakeRoom(Millis now);

  const Clock& clock_;
  Options options_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace muster::hq
