#include "vault/key_service.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "muster/log.h"
#include "vault/vault.h"

namespace muster::agent {

namespace {

constexpr char kUnlock = 'U';
constexpr char kAsk = 'K';
constexpr char kOk = 'O';
constexpr char kWrong = 'E';
constexpr char kLocked = 'L';

Status Locked(const std::string& why) {
  return Status::Error(ErrorCode::kNotReady,
                       "the store is locked: run muster-agent unlock (" + why + ")");
}

Result<sockaddr_un> AddressOf(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    return Status::Error(ErrorCode::kInvalidConfig,
                         path + " is too long for a Unix socket (at most " +
                             std::to_string(sizeof address.sun_path - 1) +
                             " bytes): choose a shorter data_dir");
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

// Sends or receives exactly |size| bytes; false on a closed or failed socket.
bool SendAll(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const ssize_t sent = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    bytes += sent;
    size -= static_cast<std::size_t>(sent);
  }
  return true;
}

bool ReceiveAll(int fd, void* data, std::size_t size) {
  auto* bytes = static_cast<unsigned char*>(data);
  while (size > 0) {
    const ssize_t got = ::recv(fd, bytes, size, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

// A connection to the daemon's socket; not_ready when nothing listens.
Result<int> Connect(const std::string& data_dir) {
  auto address = AddressOf(KeySocketPath(data_dir));
  if (!address.ok()) return address.status();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(ErrorCode::kIoError, std::string("socket: ") + strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) {
    ::close(fd);
    return Locked(
        "the daemon is not running: start it with systemctl --user start "
        "muster-agent, or muster-agent run");
  }
  timeval timeout{5, 0};  // the daemon answers at once
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

}  // namespace

std::string KeySocketPath(const std::string& data_dir) { return data_dir + "/agent.sock"; }

Result<std::unique_ptr<KeyService>> KeyService::Start(const std::string& data_dir) {
  const std::string path = KeySocketPath(data_dir);
  auto address = AddressOf(path);
  if (!address.ok()) return address.status();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(ErrorCode::kIoError, std::string("socket: ") + strerror(errno));
  ::unlink(path.c_str());  // a socket left by a daemon that died; we hold the directory lock
  const mode_t old_mask = ::umask(0177);
  const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof *address);
  ::umask(old_mask);
  if (bound != 0 || ::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 8) != 0) {
    const std::string why = strerror(errno);
    ::close(fd);
    return Status::Error(ErrorCode::kBindFailed, "cannot listen on " + path + ": " + why);
  }
  std::unique_ptr<KeyService> service(new KeyService(data_dir, fd));
  service->thread_ = std::thread([raw = service.get()] { raw->Serve(); });
  return service;
}

KeyService::KeyService(std::string data_dir, int listener)
    : data_dir_(std::move(data_dir)), listener_(listener) {}

KeyService::~KeyService() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
  ::unlink(KeySocketPath(data_dir_).c_str());
}

std::optional<SecretBytes> KeyService::Key() {
  std::lock_guard lock(mutex_);
  if (key_.empty()) return std::nullopt;
  return SecretBytes::Copy(key_.data(), key_.size());
}

std::optional<SecretBytes> KeyService::WaitForKey(const std::atomic<bool>& stop) {
  std::unique_lock lock(mutex_);
  while (key_.empty()) {
    if (stop) return std::nullopt;
    unlocked_.wait_for(lock, std::chrono::milliseconds(250));
  }
  return SecretBytes::Copy(key_.data(), key_.size());
}

void KeyService::Serve() {
  while (!stopping_) {
    pollfd wait{listener_, POLLIN, 0};
    if (::poll(&wait, 1, 250) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    timeval timeout{2, 0};  // a client that says nothing does not hold the service
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    Answer(client);
    ::close(client);
  }
}

void KeyService::Answer(int client) {
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::getsockopt(client, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 || peer.uid != ::geteuid()) {
    Logger("agent")->warn("event=key_request_refused uid={} pid={} reason=\"another user\"",
                          peer.uid, peer.pid);
    return;
  }
  char op = 0;
  if (!ReceiveAll(client, &op, 1)) return;
  if (op == kAsk) {
    std::lock_guard lock(mutex_);
    if (key_.empty()) {
      SendAll(client, &kLocked, 1);
      return;
    }
    if (SendAll(client, &kAsk, 1)) SendAll(client, key_.data(), key_.size());
    return;
  }
  if (op != kUnlock) return;
  SecretBytes offered(kMasterKeyBytes);
  if (!ReceiveAll(client, offered.data(), offered.size())) return;
  if (!CheckMasterKey(data_dir_, offered).ok()) {
    Logger("agent")->warn("event=unlock_refused pid={} reason=\"wrong passphrase\"", peer.pid);
    SendAll(client, &kWrong, 1);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    const bool first = key_.empty();
    key_ = std::move(offered);
    if (first) Logger("agent")->info("event=unlocked pid={}", peer.pid);
  }
  unlocked_.notify_all();
  SendAll(client, &kOk, 1);
}

Result<SecretBytes> FetchKey(const std::string& data_dir) {
  auto fd = Connect(data_dir);
  if (!fd.ok()) return fd.status();
  char answer = 0;
  SecretBytes key(kMasterKeyBytes);
  const bool asked = SendAll(*fd, &kAsk, 1) && ReceiveAll(*fd, &answer, 1);
  const bool got = asked && answer == kAsk && ReceiveAll(*fd, key.data(), key.size());
  ::close(*fd);
  if (got) return key;
  if (asked && answer == kLocked) return Locked("the daemon runs but was not unlocked yet");
  return Locked("the daemon did not hand over the key");
}

Status HandKey(const std::string& data_dir, const SecretBytes& master) {
  auto fd = Connect(data_dir);
  if (!fd.ok()) return fd.status();
  char answer = 0;
  const bool sent = SendAll(*fd, &kUnlock, 1) && SendAll(*fd, master.data(), master.size()) &&
                    ReceiveAll(*fd, &answer, 1);
  ::close(*fd);
  if (sent && answer == kOk) return Status::Ok();
  if (sent && answer == kWrong) {
    return Status::Error(ErrorCode::kBadKey, "wrong passphrase: the store stays locked");
  }
  return Status::Error(ErrorCode::kIoError,
                       "the daemon did not take the key: see its log (journalctl --user -u "
                       "muster-agent)");
}

}  // namespace muster::agent
