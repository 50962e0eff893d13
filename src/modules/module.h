// Module framework: ModuleSpec (data describing a module), IQ requests/results, hooks.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jid/jid.h"
#include "router/session.h"
#include "stanza/stanza_error.h"
#include "xml/element.h"

namespace chorus {
class Server;
}

namespace chorus::modules {

enum class IqType { get, set };
/// Who an IQ is addressed to: the server domain, or a local account's bare JID (an IQ
/// without 'to' from a client is addressed to the sender's own account, RFC 6120 §10.3.3).
enum class Addressee { server, account };

/// One IQ get/set being answered. The handler returns its answer, never sends it.
class IqRequest {
public:
    IqRequest(Server& server, const xml::Element& iq, const xml::Element& payload, Jid from,
              Jid to, router::Session* session)
        : server_(server), iq_(iq), payload_(payload), from_(std::move(from)), to_(std::move(to)),
          session_(session)
    {
    }
    Server& server() noexcept { return server_; }
    const xml::Element& iq() const noexcept { return iq_; }
    const xml::Element& payload() const noexcept { return payload_; }
    const Jid& from() const noexcept { return from_; }
    /// The addressee: the domain, or an account's bare JID.
    const Jid& to() const noexcept { return to_; }
    bool has_session() const noexcept { return session_ != nullptr; }
    /// The local session that sent the IQ; only when has_session().
    router::Session& session() noexcept { return *session_; }
    /// True when the sender is the addressed account itself.
    bool from_own_account() const noexcept { return from_.bare_view() == to_.bare_view(); }

private:
    Server& server_;
    const xml::Element& iq_;
    const xml::Element& payload_;
    Jid from_, to_;
    router::Session* session_;
};

/// A handler's answer: an empty result, a result with a payload, or a stanza error.
class IqResult {
public:
    IqResult(StanzaError e) : error_(std::move(e)) {}
    static IqResult empty() { return IqResult(); }
    static IqResult with(xml::Element payload)
    {
        IqResult r;
        r.payload_ = std::move(payload);
        return r;
    }
    const std::optional<xml::Element>& payload() const noexcept { return payload_; }
    const std::optional<StanzaError>& error() const noexcept { return error_; }

private:
    IqResult() = default;
    std::optional<xml::Element> payload_;
    std::optional<StanzaError> error_;
};

using IqHandler = std::function<IqResult(IqRequest&)>;

/// What a filtering hook decided: let the stanza go on, or stop it here (the hook has
/// already answered with an error if one is due).
enum class Verdict { pass, stop };

/// Where in a chain a hook runs; chains run phase by phase, in registration order within one.
enum class Phase { validate, process, deliver };

/// Disco#info targets for a feature.
enum class Disco { server, account };

class ModuleContext;

/// A module, described by data (STYLE.md "Modules").
struct ModuleSpec {
    std::string name;
    std::vector<std::pair<int, std::string>> xeps;  // (number, version) for docs
    std::vector<std::string> depends;
    std::function<void(ModuleContext&)> attach;
};

}  // namespace chorus::modules
