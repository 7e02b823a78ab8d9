#include "attachments.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <sodium.h>

#include "muster/digest.h"
#include "muster/files.h"
#include "muster/protocol.h"
#include "vault/seal_store.h"

namespace muster::agent {
namespace {

Status IoError(const std::string& what, const std::string& path) {
  const int error = errno;
  if (error == ENOSPC || error == EDQUOT) {
    return Status::Error(ErrorCode::kDiskFull, "the disk is full while " + what + " " + path +
                                                   ": free some space and attach the file again; "
                                                   "nothing recorded before is lost");
  }
  return Status::Error(ErrorCode::kIoError, what + " " + path + ": " + std::strerror(error));
}

// Reads up to |size| bytes at the file's current position; fewer only at its end.
Result<std::string> ReadUpTo(int fd, std::size_t size, const std::string& path) {
  std::string data(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, data.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("reading", path);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  return data;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("writing", path);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status SyncDirectory(const std::string& dir) {
  Fd handle{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (handle.fd < 0 || ::fsync(handle.fd) != 0) return IoError("syncing", dir);
  return Status::Ok();
}

constexpr std::size_t kBlockBytes = 64u << 10;

// --- sealed copies: a 16-byte header (magic, plain size) and 64 KiB chunks, each its
// nonce, ciphertext and tag ---
constexpr char kMagic[8] = {'M', 'U', 'S', 'T', 'E', 'R', 'A', '1'};
constexpr std::size_t kHeaderBytes = 16;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

std::string SealedHeader(std::uint64_t size) {
  std::string header(kMagic, sizeof kMagic);
  for (int i = 7; i >= 0; --i) header.push_back(static_cast<char>(size >> (8 * i)));
  return header;
}

std::string ChunkAd(const std::string& header, std::uint64_t index) {
  std::string ad = header;
  for (int i = 7; i >= 0; --i) ad.push_back(static_cast<char>(index >> (8 * i)));
  return ad;
}

std::string SealChunk(const SecretBytes& key, const std::string& header, std::uint64_t index,
                      std::string_view plain) {
  const std::string ad = ChunkAd(header, index);
  std::string out(kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(bytes, kNonceBytes);
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      bytes + kNonceBytes, nullptr, reinterpret_cast<const unsigned char*>(plain.data()),
      plain.size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, bytes,
      key.data());
  return out;
}

Status Damaged(const std::string& path, const std::string& what) {
  return Status::Error(ErrorCode::kDamaged, "the stored copy " + path + " " + what +
                                                "; it is damaged: attach the original file again");
}

// The plain size a sealed copy's header states.
Result<std::uint64_t> SealedSize(int fd, const std::string& path, std::string& header) {
  header.assign(kHeaderBytes, '\0');
  if (::pread(fd, header.data(), kHeaderBytes, 0) != static_cast<ssize_t>(kHeaderBytes) ||
      header.compare(0, sizeof kMagic, kMagic, sizeof kMagic) != 0) {
    return Damaged(path, "has no sealed header");
  }
  std::uint64_t size = 0;
  for (std::size_t i = sizeof kMagic; i < kHeaderBytes; ++i) {
    size = (size << 8) | static_cast<unsigned char>(header[i]);
  }
  return size;
}

// Chunk |index| of a sealed copy, opened.
Result<std::string> OpenChunk(int fd, const SecretBytes& key, const std::string& header,
                              std::uint64_t size, std::uint64_t index, const std::string& path) {
  const std::uint64_t plain = std::min<std::uint64_t>(kBlockBytes, size - index * kBlockBytes);
  std::string sealed(kNonceBytes + plain + kTagBytes, '\0');
  const auto at = static_cast<off_t>(kHeaderBytes + index * (kBlockBytes + kNonceBytes + kTagBytes));
  if (::pread(fd, sealed.data(), sealed.size(), at) != static_cast<ssize_t>(sealed.size())) {
    return Damaged(path, "is shorter than recorded");
  }
  const std::string ad = ChunkAd(header, index);
  std::string out(plain, '\0');
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), nullptr, nullptr, bytes + kNonceBytes,
          plain + kTagBytes, reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), bytes,
          key.data()) != 0) {
    return Damaged(path, "fails its check (altered, or sealed with another key)");
  }
  return out;
}

// Copies |in| (|size| bytes from its start) into the new file |temp|, sealed with |key|
// or plain, and syncs it; returns the sha256 of what was read.
Result<std::string> WriteCopy(int in, std::uint64_t size, const SecretBytes* key,
                              const std::string& source, const std::string& temp) {
  Fd out{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
  if (out.fd < 0) return IoError("creating", temp);
  const std::string header = SealedHeader(size);
  Status status = key != nullptr ? WriteAll(out.fd, header, temp) : Status::Ok();
  Sha256 whole;
  std::uint64_t total = 0;
  for (std::uint64_t index = 0; status.ok(); ++index) {
    auto chunk = ReadUpTo(in, kBlockBytes, source);
    if (!chunk.ok()) {
      status = chunk.status();
      break;
    }
    if (chunk->empty()) break;
    total += chunk->size();
    if (total > protocol::kMaxAttachmentBytes || total > size) {
      status = Status::Error(ErrorCode::kTooLarge,
                             source + " grew while it was read; attach it once it is complete");
      break;
    }
    whole.Update(*chunk);
    status = WriteAll(out.fd, key != nullptr ? SealChunk(*key, header, index, *chunk) : *chunk,
                      temp);
  }
  if (status.ok() && total != size) {
    status = Status::Error(ErrorCode::kIoError,
                           source + " changed while it was read; attach it once it is complete");
  }
  if (status.ok() && ::fsync(out.fd) != 0) status = IoError("syncing", temp);
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return whole.HexDigest();
}

}  // namespace

std::string AttachmentPath(const std::string& data_dir, const std::string& sha256,
                           const SecretBytes* key) {
  if (key == nullptr) return data_dir + "/attachments/" + sha256;
  unsigned char name[16];
  crypto_generichash(name, sizeof name, reinterpret_cast<const unsigned char*>(sha256.data()),
                     sha256.size(), key->data(), key->size());
  char hex[2 * sizeof name + 1];
  sodium_bin2hex(hex, sizeof hex, name, sizeof name);
  return data_dir + "/attachments/" + hex + ".sealed";
}

Result<Attachment> ImportAttachment(const std::string& data_dir, const std::string& source,
                                    const SecretBytes* key) {
  Fd in{::open(source.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) {
    return Status::Error(ErrorCode::kNotFound, "cannot open " + source + ": " +
                                                   std::strerror(errno) +
                                                   "; give the path of the file to attach");
  }
  struct stat info {};
  if (::fstat(in.fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    return Status::Error(ErrorCode::kInvalidArgument, source + " is not a regular file");
  }
  if (static_cast<std::uint64_t>(info.st_size) > protocol::kMaxAttachmentBytes) {
    return Status::Error(ErrorCode::kTooLarge,
                         source + " is " + std::to_string(info.st_size) +
                             " bytes; an attachment may be at most " +
                             std::to_string(protocol::kMaxAttachmentBytes >> 20) +
                             " MiB: reduce its resolution or split it");
  }
  const std::string dir = data_dir + "/attachments";
  MUSTER_RETURN_IF_ERROR(EnsureDirectory(dir));
  const std::string temp = dir + "/.import." + std::to_string(::getpid());
  auto sha = WriteCopy(in.fd, static_cast<std::uint64_t>(info.st_size), key, source, temp);
  if (!sha.ok()) return sha.status();
  Attachment attachment;
  attachment.name = std::filesystem::path(source).filename().string();
  attachment.size = static_cast<std::uint64_t>(info.st_size);
  attachment.sha256 = *sha;
  const std::string path = AttachmentPath(data_dir, attachment.sha256, key);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Status renamed = IoError("storing", path);
    ::unlink(temp.c_str());
    return renamed;
  }
  MUSTER_RETURN_IF_ERROR(SyncDirectory(dir));
  return attachment;
}

Status VerifyCopy(const std::string& data_dir, const std::string& sha256, const SecretBytes* key) {
  const std::string path = AttachmentPath(data_dir, sha256, key);
  Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) {
    return Status::Error(ErrorCode::kDamaged, "the stored copy " + path + " cannot be opened (" +
                                                  std::strerror(errno) +
                                                  "): attach the original again");
  }
  Sha256 whole;
  if (key != nullptr) {
    std::string header;
    auto size = SealedSize(in.fd, path, header);
    if (!size.ok()) return size.status();
    for (std::uint64_t index = 0; index * kBlockBytes < *size; ++index) {
      auto chunk = OpenChunk(in.fd, *key, header, *size, index, path);
      if (!chunk.ok()) return chunk.status();
      whole.Update(*chunk);
    }
  } else {
    while (true) {
      auto block = ReadUpTo(in.fd, kBlockBytes, path);
      if (!block.ok()) return block.status();
      if (block->empty()) break;
      whole.Update(*block);
    }
  }
  if (whole.HexDigest() != sha256) return Damaged(path, "no longer matches what was recorded");
  return Status::Ok();
}

Result<std::string> ReadPiece(const std::string& data_dir, const std::string& sha256,
                              std::uint64_t offset, std::uint64_t length, const SecretBytes* key) {
  const std::string path = AttachmentPath(data_dir, sha256, key);
  Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return IoError("opening the stored copy", path);
  if (key != nullptr) {
    std::string header;
    auto size = SealedSize(in.fd, path, header);
    if (!size.ok()) return size.status();
    if (offset + length > *size) return Damaged(path, "is shorter than recorded");
    std::string piece;
    for (std::uint64_t index = offset / kBlockBytes; index * kBlockBytes < offset + length;
         ++index) {
      auto chunk = OpenChunk(in.fd, *key, header, *size, index, path);
      if (!chunk.ok()) return chunk.status();
      const std::uint64_t from = std::max(offset, index * kBlockBytes) - index * kBlockBytes;
      const std::uint64_t to =
          std::min(offset + length, index * kBlockBytes + chunk->size()) - index * kBlockBytes;
      piece.append(*chunk, from, to - from);
    }
    return piece;
  }
  if (::lseek(in.fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    return IoError("seeking in", path);
  }
  auto piece = ReadUpTo(in.fd, length, path);
  if (!piece.ok()) return piece.status();
  if (piece->size() != length) return Damaged(path, "is shorter than recorded");
  return piece;
}

Status SealPlainCopies(const std::string& data_dir, const SecretBytes& key) {
  const std::string dir = data_dir + "/attachments";
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return Status::Ok();
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 64 || !entry.is_regular_file()) continue;  // a plain copy: its sha256
    const std::string plain = entry.path().string();
    Fd in{::open(plain.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) return IoError("opening the stored copy", plain);
    const std::string temp = dir + "/.seal." + std::to_string(::getpid());
    // Sealed under the sha256 it was recorded with, even if the copy no longer hashes to
    // it: VerifyCopy then reports it damaged, as it would have before.
    auto sha = WriteCopy(in.fd, static_cast<std::uint64_t>(entry.file_size()), &key, plain, temp);
    if (!sha.ok()) return sha.status();
    const std::string sealed = AttachmentPath(data_dir, name, &key);
    if (::rename(temp.c_str(), sealed.c_str()) != 0) return IoError("storing", sealed);
    MUSTER_RETURN_IF_ERROR(ShredFile(plain));
  }
  if (error) return Status::Error(ErrorCode::kIoError, "cannot list " + dir + ": " + error.message());
  return SyncDirectory(dir);
}

}  // namespace muster::agent

