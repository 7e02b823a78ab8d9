// Signed incident archives at the console (docs/programme.md#sharing-with-partners; the
// folder's rules: muster/archive.h):
//   muster export archive INCIDENT --out DIR [--releasable M]
//       HQ builds and signs the archive; the console fetches each attachment, checks it
//       against the manifest, checks the whole folder, and only then moves it into DIR
//   muster archive verify DIR --key KEY
//       a partner's offline check: no HQ, no network
//   muster archive key [--out FILE]
//       HQ's archive public key, to give partners by a channel they trust
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <ostream>
#include <string>

#include "api_client.h"
#include "cli_support.h"
#include "muster/archive.h"
#include "muster/result.h"

namespace muster::console {

struct ArchiveWritten {
  std::string folder;
  archive::Manifest manifest;
  std::string key_id;
  std::int64_t bytes = 0;  // of every file, the manifest and signature included
};

// Fetches the archive of |incident| (for |releasable|, empty: everything) from |api| into
// the new folder |out|. The folder appears whole and checked, or not at all: it is written
// beside |out| first, and nothing is left behind on failure. invalid_argument when |out|
// exists; damaged when an attachment or part does not match the manifest, or the answer
// names a file outside the archive's rules.
Result<ArchiveWritten> FetchArchive(ApiClient& api, const std::string& incident,
                                    const std::string& releasable, const std::string& out);

// The public key to check against from --key: base64 text, or a file holding it (what
// `muster archive key --out` writes, or the bare key). invalid_argument otherwise.
Result<std::string> TrustedKey(const std::string& given);

// archive verify without CLI11, for tests: 0 valid, 1 not valid, 2 a usage error. With
// |json| one JSON object on |out|.
int VerifyArchiveCommand(const std::string& dir, const std::string& key, bool json,
                         std::ostream& out, std::ostream& err);

// Adds `archive` to |exports| and the `archive` subcommand (verify, key) to |app|.
void RegisterArchiveCommands(CLI::App& app, CLI::App& exports, Context& context);

}  // namespace muster::console
