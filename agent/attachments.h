// The agent's copies of attached files. A file the member attaches is copied into
// DATA_DIR/attachments/<sha256> (durably, before anything refers to it), so that moving
// or deleting the original cannot lose it; the chunks sent to HQ are read from that copy
// and checked against the hashes taken at entry.
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
  std::uint64_t chunk_bytes = 0;
  std::vector<std::string> chunk_sha256;  // one per chunk, in order
};

// Copies |source| into |data_dir|/attachments/ and hashes it, chunk by chunk. Refuses
// files larger than protocol::kMaxAttachmentBytes and anything that is not a regular file.
Result<Attachment> ImportAttachment(const std::string& data_dir, const std::string& source,
                                    std::uint64_t chunk_bytes);

// Chunk |index| of the stored copy, verified against |expected_sha256|: a copy damaged on
// this laptop's disk is reported, never sent as if it were the member's file.
Result<std::string> ReadChunk(const std::string& data_dir, const std::string& sha256,
                              std::uint64_t index, std::uint64_t chunk_bytes,
                              const std::string& expected_sha256);

// Where the stored copy of an attachment lives.
std::string AttachmentPath(const std::string& data_dir, const std::string& sha256);

}  // namespace muster::agent
