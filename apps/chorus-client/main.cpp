// chorus-client: the reference IM-NG client (XEP-0409) on lib/client, for people and
// scripts: login, send, watch, sync, history, devices; --json for machine-readable output.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>

#include <unistd.h>
#include <cstdlib>
#include <iostream>

#include "client/client.h"
#include "output.h"
#include "profile.h"

namespace {

using namespace chorus;
using client::ClientError;
using client::ErrorKind;
namespace asio = boost::asio;

struct Options {
    std::string profile;
    bool json = false;
    // login
    std::string jid, password_file, host;
    int port = 0;
    bool direct_tls = false, tofu = false, no_imng = false;
    // send / history / watch
    std::string to, text, with;
    double timeout_s = 0;
};

std::string default_profile()
{
    if (const char* p = std::getenv("CHORUS_CLIENT_PROFILE")) {
        return p;
    }
    const char* home = std::getenv("HOME");
    return std::string(home ? home : ".") + "/.chorus-client/default";
}

int fail(const ClientError& e, const Options& o)
{
    (o.json ? std::cout : std::cerr) << client_app::format_error(e, o.json) << std::flush;
    return e.kind == ErrorKind::auth ? 3 : (e.kind == ErrorKind::bad_input ? 2 : 1);
}

Result<std::string, ClientError> read_password(const Options& o)
{
    std::string pw;
    if (!o.password_file.empty()) {
        FILE* f = std::fopen(o.password_file.c_str(), "r");
        if (f == nullptr) {
            return unexpected(ClientError{ErrorKind::bad_input, "cannot read " + o.password_file});
        }
        char buf[1024];
        const auto n = std::fread(buf, 1, sizeof buf, f);
        std::fclose(f);
        pw.assign(buf, n);
    } else if (const char* env = std::getenv("CHORUS_PASSWORD")) {
        pw = env;
    } else {
        if (isatty(0)) {
            std::cerr << "Password: " << std::flush;
        }
        std::getline(std::cin, pw);
    }
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) {
        pw.pop_back();
    }
    if (pw.empty()) {
        return unexpected(ClientError{ErrorKind::bad_input, "no password given"});
    }
    return pw;
}

/// Runs one command's coroutine to completion on a fresh io_context; SIGINT/SIGTERM set stop.
template <typename F>
int run(F body)
{
    asio::io_context io;
    bool stop = false;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](auto ec, int) {
        if (!ec) {
            stop = true;
        }
    });
    int rc = 1;
    asio::co_spawn(io, body(io, stop), [&](std::exception_ptr e, int r) {
        rc = e ? 1 : r;
        if (e) {
            std::cerr << "chorus-client: internal error\n";
        }
        signals.cancel();
    });
    io.run();
    return rc;
}

asio::awaitable<int> cmd_login(asio::io_context& io, const Options& o)
{
    auto jid = Jid::parse(o.jid);
    if (!jid || jid->node().empty()) {
        co_return fail({ErrorKind::bad_input, "not a valid account JID: '" + o.jid + "'"}, o);
    }
    if (jid->is_bare()) {
        *jid = jid->with_resource("chorus-" + std::to_string(::getpid()));
    }
    auto pw = read_password(o);
    if (!pw) {
        co_return fail(pw.error(), o);
    }
    auto profile = client_app::open_profile(o.profile, true);
    if (!profile) {
        co_return fail(profile.error(), o);
    }
    client::Account a;
    a.jid = *jid;
    a.password = *pw;
    a.host = o.host;
    a.port = static_cast<std::uint16_t>(o.port);
    a.direct_tls = o.direct_tls;
    a.trust_on_first_use = o.tofu;
    a.allow_imng = !o.no_imng;
    auto& store = *profile->store;
    store.erase(client::keys::sm_id);
    client::Client c(io, store, a);
    c.on_note = [&](const std::string& s) { std::cerr << "chorus-client: " << s << "\n"; };
    if (auto r = co_await c.connect({}); !r) {
        co_return fail(r.error(), o);
    }
    if (!c.negotiated().certificate_trusted) {
        a.pinned_sha256 = c.negotiated().fingerprint;  // trust on first use: pinned from now on
        std::cerr << "chorus-client: pinned the server certificate SHA-256 " << a.pinned_sha256
                  << "\n";
    }
    client_app::save_account(store, a);
    const bool imng = c.mode() == client::Mode::imng;
    co_await c.close();
    if (o.json) {
        std::cout << "{\"jid\":" << client_app::json_string(c.negotiated().jid.str())
                  << ",\"mode\":\"" << (imng ? "imng" : "fallback")
                  << "\",\"mechanism\":" << client_app::json_string(c.negotiated().mechanism)
                  << "}\n";
    } else {
        std::cout << "logged in as " << c.negotiated().jid.str() << " (" << c.negotiated().mechanism
                  << ", " << (imng ? "IM-NG" : "fallback: " + c.mode_reason()) << ")\n";
    }
    co_return 0;
}

