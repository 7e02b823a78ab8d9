#include "muster/record_auth.h"

#include <sodium.h>
#include <zmq.h>

namespace muster {
namespace {

// What the tag covers: one line per field, the body last.
std::string Covered(const std::string& agent_id, const wire::Entry& record) {
  return "muster-record-v1\n" + agent_id + "\n" + std::to_string(record.seq) + "\n" + record.kind +
         "\n" + std::to_string(record.at) + "\n" + record.body.dump();
}

}  // namespace

Result<RecordAuthKey> RecordAuthKey::Derive(const std::string& own_secret_key,
                                            const std::string& peer_public_key) {
  std::array<unsigned char, 32> secret{}, peer{};
  if (own_secret_key.size() != 40 || peer_public_key.size() != 40 ||
      zmq_z85_decode(secret.data(), own_secret_key.c_str()) == nullptr ||
      zmq_z85_decode(peer.data(), peer_public_key.c_str()) == nullptr) {
    return Status::Error(ErrorCode::kInternal,
                         "a key for record authentication is not a CURVE key");
  }
  RecordAuthKey key;
  const int failed = crypto_box_beforenm(key.key_.data(), peer.data(), secret.data());
  sodium_memzero(secret.data(), secret.size());
  if (failed != 0) {
    return Status::Error(ErrorCode::kInternal, "the record authentication key could not be made");
  }
  return key;
}

RecordAuthKey::~RecordAuthKey() { sodium_memzero(key_.data(), key_.size()); }

std::string RecordAuthKey::Tag(const std::string& agent_id, const wire::Entry& record) const {
  const std::string covered = Covered(agent_id, record);
  std::array<unsigned char, crypto_auth_BYTES> mac{};
  crypto_auth(mac.data(), reinterpret_cast<const unsigned char*>(covered.data()), covered.size(),
              key_.data());
  std::string encoded(sodium_base64_encoded_len(mac.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), mac.data(), mac.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  encoded.pop_back();  // the terminating NUL
  return encoded;
}

bool RecordAuthKey::Verify(const std::string& agent_id, const wire::Entry& record,
                           const std::string& tag) const {
  std::array<unsigned char, crypto_auth_BYTES> mac{};
  std::size_t length = 0;
  if (tag.size() > 64 ||
      sodium_base642bin(mac.data(), mac.size(), tag.data(), tag.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      length != mac.size()) {
    return false;
  }
  const std::string covered = Covered(agent_id, record);
  return crypto_auth_verify(mac.data(), reinterpret_cast<const unsigned char*>(covered.data()),
                            covered.size(), key_.data()) == 0;
}

}  // namespace muster
