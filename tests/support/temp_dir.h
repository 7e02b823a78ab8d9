// A fresh directory per test, removed with everything in it when the test ends.
#pragma once

#include <string>

namespace muster::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The permission bits of |path| (e.g. 0600), or -1 when it cannot be stat'ed.
int FileMode(const std::string& path);

}  // namespace muster::testing