/// Opens the profile and connects; the client lives in the caller's frame.
struct Session {
    client_app::Profile profile;
    std::unique_ptr<client::Client> client;
};

asio::awaitable<Result<Session, ClientError>> connect(asio::io_context& io, const Options& o,
                                                      client::ConnectOptions co)
{
    auto profile = client_app::open_profile(o.profile, false);
    if (!profile) {
        co_return unexpected(profile.error());
    }
    auto account = client_app::load_account(*profile->store);
    if (!account) {
        co_return unexpected(account.error());
    }
    Session s{std::move(*profile), nullptr};
    s.client = std::make_unique<client::Client>(io, *s.profile.store, *account);
    s.client->on_note = [](const std::string& n) { std::cerr << "chorus-client: " << n << "\n"; };
    if (auto r = co_await s.client->connect(co); !r) {
        co_return unexpected(r.error());
    }
    co_return s;
}

asio::awaitable<int> cmd_send(asio::io_context& io, const Options& o)
{
    const auto to = Jid::parse(o.to);
    if (!to || to->node().empty()) {
        co_return fail({ErrorKind::bad_input, "not a valid contact JID: '" + o.to + "'"}, o);
    }
    auto s = co_await connect(io, o, {});
    if (!s) {
        co_return fail(s.error(), o);
    }
    auto sent = co_await s->client->send_chat(*to, o.text);
    co_await s->client->close();
    if (!sent) {
        co_return fail(sent.error(), o);
    }
    std::cout << (o.json ? client_app::format_message(*sent, true)
                         : "sent [" + sent->stanza_id + "]")
              << "\n";
    co_return 0;
}

asio::awaitable<int> cmd_sync(asio::io_context& io, const Options& o)
{
    auto s = co_await connect(io, o, {});
    if (!s) {
        co_return fail(s.error(), o);
    }
    co_await s->client->close();
    const auto n = s->profile.store->message_count();
    std::cout << (o.json ? "{\"messages\":" + std::to_string(n) + "}"
                         : std::to_string(n) + " messages stored")
              << "\n";
    co_return 0;
}

asio::awaitable<int> cmd_history(asio::io_context&, const Options& o)
{
    auto profile = client_app::open_profile(o.profile, false);
    if (!profile) {
        co_return fail(profile.error(), o);
    }
    std::optional<std::string_view> peer;
    std::string bare;
    if (!o.with.empty()) {
        const auto jid = Jid::parse(o.with);
        if (!jid) {
            co_return fail({ErrorKind::bad_input, "not a valid JID: '" + o.with + "'"}, o);
        }
        bare = jid->bare_str();
        peer = bare;
    }
    std::cout << client_app::format_history(profile->store->history(peer), o.json) << std::flush;
    co_return 0;
}

asio::awaitable<int> cmd_watch(asio::io_context& io, const Options& o, const bool& stop)
{
    auto profile = client_app::open_profile(o.profile, false);
    if (!profile) {
        co_return fail(profile.error(), o);
    }
    auto account = client_app::load_account(*profile->store);
    if (!account) {
        co_return fail(account.error(), o);
    }
    client::Client c(io, *profile->store, *account);
    c.on_note = [](const std::string& n) { std::cerr << "chorus-client: " << n << "\n"; };
    c.on_message = [&](const client::ChatMessage& m) {
        std::cout << client_app::format_message(m, o.json) << std::endl;
    };
    c.on_device_data = [&](const xml::Element& m) {
        std::cerr << "chorus-client: device data from " << m.attr("from") << " (not IM)\n";
    };
    const auto until = o.timeout_s > 0
                           ? std::chrono::steady_clock::now() +
                                 std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000))
                           : std::chrono::steady_clock::time_point::max();
    auto r = co_await c.watch({.presence = true}, until, [&] { return stop; });
    co_await c.close();
    if (!r) {
        co_return fail(r.error(), o);
    }
    co_return 0;
}

