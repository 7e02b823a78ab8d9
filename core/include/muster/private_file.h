// A private file (mode 0600) written all or nothing: an enrolment bundle, a backup of
// the store. The place for it is reserved first (a temporary file beside the target, its
// space allocated) so that a missing directory, a full disk or an existing file stops
// the command before anything else happens (`agent enroll` before HQ commits a key
// nobody would hold). Not thread-safe.
#pragma once

#include <string>

#include "muster/result.h"

namespace muster {

class PrivateFile {
 public:
  // Refuses |path| when it exists (unless |force|) or when its directory cannot take a
  // new file; otherwise creates PATH.partial-XXXXXX (mode 0600) with |reserve| bytes
  // allocated. |option| is the command-line option that named the path, for the errors.
  [[nodiscard]] static Result<PrivateFile> Reserve(const std::string& path, bool force,
                                                   const std::string& option, std::size_t reserve);

  PrivateFile(PrivateFile&& other) noexcept;
  PrivateFile& operator=(PrivateFile&&) = delete;
  PrivateFile(const PrivateFile&) = delete;
  PrivateFile& operator=(const PrivateFile&) = delete;
  // Removes the reservation unless Commit moved it into place or kept it for the operator.
  ~PrivateFile();

  // Writes |content| into the reservation, then Commit().
  [[nodiscard]] Status Commit(const std::string& content);
  // For content written into temp_path() by another writer (SQLite): cuts the file to
  // |size| bytes, syncs it and moves it to the path (replacing an existing file only when
  // forced). When the content is safe but cannot be moved, the temporary file is kept
  // and the error names it.
  [[nodiscard]] Status Commit(std::size_t size);

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  PrivateFile(std::string path, std::string temp, int fd, bool force)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd), force_(force) {}

  std::string path_;
  std::string temp_;
  int fd_ = -1;
  bool force_ = false;
  bool keep_temp_ = false;
};

}  // namespace muster
