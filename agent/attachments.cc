#include "attachments.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "muster/digest.h"
#include "muster/files.h"
#include "muster/protocol.h"

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

}  // namespace

std::string AttachmentPath(const std::string& data_dir, const std::string& sha256) {
  return data_dir + "/attachments/" + sha256;
}

Result<Attachment> ImportAttachment(const std::string& data_dir, const std::string& source) {
  constexpr std::size_t kBlockBytes = 64u << 10;
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
  Fd out{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
  if (out.fd < 0) return IoError("creating", temp);

  Attachment attachment;
  attachment.name = std::filesystem::path(source).filename().string();
  Sha256 whole;
  Status status = Status::Ok();
  while (status.ok()) {
    auto chunk = ReadUpTo(in.fd, kBlockBytes, source);
    if (!chunk.ok()) {
      status = chunk.status();
      break;
    }
    if (chunk->empty()) break;
    attachment.size += chunk->size();
    if (attachment.size > protocol::kMaxAttachmentBytes) {
      status =
          Status::Error(ErrorCode::kTooLarge, source +
                                                  " grew past the attachment limit while "
                                                  "it was read; attach it once it is complete");
      break;
    }
    whole.Update(*chunk);
    status = WriteAll(out.fd, *chunk, temp);
  }
  if (status.ok() && ::fsync(out.fd) != 0) status = IoError("syncing", temp);
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  attachment.sha256 = whole.HexDigest();
  const std::string path = AttachmentPath(data_dir, attachment.sha256);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Status renamed = IoError("storing", path);
    ::unlink(temp.c_str());
    return renamed;
  }
  MUSTER_RETURN_IF_ERROR(SyncDirectory(dir));
  return attachment;
}

Status VerifyCopy(const std::string& data_dir, const std::string& sha256) {
  const std::string path = AttachmentPath(data_dir, sha256);
  Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) {
    return Status::Error(ErrorCode::kDamaged, "the stored copy " + path + " cannot be opened (" +
                                                  std::strerror(errno) +
                                                  "): attach the original again");
  }
  Sha256 whole;
  while (true) {
    auto block = ReadUpTo(in.fd, 64u << 10, path);
    if (!block.ok()) return block.status();
    if (block->empty()) break;
    whole.Update(*block);
  }
  if (whole.HexDigest() != sha256) {
    return Status::Error(ErrorCode::kDamaged,
                         "the stored copy " + path +
                             " no longer matches what was recorded; it is damaged: "
                             "attach the original file again");
  }
  return Status::Ok();
}

Result<std::string> ReadPiece(const std::string& data_dir, const std::string& sha256,
                              std::uint64_t offset, std::uint64_t length) {
  const std::string path = AttachmentPath(data_dir, sha256);
  Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return IoError("opening the stored copy", path);
  if (::lseek(in.fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    return IoError("seeking in", path);
  }
  auto piece = ReadUpTo(in.fd, length, path);
  if (!piece.ok()) return piece.status();
  if (piece->size() != length) {
    return Status::Error(ErrorCode::kDamaged, "the stored copy " + path +
                                                  " is shorter than recorded; "
                                                  "it is damaged: attach the original file again");
  }
  return piece;
}

}  // namespace muster::agent