asio::awaitable<int> cmd_devices(asio::io_context& io, const Options& o)
{
    auto s = co_await connect(io, o, {});
    if (!s) {
        co_return fail(s.error(), o);
    }
    const auto devices = co_await s->client->devices();
    co_await s->client->close();
    std::cout << client_app::format_devices(devices, o.json) << std::flush;
    co_return 0;
}

asio::awaitable<int> cmd_roster(asio::io_context& io, const Options& o)
{
    std::optional<Jid> contact;
    if (!o.to.empty()) {
        contact = Jid::parse(o.to);
        if (!contact || contact->node().empty()) {
            co_return fail({ErrorKind::bad_input, "not a valid contact JID: '" + o.to + "'"}, o);
        }
    }
    auto s = co_await connect(io, o, {});
    if (!s) {
        co_return fail(s.error(), o);
    }
    if (contact) {
        if (auto r = co_await s->client->add_contact(*contact); !r) {
            co_await s->client->close();
            co_return fail(r.error(), o);
        }
    }
    const auto items = co_await s->client->roster();
    co_await s->client->close();
    std::string out = o.json ? "[" : "";
    for (const auto& [jid, sub] : items) {
        if (o.json) {
            out += (out.size() > 1 ? "," : "") + std::string("{\"jid\":") +
                   client_app::json_string(jid) +
                   ",\"subscription\":" + client_app::json_string(sub) + "}";
        } else {
            out += jid + "  " + sub + "\n";
        }
    }
    std::cout << out << (o.json ? "]\n" : "") << std::flush;
    co_return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    spdlog::set_default_logger(spdlog::stderr_logger_st("chorus-client"));
    spdlog::set_level(spdlog::level::warn);
    Options o;
    o.profile = default_profile();
    CLI::App app{"chorus-client: a reference IM-NG (XEP-0409) client"};
    app.require_subcommand(1);
    app.fallthrough();  // --json and --profile also after the command
    app.add_option("-p,--profile", o.profile, "profile directory (one per device)");
    app.add_flag("--json", o.json, "machine-readable output");
    auto* login = app.add_subcommand("login", "log in and store the account in the profile");
    login->add_option("jid", o.jid, "user@domain[/resource]")->required();
    login->add_option("--password-file", o.password_file,
                      "read the password from this file (default: $CHORUS_PASSWORD or stdin)");
    login->add_option("--host", o.host, "connect to this host (default: the JID's domain)");
    login->add_option("--port", o.port, "port (default 5222, or 5223 with --direct-tls)");
    login->add_flag("--direct-tls", o.direct_tls, "TLS from the first byte (XEP-0368)");
    login->add_flag("--trust-on-first-use", o.tofu,
                    "accept an untrusted certificate now and pin its fingerprint");
    login->add_flag("--no-imng", o.no_imng, "never enable IM-NG (Carbons + MAM fallback)");
    auto* send = app.add_subcommand("send", "send a message to a contact (bare JID)");
    send->add_option("jid", o.to)->required();
    send->add_option("text", o.text)->required();
    auto* watch = app.add_subcommand("watch", "print the conversation as it arrives");
    watch->add_option("--timeout", o.timeout_s, "stop after this many seconds");
    auto* sync = app.add_subcommand("sync", "catch up from the archive and stop");
    auto* history = app.add_subcommand("history", "print the stored conversation");
    history->add_option("jid", o.with, "only the conversation with this contact");
    auto* devices = app.add_subcommand("devices", "the account's connected resources");
    auto* roster = app.add_subcommand("roster", "list the roster (and add a contact)");
    roster->add_option("--add", o.to, "add this contact and ask for their presence");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (login->parsed()) {
            return run([&](asio::io_context& io, bool&) { return cmd_login(io, o); });
        }
        if (send->parsed()) {
            return run([&](asio::io_context& io, bool&) { return cmd_send(io, o); });
        }
        if (watch->parsed()) {
            return run([&](asio::io_context& io, bool& stop) { return cmd_watch(io, o, stop); });
        }
        if (sync->parsed()) {
            return run([&](asio::io_context& io, bool&) { return cmd_sync(io, o); });
        }
        if (history->parsed()) {
            return run([&](asio::io_context& io, bool&) { return cmd_history(io, o); });
        }
        if (roster->parsed()) {
            return run([&](asio::io_context& io, bool&) { return cmd_roster(io, o); });
        }
        if (devices->parsed()) {
            return run([&](asio::io_context& io, bool&) { return cmd_devices(io, o); });
        }
    } catch (const std::exception& e) {
        std::cerr << "chorus-client: error: " << e.what() << "\n";
        return 1;
    }
    return 1;
}
