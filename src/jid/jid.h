// Jid: an XMPP address (RFC 6120 §3, RFC 6122 stringprep profiles), always prepared.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chorus {

/// A prepared JID: node@domain/resource, each part already through its stringprep profile.
class Jid {
public:
    Jid() = default;

    /// Parses and prepares text; nullopt when malformed (the caller answers <jid-malformed/>).
    static std::optional<Jid> parse(std::string_view text);
    /// Builds from parts (each prepared); nullopt when any part is invalid.
    static std::optional<Jid> from_parts(std::string_view node, std::string_view domain,
                                         std::string_view resource = {});

    const std::string& node() const noexcept { return node_; }
    const std::string& domain() const noexcept { return domain_; }
    const std::string& resource() const noexcept { return resource_; }
    bool empty() const noexcept { return domain_.empty(); }
    bool is_bare() const noexcept { return resource_.empty(); }
    bool is_full() const noexcept { return !resource_.empty(); }

    Jid bare() const;
    Jid with_resource(std::string_view prepared_resource) const;
    /// node@domain (no resource).
    std::string bare_str() const;
    /// node@domain borrowed from str(), no allocation (str() is node@domain/resource).
    std::string_view bare_view() const noexcept
    {
        return resource_.empty() ? std::string_view(full_)
                                 : std::string_view(full_).substr(
                                       0, full_.size() - resource_.size() - 1);
    }
    /// The whole JID as text.
    const std::string& str() const noexcept { return full_; }

    friend bool operator==(const Jid& a, const Jid& b) noexcept { return a.full_ == b.full_; }
    friend auto operator<=>(const Jid& a, const Jid& b) noexcept { return a.full_ <=> b.full_; }

private:
    void rebuild();
    std::string node_, domain_, resource_, full_;
};

/// Stringprep profiles (RFC 6122); nullopt when the input is not allowed. Kept behind
/// these functions so PRECIS (RFC 7622) can replace libidn in one place.
std::optional<std::string> nodeprep(std::string_view in);
std::optional<std::string> nameprep(std::string_view in);
std::optional<std::string> resourceprep(std::string_view in);

}  // namespace chorus

template <>
struct std::hash<chorus::Jid> {
    std::size_t operator()(const chorus::Jid& j) const noexcept
    {
        return std::hash<std::string>{}(j.str());
    }
};
