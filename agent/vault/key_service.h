// Unlocking once a shift: the daemon keeps the vault's master key (vault.h) in locked
// memory and hands it to `muster-agent unlock` and the verbs over a Unix socket in the
// data directory, DATA_DIR/agent.sock (mode 0600 in a 0700 directory; the peer's uid is
// checked with SO_PEERCRED and must be ours).
//
// The exchange is one request and one answer on a fresh connection:
//   'U' + 32-byte key  -> 'O' (the key matches the vault: the daemon is unlocked) or 'E'
//   'K'                -> 'K' + 32-byte key, or 'L' while the daemon is locked
// A verb with no daemon, or a locked one, is told "the store is locked: run
// muster-agent unlock" and does nothing.
//
// Threads: KeyService answers on its own thread from Start() until it is destroyed;
// Key() and WaitForKey() may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "muster/result.h"
#include "muster/secret_bytes.h"

namespace muster::agent {

std::string KeySocketPath(const std::string& data_dir);

// The daemon's side. Start it while holding the data directory's lock (muster/daemon.h):
// it replaces a socket left by a daemon that died.
class KeyService {
 public:
  static Result<std::unique_ptr<KeyService>> Start(const std::string& data_dir);
  ~KeyService();
  KeyService(const KeyService&) = delete;
  KeyService& operator=(const KeyService&) = delete;

  // A copy of the master key once unlocked; nullopt while locked.
  std::optional<SecretBytes> Key();
  // Blocks until unlocked (a copy of the key) or |stop| is set (nullopt); |stop| is
  // looked at every 250 ms.
  std::optional<SecretBytes> WaitForKey(const std::atomic<bool>& stop);

 private:
  KeyService(std::string data_dir, int listener);
  void Serve();
  void Answer(int client);

  std::string data_dir_;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable unlocked_;
  SecretBytes key_;  // empty while locked
  std::thread thread_;
};

// The verbs' side: the master key from the running daemon; not_ready, saying to run
// muster-agent unlock, when there is no daemon or it is locked.
Result<SecretBytes> FetchKey(const std::string& data_dir);

// `muster-agent unlock`'s side: hands |master| to the daemon; bad_key when the daemon
// finds it is not the vault's, not_ready when no daemon runs.
Status HandKey(const std::string& data_dir, const SecretBytes& master);

}  // namespace muster::agent
