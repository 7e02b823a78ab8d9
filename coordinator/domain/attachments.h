// Attachments at HQ: files arrive as attachment_chunk records, each a piece of the file
// at a byte offset, sized by the agent to its link, checked against its own sha256 and
// stored in the same transaction as its acknowledgement; once the pieces cover the file,
// the whole file is checked against the sha256 the agent took when the member attached
// it. A file is identified by (agent, sha256), so one agent can never add to another's.
// A damaged file raises an alert. Thread: the one of its HqDatabase.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/alerts.h"
#include "muster/result.h"
#include "muster/wire/records.h"
#include "store/hq_database.h"

namespace muster::hq {

class Attachments : OverDatabase {
 public:
  Attachments(HqDatabase& database, Alerts& alerts) : OverDatabase(database), alerts_(alerts) {}

  // Registers an attached file (idempotent) and returns its id; a second description
  // that disagrees with the first is refused. Inside the ingest transaction.
  Result<std::int64_t> Declare(const std::string& agent_id, const std::string& task_id,
                               const wire::AttachedFile& file);
  // Stores one piece of a file (checked against its own sha256; overlapping pieces are
  // fine) and verifies the file once its pieces cover it. Inside the ingest transaction.
  Status StorePiece(const std::string& agent_id, const wire::AttachmentPiece& piece);

  // An attached file's description and progress. not_found.
  Result<json> Describe(std::int64_t id);
  // Its bytes once verified. not_found, conflict (not complete or damaged).
  Result<std::string> Content(std::int64_t id);
  // The descriptions of an agent's files with these sha256s, for a finding's view.
  Result<json> Of(const std::string& agent_id, const std::vector<std::string>& sha256s);

 private:
  // Checks the whole file against its sha256 once its pieces cover it.
  Status Verify(std::int64_t id);
  // Reads the file's bytes from its pieces in order (the parts of a piece that an earlier
  // one already covered are skipped), handing each run to |sink|.
  void ReadPieces(std::int64_t id, const std::function<void(std::string_view)>& sink);
  Status RaiseAlert(std::int64_t id, const std::string& kind, const std::string& message);
  static json AttachmentJson(SQLite::Statement& row);

  Alerts& alerts_;
};

}  // namespace muster::hq
