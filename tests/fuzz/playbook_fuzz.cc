// libFuzzer target for the playbook loader (scripts/fuzz builds and runs it).
//
// Whatever the bytes, LoadText must return without crashing, leaking or tripping the
// sanitizers. Beyond that it checks the loader's own promises:
//   - a playbook comes back exactly when no diagnostic is an error;
//   - the source of a loaded playbook loads again, without the disk, to the same hash;
//   - EvaluateTriggers runs on every loaded playbook.
// The bytes also go to the expression parser, which has its own limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "muster/playbook/expression.h"
#include "muster/playbook/load.h"
#include "muster/playbook/triggers.h"

namespace {

using muster::playbook::LoadOptions;
using muster::playbook::LoadResult;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckLoaded(const muster::playbook::Playbook& playbook, const LoadOptions& options) {
  const LoadResult again = muster::playbook::LoadText(playbook.source, "fuzz.yaml", options);
  Check(again.ok());
  Check(again.playbook->content_hash == playbook.content_hash);
  muster::playbook::FindingValues values;
  for (const auto& step : playbook.steps) {
    for (const auto& field : step.findings) values[step.id + "." + field.id] = 1.0;
  }
  muster::playbook::EvaluateTriggers(playbook, values, {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  LoadOptions options;
  options.read_libraries_from_disk = false;  // the fuzzer must not read files
  const LoadResult result = muster::playbook::LoadText(text, "fuzz.yaml", options);
  Check(result.ok() == (muster::playbook::ErrorCount(result.diagnostics) == 0));
  if (result.ok()) CheckLoaded(*result.playbook, options);
  muster::playbook::ParseExpression(text.substr(0, muster::playbook::kMaxExpressionBytes));
  return 0;
}
