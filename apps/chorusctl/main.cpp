// chorusctl: the Chorus admin CLI for local accounts (adduser, passwd, deluser, listusers).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <string>

#include "base/config.h"
#include "commands.h"
#include "stats.h"
#include "storage/storage.h"

namespace {

using namespace chorus;

// The config file (or the defaults), with --data-dir applied and validated.
std::optional<Config> effective_config(const std::string& path, const std::string& data_dir)
{
    Config config;
    if (!path.empty()) {
        auto loaded = load_config(path);
        if (!loaded) {
            ctl::fail(loaded.error());
            return std::nullopt;
        }
        config = std::move(*loaded);
    }
    if (!data_dir.empty()) {
        config.data_dir = data_dir;
    }
    if (auto valid = validate_config(config); !valid) {
        ctl::fail((path.empty() ? std::string("built-in config") : path) + ": " + valid.error());
        return std::nullopt;
    }
    return config;
}

}  // namespace

int main(int argc, char** argv)
{
    // Library logs go to stderr, so stdout carries only command output (listusers).
    spdlog::set_default_logger(spdlog::stderr_color_st("chorusctl"));
    spdlog::set_level(spdlog::level::warn);

    CLI::App app{"Manage the local accounts of a Chorus XMPP server.", "chorusctl"};
    std::string config_path;
    std::string data_dir;
    app.add_option("--config", config_path, "TOML configuration file (default: built-in)");
    app.add_option("--data-dir", data_dir, "data directory (overrides the config's data_dir)");
    app.require_subcommand(1);

    std::string jid;
    std::string domain;
    auto* adduser = app.add_subcommand("adduser", "create an account; asks for its password");
    adduser->add_option("jid", jid, "account as user@domain")->required();
    auto* passwd = app.add_subcommand("passwd", "change an account's password");
    passwd->add_option("jid", jid, "account as user@domain")->required();
    auto* deluser = app.add_subcommand("deluser", "delete an account and its data");
    deluser->add_option("jid", jid, "account as user@domain")->required();
    auto* listusers = app.add_subcommand("listusers", "list accounts, one JID a line");
    listusers->add_option("domain", domain, "only this domain (default: all configured)");
    std::string metrics_url;
    auto* stats = app.add_subcommand("stats", "print the running server's counters (/metrics)");
    stats->add_option("--url", metrics_url, "default: http://<http.bind>:<http.port>/metrics");
    std::string s2s_url;
    bool s2s_json = false;
    auto* s2s = app.add_subcommand("s2s", "list the running server's federation links");
    s2s->add_option("--url", s2s_url, "default: http://<http.bind>:<http.port>/admin/s2s");
    s2s->add_flag("--json", s2s_json, "print the JSON as served");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? ctl::exit_ok : ctl::exit_usage;
    }

    auto config = effective_config(config_path, data_dir);
    if (!config) {
        return ctl::exit_failure;
    }
    if (stats->parsed()) {  // asks the running server; opens no storage
        return ctl::stats(*config, metrics_url);
    }
    if (s2s->parsed()) {
        return ctl::s2s(*config, s2s_url, s2s_json);
    }
    auto opened = storage::open_storage(*config);
    if (!opened) {
        return ctl::fail(opened.error());
    }
    ctl::Context ctx{*config, (*opened)->accounts()};
    if (adduser->parsed()) {
        return ctl::add_user(ctx, jid);
    }
    if (passwd->parsed()) {
        return ctl::change_password(ctx, jid);
    }
    if (deluser->parsed()) {
        return ctl::delete_user(ctx, jid);
    }
    return ctl::list_users(ctx, domain);
}
