// Reading SQLite columns into JSON, shared by the store's query code.
#pragma once

#include <SQLiteCpp/Column.h>

#include <nlohmann/json.hpp>

namespace muster::hq {

// NULL as null, else the integer.
inline nlohmann::json NullableInt(const SQLite::Column& column) {
  return column.isNull() ? nlohmann::json() : nlohmann::json(column.getInt64());
}

// NULL as null, else the text.
inline nlohmann::json NullableText(const SQLite::Column& column) {
  return column.isNull() ? nlohmann::json() : nlohmann::json(column.getString());
}

// A column holding JSON text; null if it does not parse (never throws).
inline nlohmann::json ParseJsonColumn(const SQLite::Column& column) {
  nlohmann::json value = nlohmann::json::parse(column.getString(), nullptr, false);
  return value.is_discarded() ? nlohmann::json() : value;
}

}  // namespace muster::hq
