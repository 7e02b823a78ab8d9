#include "operator_commands.h"

#include <cstdlib>
#include <iostream>
#include <memory>

#include "muster/clock.h"
#include "muster/password_prompt.h"
#include "saved_login.h"
#include "table.h"

namespace muster::console {
namespace {

struct Options {
  std::string name;
  std::string role;
  std::string display_name;
  bool password_stdin = false;
};

std::string DefaultOperatorName() {
  const char* user = std::getenv("USER");
  return user != nullptr ? user : "";
}

// The API a login goes to, without credentials: --api (with --ca or --pin), else the
// coordinator of --data on this machine (its certificate pinned), else the one of the
// saved login with the trust it was made with.
Result<ApiClient> LoginTarget(const Context& context) {
  if (!context.api_url.empty()) return ApiClient(context.api_url, "", context.trust);
  if (!context.data_dir.empty()) {
    Result<ApiClient> local = ApiClient::FromDataDir(context.data_dir, context.trust);
    if (!local.ok()) return local.status();
    return ApiClient(local->base_url(), "", local->trust());
  }
  Result<std::optional<SavedLogin>> saved = LoadLogin();
  if (saved.ok() && *saved) {
    return ApiClient((*saved)->api_url, "",
                     context.trust.empty() ? (*saved)->trust : context.trust);
  }
  return Status::Error(ErrorCode::kInvalidArgument,
                       "say where to log in: muster login --api https://HQ:7471");
}

void Login(const Context& context, const Options& options) {
  Result<ApiClient> target = LoginTarget(context);
  if (!target.ok()) Fail(context, target.status());
  const std::string url = target->base_url();
  const std::string name = options.name.empty() ? DefaultOperatorName() : options.name;
  if (name.empty()) {
    Fail(context, Status::Error(ErrorCode::kInvalidArgument, "say who you are: --operator NAME"));
  }
  Result<std::string> password =
      ReadPassword({"password for " + name + " at " + url + ": ", options.password_stdin, false});
  if (!password.ok()) Fail(context, password.status());
  Result<json> session = target->Post(
      "/v1/login", {{"operator", name}, {"password", *password}, {"client", "cli"}});
  if (!session.ok()) Fail(context, session.status());
  Status saved = SaveLogin({url, name, (*session)["role"].get<std::string>(),
                            (*session)["token"].get<std::string>(),
                            (*session)["expires_at"].get<Millis>(), target->trust()});
  if (!saved.ok()) Fail(context, saved);
  session->erase("token");
  session->erase("client");
  session->erase("break_glass");
  (*session)["api_url"] = url;
  Answer(context, *session, [](const json& login) {
    std::cout << "logged in to " << Text(login["api_url"]) << " as " << Text(login["operator"])
              << " (" << Text(login["role"]) << ") until " << When(login["expires_at"]) << "\n";
  });
}

void Logout(const Context& context) {
  Result<std::optional<SavedLogin>> saved = LoadLogin();
  if (!saved.ok()) Fail(context, saved.status());
  if (!*saved) Fail(context, Status::Error(ErrorCode::kNotFound, "you are not logged in"));
  // The session ends at HQ when HQ can be reached; the token is forgotten here either way.
  Result<json> ended =
      ApiClient((*saved)->api_url, (*saved)->token,
                context.trust.empty() ? (*saved)->trust : context.trust)
          .Post("/v1/logout", json::object());
  Status forgotten = ForgetLogin();
  if (!forgotten.ok()) Fail(context, forgotten);
  json answer = {{"operator", (*saved)->operator_name},
                 {"api_url", (*saved)->api_url},
                 {"session_ended_at_hq", ended.ok()}};
  Answer(context, answer, [&](const json&) {
    std::cout << "logged out " << Text(answer["operator"]) << " from " << Text(answer["api_url"])
              << "\n";
    if (!ended.ok()) {
      std::cout << "HQ did not confirm (" << ended.status().message()
                << "); the token is forgotten here and expires at HQ\n";
    }
  });
}

// A new password for |name|, asked twice (or read once with --password-stdin); ends the
// verb when there is none.
std::string NewPassword(const Context& context, const Options& options, const std::string& asked) {
  Result<std::string> password =
      ReadPassword({asked + " for " + options.name + ": ", options.password_stdin, true});
  if (!password.ok()) Fail(context, password.status());
  return *password;
}

void PrintOperators(const json& operators) {
  Table table({"OPERATOR", "NAME", "ROLE", "STATUS", "SESSIONS", "PASSWORD SET"});
  for (const auto& account : operators) {
    table.Add({Text(account["name"]), Text(account["display_name"]), Text(account["role"]),
               account["disabled"].get<bool>() ? "disabled" : "enabled", Text(account["sessions"]),
               When(account["password_changed_at"])});
  }
  table.Print(std::cout);
}

void PrintOperator(const json& account) { PrintOperators(json::array({account})); }

void AddAdministration(CLI::App& app, const Context& context,
                       const std::shared_ptr<Options>& options) {
  CLI::App* group = app.add_subcommand("operator", "operator accounts (administrators)");
  group->require_subcommand(1);

  CLI::App* add = group->add_subcommand("add", "add an operator account");
  add->add_option("name", options->name, "login name: lowercase letters, digits, . - _")
      ->required();
  add->add_option("--role", options->role, "viewer, officer, author or administrator")
      ->required()
      ->check(CLI::IsMember({"viewer", "officer", "author", "administrator"}));
  add->add_option("--display-name", options->display_name, "the name others see");
  add->add_flag("--password-stdin", options->password_stdin,
                "read the new password from the first line of standard input");
  add->callback([&context, options] {
    const std::string password = NewPassword(context, *options, "password");
    Answer(context,
           ApiPost(context, "/v1/operators",
                   {{"name", options->name},
                    {"display_name", options->display_name},
                    {"role", options->role},
                    {"password", password}}),
           PrintOperator);
  });

  group->add_subcommand("list", "list operator accounts")->callback([&context] {
    Answer(context, ApiGet(context, "/v1/operators"), PrintOperators);
  });

  struct Action {
    const char* verb;
    const char* help;
  };
  for (const Action& action :
       {Action{"disable", "disable an account and end its sessions"},
        Action{"enable", "enable a disabled account"},
        Action{"end-sessions", "end an operator's sessions (logs them out everywhere)"}}) {
    CLI::App* verb = group->add_subcommand(action.verb, action.help);
    verb->add_option("name", options->name, "the operator")->required();
    const std::string path = action.verb;
    verb->callback([&context, options, path] {
      Answer(context,
             ApiPost(context, "/v1/operators/" + options->name + "/" + path, json::object()),
             PrintOperator);
    });
  }

  CLI::App* reset =
      group->add_subcommand("reset", "give an operator a new password (ends their sessions)");
  reset->add_option("name", options->name, "the operator")->required();
  reset->add_flag("--password-stdin", options->password_stdin,
                  "read the new password from the first line of standard input");
  reset->callback([&context, options] {
    const std::string password = NewPassword(context, *options, "new password");
    Answer(context,
           ApiPost(context, "/v1/operators/" + options->name + "/reset", {{"password", password}}),
           PrintOperator);
  });
}

}  // namespace

void RegisterOperatorCommands(CLI::App& app, const Context& context) {
  auto options = std::make_shared<Options>();
  CLI::App* login = app.add_subcommand(
      "login", "log in as an operator; the session is kept in ~/.config/muster/console.json");
  login->add_option("--operator", options->name, "your operator name (default: $USER)");
  login->add_flag("--password-stdin", options->password_stdin,
                  "read the password from the first line of standard input");
  login->callback([&context, options] { Login(context, *options); });

  app.add_subcommand("logout", "end your session and forget its token")->callback([&context] {
    Logout(context);
  });
  app.add_subcommand("whoami", "who you are logged in as, with which role")->callback([&context] {
    Answer(context, ApiGet(context, "/v1/session"), [](const json& session) {
      std::cout << Text(session["operator"]) << " (" << Text(session["role"]) << ")";
      if (session["break_glass"].get<bool>()) std::cout << ", with the break-glass token";
      if (session["expires_at"].is_number()) std::cout << ", until " << When(session["expires_at"]);
      std::cout << "\n";
    });
  });
  AddAdministration(app, context, options);
}

}  // namespace muster::console
