// chorusctl account commands; accounts hold SCRAM secrets only (RFC 5802, RFC 7677).
#include "commands.h"

#include <algorithm>
#include <iostream>
#include <optional>

#include "jid/jid.h"
#include "password.h"
#include "storage/credentials.h"

namespace chorus::ctl {
namespace {

std::string configured_domains(const Config& config)
{
    std::string out;
    for (const std::string& d : config.domains) {
        out += out.empty() ? "" : ", ";
        out += d;
    }
    return out;
}

bool is_configured(const Config& config, const std::string& domain)
{
    return std::find(config.domains.begin(), config.domains.end(), domain) != config.domains.end();
}

// The account a command argument names: a bare user@domain JID of a configured domain.
std::optional<Jid> account_jid(const Config& config, const std::string& text)
{
    auto jid = Jid::parse(text);
    if (!jid) {
        fail("'" + text + "' is not a valid JID");
        return std::nullopt;
    }
    if (jid->node().empty() || jid->is_full()) {
        fail("'" + text + "' is not an account JID; expected user@domain");
        return std::nullopt;
    }
    if (!is_configured(config, jid->domain())) {
        fail("domain " + jid->domain() +
             " is not served here (configured: " + configured_domains(config) + ")");
        return std::nullopt;
    }
    return jid;
}

// Reads a password and derives its secrets; nullopt after printing why not.
std::optional<storage::Credentials> new_credentials(const Config& config)
{
    auto password = read_new_password();
    if (!password) {
        fail(password.error());
        return std::nullopt;
    }
    auto credentials = storage::make_credentials(*password, config.scram_iterations);
    wipe(*password);
    if (!credentials) {
        fail("password refused: it contains characters SASLprep (RFC 4013) prohibits");
    }
    return credentials;
}

}  // namespace

int fail(const std::string& message)
{
    std::cerr << "chorusctl: " << message << '\n';
    return exit_failure;
}

int add_user(Context& ctx, const std::string& jid_text)
{
    auto jid = account_jid(ctx.config, jid_text);
    if (!jid) {
        return exit_failure;
    }
    // Checked before the password prompt, so nobody types a password for nothing.
    if (ctx.accounts.exists(jid->node(), jid->domain())) {
        return fail("account " + jid->str() + " already exists");
    }
    auto credentials = new_credentials(ctx.config);
    if (!credentials) {
        return exit_failure;
    }
    if (auto r = ctx.accounts.create(jid->node(), jid->domain(), *credentials); !r) {
        return fail(r.error().message);
    }
    std::cerr << "chorusctl: account " << jid->str() << " created\n";
    return exit_ok;
}

int change_password(Context& ctx, const std::string& jid_text)
{
    auto jid = account_jid(ctx.config, jid_text);
    if (!jid) {
        return exit_failure;
    }
    if (!ctx.accounts.exists(jid->node(), jid->domain())) {
        return fail("no account " + jid->str());
    }
    auto credentials = new_credentials(ctx.config);
    if (!credentials) {
        return exit_failure;
    }
    if (auto r = ctx.accounts.set_credentials(jid->node(), jid->domain(), *credentials); !r) {
        return fail(r.error().message);
    }
    std::cerr << "chorusctl: password of " << jid->str() << " changed\n";
    return exit_ok;
}

int delete_user(Context& ctx, const std::string& jid_text)
{
    auto jid = account_jid(ctx.config, jid_text);
    if (!jid) {
        return exit_failure;
    }
    if (auto r = ctx.accounts.remove(jid->node(), jid->domain()); !r) {
        return fail(r.error().message);
    }
    std::cerr << "chorusctl: account " << jid->str() << " deleted\n";
    return exit_ok;
}

int list_users(Context& ctx, const std::string& domain)
{
    std::vector<std::string> domains = ctx.config.domains;
    if (!domain.empty()) {
        auto jid = Jid::from_parts({}, domain);
        if (!jid) {
            return fail("'" + domain + "' is not a valid domain");
        }
        if (!is_configured(ctx.config, jid->domain())) {
            return fail("domain " + jid->domain() +
                        " is not served here (configured: " + configured_domains(ctx.config) + ")");
        }
        domains = {jid->domain()};
    }
    for (const std::string& d : domains) {
        for (const std::string& node : ctx.accounts.list(d)) {
            std::cout << node << '@' << d << '\n';
        }
    }
    return exit_ok;
}

}  // namespace chorus::ctl
