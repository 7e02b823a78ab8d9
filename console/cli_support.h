// What every console verb shares: which coordinator to talk to, how answers are printed
// (a table for people, JSON with --json) and how errors become exit codes.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "api_client.h"
#include "muster/result.h"

namespace muster::console {

struct Context {
  std::string data_dir;
  bool data_from_env = false;  // data_dir came from MUSTER_DATA, not --data
  std::string api_url;
  std::string token_file;
  TlsTrust trust;  // --ca, --pin
  bool json = false;
};

// The way in, first that applies: --api with --token-file; --data (the break-glass
// token on HQ's machine); the saved login (console/saved_login.h), which --api, if
// given, must match; MUSTER_DATA. unauthorized when the saved login has expired.
Result<ApiClient> Connect(const Context& context);
// Ends the verb with |status|: "muster: MESSAGE" on stderr, or with --json the API's
// error object {"error": {"code", "message"}} on stdout; exit status 2 for a usage error
// (invalid_argument), 1 for anything else.
[[noreturn]] void Fail(const Context& context, const Status& status);
// The same for verbs that know only whether --json was given.
[[noreturn]] void Fail(bool json_output, const Status& status);
// Prints |result| as JSON or through |human|; an error ends the verb through Fail.
void Answer(const Context& context, const Result<json>& result,
            const std::function<void(const json&)>& human);
// Ends a verb that runs without a Context (the file verbs, callable from tests): the
// error as {"error": {"code", "message"}} on |out| with |json_output|, else "muster:
// MESSAGE" on |err|. Returns |code|, the exit status.
int Refuse(const Status& status, bool json_output, std::ostream& out, std::ostream& err,
           int code = 1);
// GET or POST through a fresh connection, for verbs that make one call.
Result<json> ApiGet(const Context& context, const std::string& path);
Result<json> ApiPost(const Context& context, const std::string& path, const json& body);

// Cell text: "-" for null, numbers without a spurious ".0".
std::string Text(const json& value);
std::string Join(const json& list);
// Percent-encodes everything but RFC 3986's unreserved characters (a query value).
std::string UrlEncode(const std::string& text);
// A time for people, or "never".
std::string When(const json& at);
// "EXERCISE EXERCISE EXERCISE\n" when |view| (an incident, a board, a SITREP, an
// after-action report) has "exercise": true; "" otherwise.
std::string ExerciseBanner(const json& view);
// A member's laptop clock against HQ's, from a board's or SITREP's `clock`: "3h 0m fast",
// "in step", or "unknown" before its agent first reported.
std::string ClockSkew(const json& clock);

}  // namespace muster::console
