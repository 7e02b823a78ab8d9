#include "muster/statement_cache.h"

namespace muster {

StatementCache::Lease::Lease(SQLite::Statement* statement, bool* in_use,
                             std::unique_ptr<SQLite::Statement> owned)
    : statement_(statement), in_use_(in_use), owned_(std::move(owned)) {
  if (in_use_ != nullptr) *in_use_ = true;
}

StatementCache::Lease::Lease(Lease&& other) noexcept
    : statement_(other.statement_), in_use_(other.in_use_), owned_(std::move(other.owned_)) {
  other.statement_ = nullptr;
  other.in_use_ = nullptr;
}

StatementCache::Lease::~Lease() {
  if (statement_ == nullptr) return;
  try {
    statement_->reset();
    statement_->clearBindings();
  } catch (const std::exception&) {
    // reset() reports the last step's error again; the statement is reset regardless.
  }
  if (in_use_ != nullptr) *in_use_ = false;
}

StatementCache::Lease StatementCache::Get(const std::string& sql) {
  auto found = entries_.find(sql);
  if (found == entries_.end()) {
    auto statement = std::make_unique<SQLite::Statement>(db_, sql);
    found = entries_.emplace(sql, Entry{std::move(statement), false}).first;
  }
  Entry& entry = found->second;
  if (entry.in_use) {
    auto fresh = std::make_unique<SQLite::Statement>(db_, sql);
    SQLite::Statement* raw = fresh.get();
    return Lease(raw, nullptr, std::move(fresh));
  }
  return Lease(entry.statement.get(), &entry.in_use, nullptr);
}

}  // namespace muster
