#include "vault/vault.h"

#include <sodium.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "muster/files.h"

namespace muster::agent {

namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "MusterVa";
constexpr int kVersion = 1;

struct Header {
  std::string salt;  // binary, crypto_pwhash_SALTBYTES
  VaultLimits limits;
  std::string check;  // binary, the kCheck subkey
};

std::string Hex(const unsigned char* bytes, std::size_t size) {
  std::string hex(2 * size + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();
  return hex;
}

bool FromHex(const std::string& hex, std::size_t size, std::string& out) {
  out.assign(size, '\0');
  std::size_t length = 0;
  return sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), size, hex.data(), hex.size(),
                        nullptr, &length, nullptr) == 0 &&
         length == size;
}

Result<Header> ReadHeader(const std::string& data_dir) {
  const std::string path = VaultPath(data_dir);
  auto text = ReadFile(path, 64 << 10);
  if (!text.ok()) return text.status();
  const auto damaged = [&](const std::string& what) {
    return Status::Error(ErrorCode::kDamaged,
                         path + " is damaged (" + what +
                             "); without it the store cannot be opened: restore the file from "
                             "where you copied it, or ask HQ for a new enrolment");
  };
  try {
    const auto json = nlohmann::json::parse(*text);
    if (json.at("version").get<int>() != kVersion) return damaged("unknown version");
    if (json.at("kdf").get<std::string>() != "argon2id13") return damaged("unknown kdf");
    Header header;
    header.limits.ops = json.at("opslimit").get<unsigned long long>();
    header.limits.mem = json.at("memlimit").get<std::size_t>();
    if (!FromHex(json.at("salt").get<std::string>(), crypto_pwhash_SALTBYTES, header.salt) ||
        !FromHex(json.at("check").get<std::string>(), kMasterKeyBytes, header.check)) {
      return damaged("salt or check value");
    }
    return header;
  } catch (const nlohmann::json::exception& error) {
    return damaged(error.what());
  }
}

Result<SecretBytes> Derive(const std::string& passphrase, const Header& header) {
  SecretBytes master(kMasterKeyBytes);
  if (crypto_pwhash(master.data(), master.size(), passphrase.data(), passphrase.size(),
                    reinterpret_cast<const unsigned char*>(header.salt.data()), header.limits.ops,
                    header.limits.mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Error(ErrorCode::kInternal,
                         "not enough memory to derive the key from the passphrase (argon2id "
                         "needs " +
                             std::to_string(header.limits.mem >> 20) + " MiB)");
  }
  return master;
}

}  // namespace

VaultLimits ModerateVaultLimits() {
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}
VaultLimits MinimumVaultLimits() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

std::string VaultPath(const std::string& data_dir) { return data_dir + "/vault.json"; }

bool HasVault(const std::string& data_dir) {
  struct stat info {};
  return ::stat(VaultPath(data_dir).c_str(), &info) == 0;
}

SecretBytes DeriveSubkey(const SecretBytes& master, Subkey which) {
  SecretBytes sub(32);
  crypto_kdf_derive_from_key(sub.data(), sub.size(), static_cast<std::uint64_t>(which), kKdfContext,
                             master.data());
  return sub;
}

Result<SecretBytes> CreateVault(const std::string& data_dir, const std::string& passphrase,
                                const VaultLimits& limits) {
  if (sodium_init() < 0) {
    return Status::Error(ErrorCode::kCryptoUnavailable, "libsodium could not be initialised");
  }
  if (passphrase.size() < kMinPassphraseBytes) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "the passphrase must have at least " +
                             std::to_string(kMinPassphraseBytes) +
                             " characters; a few words you can type in gloves are best");
  }
  if (HasVault(data_dir)) {
    return Status::Error(ErrorCode::kConflict, VaultPath(data_dir) +
                                                   " exists: this laptop has a passphrase "
                                                   "already (muster-agent unlock)");
  }
  Header header;
  header.salt.assign(crypto_pwhash_SALTBYTES, '\0');
  randombytes_buf(header.salt.data(), header.salt.size());
  header.limits = limits;
  auto master = Derive(passphrase, header);
  if (!master.ok()) return master.status();
  const SecretBytes check = DeriveSubkey(*master, Subkey::kCheck);
  const nlohmann::json json = {
      {"version", kVersion},
      {"kdf", "argon2id13"},
      {"salt", Hex(reinterpret_cast<const unsigned char*>(header.salt.data()), header.salt.size())},
      {"opslimit", limits.ops},
      {"memlimit", limits.mem},
      {"check", Hex(check.data(), check.size())},
  };
  if (Status written = WriteFileAtomic(VaultPath(data_dir), json.dump(2) + "\n", 0600);
      !written.ok()) {
    return written;
  }
  return master;
}

Status CheckMasterKey(const std::string& data_dir, const SecretBytes& master) {
  auto header = ReadHeader(data_dir);
  if (!header.ok()) return header.status();
  const SecretBytes check = DeriveSubkey(master, Subkey::kCheck);
  if (master.size() != kMasterKeyBytes ||
      sodium_memcmp(check.data(), header->check.data(), check.size()) != 0) {
    return Status::Error(ErrorCode::kBadKey, "wrong passphrase: the store stays locked");
  }
  return Status::Ok();
}

Result<SecretBytes> UnlockVault(const std::string& data_dir, const std::string& passphrase) {
  if (sodium_init() < 0) {
    return Status::Error(ErrorCode::kCryptoUnavailable, "libsodium could not be initialised");
  }
  auto header = ReadHeader(data_dir);
  if (!header.ok()) return header.status();
  auto master = Derive(passphrase, *header);
  if (!master.ok()) return master.status();
  if (Status checked = CheckMasterKey(data_dir, *master); !checked.ok()) return checked;
  return master;
}

}  // namespace muster::agent
