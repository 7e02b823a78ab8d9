#include "vault/secret_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "muster/files.h"
#include "vault/vault.h"

namespace muster::agent {

namespace {

// Overwrites the file open at |fd| with zeros and syncs it (its name is gone already).
void ZeroOpenFile(int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return;
  const std::vector<char> zeros(static_cast<std::size_t>(info.st_size), 0);
  if (::pwrite(fd, zeros.data(), zeros.size(), 0) >= 0) ::fsync(fd);
}

}  // namespace

Status SealBundleSecret(const std::string& path, const SecretBytes& master) {
  auto bundle = ReadBundleFile(path);
  if (!bundle.ok()) return bundle.status();
  if (!bundle->sealed_secret_key.empty()) return Status::Ok();
  const SecretBytes key = DeriveSubkey(master, Subkey::kSecretKey);
  std::string box(
      crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + bundle->secret_key.size(), '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(bytes, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(bytes + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(bundle->secret_key.data()),
                        bundle->secret_key.size(), bytes, key.data());
  std::string hex(2 * box.size() + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, box.size());
  hex.pop_back();
  sodium_memzero(bundle->secret_key.data(), bundle->secret_key.size());
  bundle->secret_key.clear();
  bundle->sealed_secret_key = hex;
  const int old = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);  // the plain inode
  Status written = WriteFileAtomic(path, BundleToJson(*bundle) + "\n", 0600);
  if (old >= 0) {
    if (written.ok()) ZeroOpenFile(old);
    ::close(old);
  }
  return written;
}

Status UnsealBundleSecret(Bundle& bundle, const SecretBytes& master) {
  if (bundle.sealed_secret_key.empty()) return Status::Ok();
  std::string box(bundle.sealed_secret_key.size() / 2, '\0');
  std::size_t length = 0;
  const auto damaged = Status::Error(ErrorCode::kDamaged,
                                     "the bundle's sealed secret key does not open with this "
                                     "passphrase's key: the bundle is damaged or from another "
                                     "laptop; ask HQ for a new enrolment");
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(box.data()), box.size(),
                     bundle.sealed_secret_key.data(), bundle.sealed_secret_key.size(), nullptr,
                     &length, nullptr) != 0 ||
      length != box.size() ||
      box.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return damaged;
  }
  const SecretBytes key = DeriveSubkey(master, Subkey::kSecretKey);
  const auto* bytes = reinterpret_cast<const unsigned char*>(box.data());
  std::string secret(box.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(
          reinterpret_cast<unsigned char*>(secret.data()), bytes + crypto_secretbox_NONCEBYTES,
          box.size() - crypto_secretbox_NONCEBYTES, bytes, key.data()) != 0) {
    return damaged;
  }
  bundle.secret_key = std::move(secret);
  return Status::Ok();
}

}  // namespace muster::agent
