// XEP-0115 Entity Capabilities as PEP needs them: the verification string of a disco#info
// answer, and a bounded cache from a caps hash to the nodes it asks notifications for.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "xml/element.h"

namespace chorus::modules::pep {

/// The nodes an entity wants notifications for: its features ending in "+notify" (XEP-0163 §4).
using NotifySet = std::set<std::string, std::less<>>;

/// XEP-0115 §5.1 ver (SHA-1, base64) of a disco#info <query/>; nullopt when the answer is
/// ill-formed per §5.4 (duplicate identities, features or forms).
std::optional<std::string> caps_ver_sha1(const xml::Element& query);
/// The +notify nodes a disco#info <query/> lists.
NotifySet notify_nodes(const xml::Element& query);

/// Hash -> notify set, asked once per hash and kept for the most recent `capacity` hashes.
class CapsCache {
public:
    explicit CapsCache(std::size_t capacity) : capacity_(capacity) {}
    std::shared_ptr<const NotifySet> find(std::string_view ver) const;
    void add(std::string ver, std::shared_ptr<const NotifySet> nodes);
    std::size_t size() const noexcept { return by_ver_.size(); }

private:
    std::size_t capacity_;
    std::unordered_map<std::string, std::shared_ptr<const NotifySet>> by_ver_;
    std::deque<std::string> order_;  // oldest first, for eviction
};

}  // namespace chorus::modules::pep
