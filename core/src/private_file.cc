#include "muster/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace muster {
namespace {

Status Failed(const std::string& what, const std::string& path, const std::string& fix) {
  return Status::Error(ErrorCode::kIoError,
                       what + " " + path + ": " + std::strerror(errno) + "; " + fix);
}

// Syncs the directory holding |path|, so that a rename or link in it survives a crash.
void SyncDirectoryOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Result<PrivateFile> PrivateFile::Reserve(const std::string& path, bool force,
                                         const std::string& option, std::size_t reserve) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) {
    if (!force) {
      return Status::Error(ErrorCode::kConflict, path + " already exists; choose another " +
                                                     option + " or pass --force to replace it");
    }
    if (!S_ISREG(info.st_mode)) {
      return Status::Error(ErrorCode::kInvalidArgument,
                           path + " is not a regular file; give " + option + " a file name");
    }
  }
  std::string pattern = path + ".partial-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    return Failed("cannot create a file beside", path,
                  "give " + option + " a path in an existing directory you can write to");
  }
  std::string temp(name.data());
  ::fchmod(fd, 0600);
  const int allocated = reserve == 0 ? 0 : ::posix_fallocate(fd, 0, static_cast<off_t>(reserve));
  if (allocated != 0 && allocated != EOPNOTSUPP && allocated != EINVAL) {
    errno = allocated;
    Status status = Failed("cannot reserve space for", path, "free some space and try again");
    ::close(fd);
    ::unlink(temp.c_str());
    return status;
  }
  return PrivateFile(path, std::move(temp), fd, force);
}

PrivateFile::PrivateFile(PrivateFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::move(other.temp_)),
      fd_(std::exchange(other.fd_, -1)),
      force_(other.force_),
      keep_temp_(other.keep_temp_) {
  other.temp_.clear();
}

PrivateFile::~PrivateFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_.empty() && !keep_temp_) ::unlink(temp_.c_str());
}

Status PrivateFile::Commit(const std::string& content) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::pwrite(fd_, content.data() + written, content.size() - written,
                               static_cast<off_t>(written));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Failed("cannot write", temp_, "check the disk and try again");
    written += static_cast<std::size_t>(n);
  }
  return Commit(content.size());
}

Status PrivateFile::Commit(std::size_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0 || ::fsync(fd_) != 0) {
    return Failed("cannot sync", temp_, "check the disk and try again");
  }
  ::close(std::exchange(fd_, -1));
  // link() never replaces: a file that appeared at the path meanwhile is kept.
  const int moved =
      force_ ? ::rename(temp_.c_str(), path_.c_str()) : ::link(temp_.c_str(), path_.c_str());
  if (moved != 0) {
    keep_temp_ = true;
    return Failed("cannot move the file to", path_,
                  "it is complete in " + temp_ + ": move it there yourself");
  }
  if (!force_) ::unlink(temp_.c_str());
  temp_.clear();
  SyncDirectoryOf(path_);
  return Status::Ok();
}

}  // namespace muster
