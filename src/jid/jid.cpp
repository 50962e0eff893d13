// Jid parsing and preparation: RFC 6120 §3 and the RFC 6122 stringprep profiles (libidn).
#include "jid/jid.h"

#include <arpa/inet.h>
#include <stringprep.h>

#include <cstring>

namespace chorus {
namespace {

// RFC 6122 §2.2-2.4: each part is at most 1023 bytes once prepared.
constexpr std::size_t max_part_bytes = 1023;

constexpr bool is_ascii(std::string_view s) noexcept
{
    for (char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            return false;
        }
    }
    return true;
}

constexpr bool is_ascii_control(char c) noexcept
{
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}

constexpr char ascii_lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool is_ldh(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// Runs one libidn profile. stringprep works in place and fails with TOO_SMALL_BUFFER when
// NFKC or case folding grows the text, so the buffer is grown and the run repeated.
std::optional<std::string> run_libidn(std::string_view in, const Stringprep_profile* profile)
{
    // libidn reads C strings: an embedded NUL would silently cut the input short.
    if (in.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    std::size_t capacity = in.size() * 2 + 16;
    for (int attempt = 0; attempt < 4; ++attempt, capacity *= 4) {
        std::string buf(in);
        buf.resize(capacity, '\0');
        int rc = stringprep(buf.data(), buf.size(), Stringprep_profile_flags{}, profile);
        if (rc == STRINGPREP_OK) {
            buf.resize(std::strlen(buf.c_str()));
            return buf;
        }
        if (rc != STRINGPREP_TOO_SMALL_BUFFER) {
            return std::nullopt;  // prohibited, bidi, or not UTF-8
        }
    }
    return std::nullopt;
}

// RFC 6122 Appendix A.5: the nodeprep-only prohibited ASCII, besides space and controls.
constexpr bool is_nodeprep_prohibited_ascii(char c) noexcept
{
    switch (c) {
        case '"':
        case '&':
        case '\'':
        case '/':
        case ':':
        case '<':
        case '>':
        case '@':
        case ' ':
            return true;
        default:
            return is_ascii_control(c);
    }
}

bool is_valid_part_length(const std::string& s) noexcept
{
    return !s.empty() && s.size() <= max_part_bytes;
}

// An IP-literal domain (RFC 6120 §3.2.1): IPv6 in brackets, as in URIs.
bool is_ipv6_literal(std::string_view s)
{
    if (s.size() < 3 || s.front() != '[' || s.back() != ']') {
        return false;
    }
    std::string addr(s.substr(1, s.size() - 2));
    in6_addr parsed{};
    return inet_pton(AF_INET6, addr.c_str(), &parsed) == 1;
}

// The domainpart rules beyond nameprep: RFC 6122 §2.2 asks for an IDNA2003 name with
// UseSTD3ASCIIRules, so ASCII is limited to letters, digits, '-' and '.', no label is empty
// or starts or ends with '-', and an ASCII label fits DNS's 63 bytes. The length of a
// non-ASCII label's ACE form is not checked here.
bool is_valid_domain_name(std::string_view s) noexcept
{
    constexpr std::size_t max_label_bytes = 63;
    std::size_t label_start = 0;
    bool label_is_ascii = true;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i < s.size() && s[i] != '.') {
            char c = s[i];
            if (static_cast<unsigned char>(c) >= 0x80) {
                label_is_ascii = false;
            } else if (!is_ldh(c)) {
                return false;
            }
            continue;
        }
        std::string_view label = s.substr(label_start, i - label_start);
        if (label.empty() || label.front() == '-' || label.back() == '-' ||
            (label_is_ascii && label.size() > max_label_bytes)) {
            return false;
        }
        label_start = i + 1;
        label_is_ascii = true;
    }
    return true;
}

// Prepares a domainpart: IP literals are kept (lowercased), names go through nameprep.
std::optional<std::string> prepare_domain(std::string_view in)
{
    if (!in.empty() && in.front() == '[') {
        if (!is_ipv6_literal(in)) {
            return std::nullopt;
        }
        std::string out(in);
        for (char& c : out) {
            c = ascii_lower(c);
        }
        return out;
    }
    auto out = nameprep(in);
    if (!out) {
        return std::nullopt;
    }
    // IDNA2003 treats U+3002 (which nameprep leaves, and U+FF61 becomes) as a dot.
    static constexpr std::string_view ideographic_full_stop = "\xE3\x80\x82";
    for (auto pos = out->find(ideographic_full_stop); pos != std::string::npos;
         pos = out->find(ideographic_full_stop, pos + 1)) {
        out->replace(pos, ideographic_full_stop.size(), ".");
    }
    // RFC 6122 §2.2: a final dot MUST be stripped before the JID is used.
    if (!out->empty() && out->back() == '.') {
        out->pop_back();
    }
    if (!is_valid_part_length(*out) || !is_valid_domain_name(*out)) {
        return std::nullopt;
    }
    return out;
}

}  // namespace

