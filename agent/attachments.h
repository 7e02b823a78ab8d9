// The agent's copies of attached files. A file the member attaches is copied into
// DATA_DIR/attachments/<sha256> (durably, before anything refers to it), so that moving
// or deleting the original cannot lose it. The pieces sent to HQ are cut from that copy
// when they are sent, sized to the link (outbox.h), after the copy was checked
// against the sha256 taken at entry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "muster/result.h"
#include "muster/secret_bytes.h"

namespace muster::agent {

struct Attachment {
  std::string sha256;  // of the whole file
  std::string name;    // the file's name, without its directory
  std::uint64_t size = 0;
};

// Sealed copies: with the vault's attachment subkey (|key|, vault/vault.h) a copy is
// encrypted on disk in chunks of 64 KiB, each XChaCha20-Poly1305 with its own random
// nonce and the file's size and the chunk's number as associated data (a copy cut short,
// reordered or altered fails to open and is "damaged"); its name is a keyed hash of the
// sha256, so the directory does not say which known files were attached. Without a key
// (an agent set up before the vault) copies are plain, as before.

// Copies |source| into |data_dir|/attachments/ and hashes it. Refuses files larger than
// protocol::kMaxAttachmentBytes and anything that is not a regular file.
Result<Attachment> ImportAttachment(const std::string& data_dir, const std::string& source,
                                    const SecretBytes* key = nullptr);

// Whether the stored copy still is the file the member attached (its sha256): "damaged"
// naming the copy otherwise, so that a damaged copy is reported, never sent as if it
// were the member's file.
Status VerifyCopy(const std::string& data_dir, const std::string& sha256,
                  const SecretBytes* key = nullptr);

// |length| bytes of the stored copy from |offset|; "damaged" when the copy is shorter.
Result<std::string> ReadPiece(const std::string& data_dir, const std::string& sha256,
                              std::uint64_t offset, std::uint64_t length,
                              const SecretBytes* key = nullptr);

// Where the stored copy of an attachment lives.
std::string AttachmentPath(const std::string& data_dir, const std::string& sha256,
                           const SecretBytes* key = nullptr);

// Seals every plain copy in |data_dir|/attachments/ with |key| (the plain one is
// overwritten and removed); for a store sealed after the fact (vault/seal_store.h).
Status SealPlainCopies(const std::string& data_dir, const SecretBytes& key);

}  // namespace muster::agent
