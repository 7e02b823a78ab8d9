#include "muster/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace muster {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return Status::Error(ErrorCode::kIoError, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  std::string content;
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status status = ErrnoStatus("cannot read", path);
      ::close(fd);
      return status;
    }
    if (n == 0) break;
    if (content.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      return Status::Error(ErrorCode::kTooLarge,
                           path + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

Status WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode) {
  // A name of its own per write: two writers of one path (two programs creating the
  // same key on first start) must not truncate and rename each other's temporary file.
  static std::atomic<unsigned> counter{0};
  const std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." +
                           std::to_string(counter++);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus("cannot create", temp);
  ::fchmod(fd, mode);  // open() applies the umask; the mode asked for is the mode meant
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status status = ErrnoStatus("cannot write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      return status;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status status = ErrnoStatus("cannot sync", temp);
    ::close(fd);
    ::unlink(temp.c_str());
    return status;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Status status = ErrnoStatus("cannot rename to", path);
    ::unlink(temp.c_str());
    return status;
  }
  return Status::Ok();
}

Status EnsureDirectory(const std::string& path, unsigned mode) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) {
    return Status::Error(ErrorCode::kIoError, "cannot create " + path + ": " + error.message());
  }
  ::chmod(path.c_str(), mode);
  return Status::Ok();
}

Status CheckPrivateFile(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return ErrnoStatus("cannot stat", path);
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", info.st_mode & 07777);
    return Status::Error(
        ErrorCode::kInsecureFile,
        path + " has mode " + mode + " and is readable by others; run: chmod 600 " + path);
  }
  return Status::Ok();
}

std::string UserMusterDir(const char* variable, const char* home_fallback) {
  if (const char* set = std::getenv(variable); set != nullptr && *set == '/') {
    return std::string(set) + "/muster";
  }
  const char* home = std::getenv("HOME");
  return home == nullptr || *home == '\0' ? "" : std::string(home) + home_fallback + "/muster";
}

}  // namespace muster
