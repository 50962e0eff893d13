// StanzaError: RFC 6120 §8.3 stanza errors as values, with each condition's default type.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xml/element.h"

namespace chorus {

enum class ErrorType { auth, cancel, continue_, modify, wait };

enum class Condition {
    bad_request,
    conflict,
    feature_not_implemented,
    forbidden,
    gone,
    internal_server_error,
    item_not_found,
    jid_malformed,
    not_acceptable,
    not_allowed,
    not_authorized,
    policy_violation,
    recipient_unavailable,
    redirect,
    registration_required,
    remote_server_not_found,
    remote_server_timeout,
    resource_constraint,
    service_unavailable,
    subscription_required,
    undefined_condition,
    unexpected_request,
};

/// A stanza error: condition, type, optional text and application-specific condition.
struct StanzaError {
    Condition condition = Condition::undefined_condition;
    ErrorType type = ErrorType::cancel;
    std::string text;
    std::string app_ns, app_name;  // application condition (RFC 6120 §8.3.4)

    StanzaError& with_app_condition(std::string_view ns, std::string_view name)
    {
        app_ns = ns;
        app_name = name;
        return *this;
    }
    StanzaError& with_type(ErrorType t)
    {
        type = t;
        return *this;
    }
    /// The <error/> element.
    xml::Element to_element() const;

#define CHORUS_STANZA_ERROR(cond, dtype)                                             \
    static StanzaError cond(std::string t = {})                                      \
    {                                                                                \
        return StanzaError{Condition::cond, ErrorType::dtype, std::move(t), {}, {}}; \
    }
    CHORUS_STANZA_ERROR(bad_request, modify)
    CHORUS_STANZA_ERROR(conflict, cancel)
    CHORUS_STANZA_ERROR(feature_not_implemented, cancel)
    CHORUS_STANZA_ERROR(forbidden, auth)
    CHORUS_STANZA_ERROR(internal_server_error, cancel)
    CHORUS_STANZA_ERROR(item_not_found, cancel)
    CHORUS_STANZA_ERROR(jid_malformed, modify)
    CHORUS_STANZA_ERROR(not_acceptable, modify)
    CHORUS_STANZA_ERROR(not_allowed, cancel)
    CHORUS_STANZA_ERROR(not_authorized, auth)
    CHORUS_STANZA_ERROR(policy_violation, modify)
    CHORUS_STANZA_ERROR(recipient_unavailable, wait)
    CHORUS_STANZA_ERROR(registration_required, auth)
    CHORUS_STANZA_ERROR(remote_server_not_found, cancel)
    CHORUS_STANZA_ERROR(remote_server_timeout, wait)
    CHORUS_STANZA_ERROR(resource_constraint, wait)
    CHORUS_STANZA_ERROR(service_unavailable, cancel)
    CHORUS_STANZA_ERROR(subscription_required, auth)
    CHORUS_STANZA_ERROR(undefined_condition, cancel)
    CHORUS_STANZA_ERROR(unexpected_request, wait)
#undef CHORUS_STANZA_ERROR
};

std::string_view condition_name(Condition c) noexcept;
/// XEP-0086 §3: the legacy error code of a condition.
std::string_view legacy_error_code(Condition c) noexcept;
std::string_view error_type_name(ErrorType t) noexcept;

/// The error reply to a stanza: to/from swapped, id kept, original children kept for
/// messages and presence (RFC 6120 §8.3.1); nullopt for a type='error' stanza (never answer
/// an error).
std::optional<xml::Element> error_reply(const xml::Element& stanza, const StanzaError& error);

}  // namespace chorus