std::optional<std::string> nodeprep(std::string_view in)
{
    if (is_ascii(in)) {
        // For ASCII, nodeprep only folds A-Z and prohibits the characters checked here.
        std::string out(in);
        for (char& c : out) {
            if (is_nodeprep_prohibited_ascii(c)) {
                return std::nullopt;
            }
            c = ascii_lower(c);
        }
        return out;
    }
    return run_libidn(in, stringprep_xmpp_nodeprep);
}

std::optional<std::string> nameprep(std::string_view in)
{
    bool fast = true;
    for (char c : in) {
        char lower = ascii_lower(c);
        if (!is_ldh(lower) && lower != '.') {
            fast = false;
            break;
        }
    }
    if (fast) {
        std::string out(in);
        for (char& c : out) {
            c = ascii_lower(c);
        }
        return out;
    }
    return run_libidn(in, stringprep_nameprep);
}

std::optional<std::string> resourceprep(std::string_view in)
{
    if (is_ascii(in)) {
        // Resourceprep keeps ASCII as is (space included) and prohibits only controls.
        for (char c : in) {
            if (is_ascii_control(c)) {
                return std::nullopt;
            }
        }
        return std::string(in);
    }
    return run_libidn(in, stringprep_xmpp_resourceprep);
}

std::optional<Jid> Jid::parse(std::string_view text)
{
    // RFC 6122 §2.1 (RFC 7622 §3.2): the resource starts at the first '/', so it may hold
    // '@' and '/'; the node ends at the first '@' before that.
    std::string_view rest = text;
    std::string_view resource;
    bool has_resource = false;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        resource = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
        has_resource = true;
    }
    std::string_view node;
    bool has_node = false;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        node = rest.substr(0, at);
        rest = rest.substr(at + 1);
        has_node = true;
    }
    // "@example.com" and "example.com/" are malformed, not JIDs without that part.
    if ((has_node && node.empty()) || (has_resource && resource.empty())) {
        return std::nullopt;
    }
    return from_parts(node, rest, resource);
}

std::optional<Jid> Jid::from_parts(std::string_view node, std::string_view domain,
                                   std::string_view resource)
{
    Jid jid;
    if (!node.empty()) {
        auto prepared = nodeprep(node);
        if (!prepared || !is_valid_part_length(*prepared)) {
            return std::nullopt;
        }
        jid.node_ = std::move(*prepared);
    }
    auto prepared_domain = prepare_domain(domain);
    if (!prepared_domain) {
        return std::nullopt;
    }
    jid.domain_ = std::move(*prepared_domain);
    if (!resource.empty()) {
        auto prepared = resourceprep(resource);
        if (!prepared || !is_valid_part_length(*prepared)) {
            return std::nullopt;
        }
        jid.resource_ = std::move(*prepared);
    }
    jid.rebuild();
    return jid;
}

Jid Jid::bare() const
{
    if (resource_.empty()) {
        return *this;
    }
    Jid out;
    out.node_ = node_;
    out.domain_ = domain_;
    out.full_ = full_.substr(0, full_.size() - resource_.size() - 1);
    return out;
}

Jid Jid::with_resource(std::string_view prepared_resource) const
{
    Jid out;
    out.node_ = node_;
    out.domain_ = domain_;
    out.resource_ = std::string(prepared_resource);
    out.rebuild();
    return out;
}

std::string Jid::bare_str() const
{
    return resource_.empty() ? full_ : full_.substr(0, full_.size() - resource_.size() - 1);
}

void Jid::rebuild()
{
    full_.clear();
    full_.reserve(node_.size() + domain_.size() + resource_.size() + 2);
    if (!node_.empty()) {
        full_ += node_;
        full_ += '@';
    }
    full_ += domain_;
    if (!resource_.empty()) {
        full_ += '/';
        full_ += resource_;
    }
}

}  // namespace chorus
