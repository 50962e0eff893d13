// Stanza error elements and replies (RFC 6120 §8.3).
#include "stanza/stanza_error.h"

#include "base/metrics.h"

#include "stanza/namespaces.h"

namespace chorus {

std::string_view condition_name(Condition c) noexcept
{
    switch (c) {
        case Condition::bad_request:
            return "bad-request";
        case Condition::conflict:
            return "conflict";
        case Condition::feature_not_implemented:
            return "feature-not-implemented";
        case Condition::forbidden:
            return "forbidden";
        case Condition::gone:
            return "gone";
        case Condition::internal_server_error:
            return "internal-server-error";
        case Condition::item_not_found:
            return "item-not-found";
        case Condition::jid_malformed:
            return "jid-malformed";
        case Condition::not_acceptable:
            return "not-acceptable";
        case Condition::not_allowed:
            return "not-allowed";
        case Condition::not_authorized:
            return "not-authorized";
        case Condition::policy_violation:
            return "policy-violation";
        case Condition::recipient_unavailable:
            return "recipient-unavailable";
        case Condition::redirect:
            return "redirect";
        case Condition::registration_required:
            return "registration-required";
        case Condition::remote_server_not_found:
            return "remote-server-not-found";
        case Condition::remote_server_timeout:
            return "remote-server-timeout";
        case Condition::resource_constraint:
            return "resource-constraint";
        case Condition::service_unavailable:
            return "service-unavailable";
        case Condition::subscription_required:
            return "subscription-required";
        case Condition::undefined_condition:
            return "undefined-condition";
        case Condition::unexpected_request:
            return "unexpected-request";
    }
    return "undefined-condition";
}

std::string_view error_type_name(ErrorType t) noexcept
{
    switch (t) {
        case ErrorType::auth:
            return "auth";
        case ErrorType::cancel:
            return "cancel";
        case ErrorType::continue_:
            return "continue";
        case ErrorType::modify:
            return "modify";
        case ErrorType::wait:
            return "wait";
    }
    return "cancel";
}

std::string_view legacy_error_code(Condition c) noexcept
{
    switch (c) {
        case Condition::bad_request:
            return "400";
        case Condition::conflict:
            return "409";
        case Condition::feature_not_implemented:
            return "501";
        case Condition::forbidden:
            return "403";
        case Condition::gone:
            return "302";
        case Condition::internal_server_error:
            return "500";
        case Condition::item_not_found:
            return "404";
        case Condition::jid_malformed:
            return "400";
        case Condition::not_acceptable:
            return "406";
        case Condition::not_allowed:
            return "405";
        case Condition::not_authorized:
            return "401";
        case Condition::policy_violation:
            return "406";  // newer than XEP-0086: its nearest
        case Condition::recipient_unavailable:
            return "404";
        case Condition::redirect:
            return "302";
        case Condition::registration_required:
            return "407";
        case Condition::remote_server_not_found:
            return "404";
        case Condition::remote_server_timeout:
            return "504";
        case Condition::resource_constraint:
            return "500";
        case Condition::service_unavailable:
            return "503";
        case Condition::subscription_required:
            return "407";
        case Condition::undefined_condition:
            return "500";
        case Condition::unexpected_request:
            return "400";
    }
    return "500";
}

xml::Element StanzaError::to_element() const
{
    xml::Element error("error", std::string(ns::client));
    // XEP-0086: clients still read the legacy code (Profanity's OMEMO setup waits for 404).
    error.set_attr("code", legacy_error_code(condition));
    error.set_attr("type", error_type_name(type));
    error.add_child(std::string(condition_name(condition)), std::string(ns::stanza_errors));
    if (!text.empty()) {
        auto& t = error.add_child("text", std::string(ns::stanza_errors));
        t.set_attr("xml:lang", "en");
        t.add_text(text);
    }
    if (!app_name.empty()) {
        error.add_child(app_name, app_ns);
    }
    return error;
}

std::optional<xml::Element> error_reply(const xml::Element& stanza, const StanzaError& error)
{
    if (stanza.attr("type") == "error") {
        return std::nullopt;
    }
    ++metrics().stanza_errors[static_cast<std::size_t>(error.condition)];  // issue 16
    xml::Element reply(stanza.name(), stanza.ns());
    if (auto from = stanza.attr("from"); !from.empty()) {
        reply.set_attr("to", from);
    }
    if (auto to = stanza.attr("to"); !to.empty()) {
        reply.set_attr("from", to);
    }
    if (auto id = stanza.attr("id"); !id.empty()) {
        reply.set_attr("id", id);
    }
    reply.set_attr("type", "error");
    // IQ errors carry the request's child too (RFC 6120 §8.3.1 permits it for all kinds);
    // we keep it for message and presence so the sender can tell which one bounced.
    for (const auto& c : stanza.nodes()) {
        if (!c.is_text() && !(c.name() == "error" && c.ns() == stanza.ns())) {
            if (stanza.name() != "iq") {
                reply.add_child(c);
            }
        }
    }
    reply.add_child(error.to_element());
    reply.nodes().back().set_ns(stanza.ns());
    return reply;
}

}  // namespace chorus
