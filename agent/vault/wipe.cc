#include "vault/wipe.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "vault/seal_store.h"

namespace muster::agent {
namespace {

namespace fs = std::filesystem;

std::string MarkerPath(const std::string& data_dir) { return data_dir + "/WIPED"; }

}  // namespace

Status WipeLaptop(const std::string& data_dir, const std::vector<std::string>& also,
                  const WipeOrder& order, Millis now) {
  Status first = Status::Ok();
  const auto keep_first = [&](const Status& status) {
    if (first.ok() && !status.ok()) first = status;
  };
  std::error_code error;
  std::vector<fs::path> files;
  std::vector<fs::path> directories;
  for (auto it = fs::recursive_directory_iterator(data_dir, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_directory(error) && !it->is_symlink(error)) {
      directories.push_back(it->path());
    } else {
      files.push_back(it->path());
    }
  }
  if (error) {
    keep_first(
        Status::Error(ErrorCode::kIoError, "cannot list " + data_dir + ": " + error.message()));
  }
  for (const fs::path& file : files) {
    if (fs::is_regular_file(fs::symlink_status(file, error))) {
      keep_first(ShredFile(file.string()));
    } else {
      fs::remove(file, error);  // the key socket, a link
    }
  }
  for (const std::string& path : also) keep_first(ShredFile(path));
  for (auto dir = directories.rbegin(); dir != directories.rend(); ++dir) fs::remove(*dir, error);
  std::ofstream marker(MarkerPath(data_dir), std::ios::trunc);
  marker << "wiped " << FormatTimestamp(now) << " by HQ's order " << order.order_id << " (issued "
         << FormatTimestamp(order.issued_at) << ")\n";
  if (!marker) {
    keep_first(Status::Error(ErrorCode::kIoError, "cannot write " + MarkerPath(data_dir)));
  }
  return first;
}

std::optional<std::string> WipedNotice(const std::string& data_dir) {
  std::ifstream marker(MarkerPath(data_dir));
  if (!marker) return std::nullopt;
  std::string line;
  std::getline(marker, line);
  return "this laptop's Muster data was destroyed: " + line +
         ". Nothing of it is left here; ask HQ for a new enrolment bundle";
}

}  // namespace muster::agent
