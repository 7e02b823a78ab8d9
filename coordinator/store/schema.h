// The coordinator store's schema, as an ordered list of migrations.
#pragma once

#include <vector>

#include "muster/sqlite_store.h"

namespace muster::hq {

const std::vector<Migration>& HqMigrations();

}  // namespace muster::hq
