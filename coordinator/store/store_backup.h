// Backing up and restoring HQ's store, DATA/muster.db (docs/operations.md#backups).
// A backup is a consistent single-file copy made while the coordinator runs, private to
// its owner (mode 0600); a restore checks the copy and puts it in place with the
// coordinator stopped, keeping the store it replaces.
#pragma once

#include <cstdint>
#include <string>

#include "muster/clock.h"
#include "muster/result.h"

namespace muster::hq {

// What a store file holds, as far as backups care.
struct StoreCopy {
  std::string path;
  std::string hq_id;
  int schema_version = 0;
  std::uint64_t bytes = 0;
};

// Copies DATA/muster.db to |to| with SQLite's online backup. Refuses an existing |to|
// unless |force|; a failed backup leaves nothing at |to|.
Result<StoreCopy> BackupStore(const std::string& data_dir, const std::string& to, bool force);

struct Restored {
  StoreCopy store;       // DATA/muster.db as restored
  std::string replaced;  // where the store it replaced was kept; empty when there was none
};

// Puts the backup |from| in place of DATA/muster.db. Takes the data directory's lock, so
// it refuses while a coordinator runs there (naming its pid). |from| must be a sound HQ
// store of a schema this build knows, and of the same HQ (hq_id) as the store it
// replaces unless |force|. The replaced store is kept as
// muster.db.replaced-YYYYMMDDTHHMMSSZ (|now|), whole: its last transactions are
// checkpointed into it first.
Result<Restored> RestoreStore(const std::string& data_dir, const std::string& from, bool force,
                              Millis now);

}  // namespace muster::hq
