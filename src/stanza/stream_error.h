// StreamError: RFC 6120 §4.9.3 stream error conditions; the session sends it and closes.
#pragma once

#include <string>
#include <string_view>

namespace chorus {

enum class StreamCondition {
    bad_format, bad_namespace_prefix, conflict, connection_timeout, host_gone, host_unknown,
    improper_addressing, internal_server_error, invalid_from, invalid_namespace, invalid_xml,
    not_authorized, not_well_formed, policy_violation, remote_connection_failed, reset,
    resource_constraint, restricted_xml, see_other_host, system_shutdown, undefined_condition,
    unsupported_encoding, unsupported_feature, unsupported_stanza_type, unsupported_version,
};

struct StreamError {
    StreamCondition condition = StreamCondition::undefined_condition;
    std::string text;
};

std::string_view stream_condition_name(StreamCondition c) noexcept;
/// The serialized <stream:error> element (prefix stream: bound by the stream header).
std::string serialize_stream_error(const StreamError& e);

}  // namespace chorus
