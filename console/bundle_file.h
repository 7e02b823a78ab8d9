// An enrolment bundle written all or nothing. The place for it is reserved first (a
// private temporary file beside the target, its space allocated) so that a missing
// directory, a full disk or an existing bundle stops `agent enroll` and `agent rotate`
// before HQ commits a key nobody would hold. Used by the console's thread only.
#pragma once

#include <string>

#include "muster/result.h"

namespace muster::console {

class BundleFile {
 public:
  // Refuses |path| when it exists (unless |force|) or when its directory cannot take a
  // new file; otherwise creates PATH.partial-XXXXXX (mode 0600) with room for a bundle.
  [[nodiscard]] static Result<BundleFile> Reserve(const std::string& path, bool force);

  BundleFile(BundleFile&& other) noexcept;
  BundleFile& operator=(BundleFile&&) = delete;
  BundleFile(const BundleFile&) = delete;
  BundleFile& operator=(const BundleFile&) = delete;
  // Removes the reservation unless Commit moved it into place or kept it for the operator.
  ~BundleFile();

  // Writes |content| into the reservation, syncs it and moves it to the path (replacing
  // an existing file only when forced). When the content is safe but cannot be moved,
  // the temporary file is kept and the error names it.
  [[nodiscard]] Status Commit(const std::string& content);

  const std::string& path() const { return path_; }

 private:
  BundleFile(std::string path, std::string temp, int fd, bool force)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd), force_(force) {}

  std::string path_;
  std::string temp_;
  int fd_ = -1;
  bool force_ = false;
  bool keep_temp_ = false;
};

}  // namespace muster::console
