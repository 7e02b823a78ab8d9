#include "access/login_throttle.h"

#include <algorithm>

namespace muster::hq {
namespace {

std::string AccountKey(const std::string& account) { return "operator " + account; }
std::string AddressKey(const std::string& address) { return "address " + address; }

}  // namespace

Millis LoginThrottle::Wait(const std::string& key, Millis now) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  return std::max<Millis>(0, it->second.locked_until - now);
}

Millis LoginThrottle::RetryAfter(const std::string& account, const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Millis now = clock_.Now();
  return std::max(Wait(AccountKey(account), now), Wait(AddressKey(address), now));
}

void LoginThrottle::Fail(const std::string& key, Millis now, bool forgets) {
  if (!entries_.count(key)) MakeRoom(now);
  Entry& entry = entries_[key];
  // An address's count quiet for the longest lock after its last lock ended starts
  // again: occasional typos from one address (an office behind one NAT) never add up to
  // a lock. An account's count is cleared only by a successful login.
  if (forgets && entry.failures > 0 &&
      now - std::max(entry.last_failure, entry.locked_until) >= options_.max_lock) {
    entry.failures = 0;
  }
  entry.failures += 1;
  entry.last_failure = now;
  const int over = entry.failures - options_.free_failures;
  if (over < 0) return;
  Millis lock = options_.first_lock;
  for (int i = 0; i < over && lock < options_.max_lock; ++i) lock *= 2;
  entry.locked_until = now + std::min(lock, options_.max_lock);
}

void LoginThrottle::MakeRoom(Millis now) {
  if (entries_.size() < options_.max_tracked) return;
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.locked_until > now) continue;
    if (oldest == entries_.end() || it->second.last_failure < oldest->second.last_failure) {
      oldest = it;
    }
  }
  if (oldest != entries_.end()) entries_.erase(oldest);
}

void LoginThrottle::Failed(const std::string& account, const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Millis now = clock_.Now();
  Fail(AccountKey(account), now, false);
  Fail(AddressKey(address), now, true);
}

void LoginThrottle::Succeeded(const std::string& account) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(AccountKey(account));
}

}  // namespace muster::hq
