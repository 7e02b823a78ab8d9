#include "muster/playbook/validity.h"

#include <chrono>
#include <regex>

namespace muster::playbook {

std::optional<std::int64_t> ParseValidityTime(const std::string& text, bool end_of_day) {
  static const std::regex kShape(R"(^(\d{4})-(\d{2})-(\d{2})(T(\d{2}):(\d{2})(:(\d{2}))?Z)?$)");
  std::smatch parts;
  if (!std::regex_match(text, parts, kShape)) return std::nullopt;
  using namespace std::chrono;
  const year_month_day day{year(std::stoi(parts[1])), month(std::stoul(parts[2])),
                           std::chrono::day(std::stoul(parts[3]))};
  if (!day.ok()) return std::nullopt;
  const std::int64_t midnight =
      duration_cast<milliseconds>(sys_days(day).time_since_epoch()).count();
  if (!parts[4].matched) return end_of_day ? midnight + 86'400'000 - 1 : midnight;
  const int hour = std::stoi(parts[5]), minute = std::stoi(parts[6]);
  const int second = parts[8].matched ? std::stoi(parts[8]) : 0;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return midnight + ((hour * 60 + minute) * 60 + second) * std::int64_t{1000};
}

Status CheckValidity(const Playbook& book, std::int64_t now_ms) {
  const std::string name = "playbook " + book.id + " version " + book.version;
  if (!book.valid_from.empty()) {
    const auto from = ParseValidityTime(book.valid_from, false);
    if (from && now_ms < *from) {
      return Status::Error(ErrorCode::kInvalidPlaybook,
                           name + " is valid only from " + book.valid_from +
                               " (HQ's clock says it is earlier); deploy a version valid now");
    }
  }
  if (!book.valid_until.empty()) {
    const auto until = ParseValidityTime(book.valid_until, true);
    if (until && now_ms > *until) {
      return Status::Error(ErrorCode::kInvalidPlaybook,
                           name + " expired at the end of its validity (" + book.valid_until +
                               "); deploy a newer version, or publish one with a later "
                               "valid_until");
    }
  }
  return Status::Ok();
}

}  // namespace muster::playbook
