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

namespace muster::agent {

struct Attachment {
  std::string sha256;  // of the whole file
  std::string name;    // the file's name, without its directory
  std::uint64_t size = 0;
};

// Copies |source| into |data_dir|/attachments/ and hashes it. Refuses files larger than
// protocol::kMaxAttachmentBytes and anything that is not a regular file.
Result<Attachment> ImportAttachment(const std::string& data_dir, const std::string& source);

// Whether the stored copy still is the file the member attached (its sha256): "damaged"
// naming the copy otherwise, so that a damaged copy is reported, never sent as if it
// were the member's file.
Status VerifyCopy(const std::string& data_dir, const std::string& sha256);

// |length| bytes of the stored copy from |offset|; "damaged" when the copy is shorter.
Result<std::string> ReadPiece(const std::string& data_dir, const std::string& sha256,
                              std::uint64_t offset, std::uint64_t length);

// Where the stored copy of an attachment lives.
std::string AttachmentPath(const std::string& data_dir, const std::string& sha256);

}  // namespace muster::agent
