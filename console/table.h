// Plain-text tables for people: columns sized to their widest cell.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace muster::console {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace muster::console
