// IqDispatcher: IQ get/set handlers keyed by (type, namespace, element, addressee), with the
// standard answers (STYLE.md, ejabberd's gen_iq_handler).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "modules/module.h"

namespace chorus {

class IqDispatcher {
public:
    struct Key {
        modules::IqType type;
        std::string ns;
        std::string name;
        modules::Addressee addressee;
        auto operator<=>(const Key&) const = default;
    };
    /// Registers a handler; a duplicate key is a startup error (returns false).
    bool add(Key key, modules::IqHandler handler);
    void remove(const Key& key);
    /// Answers an IQ get/set: the handler's result, or the dispatcher's standard answers
    /// (bad-request for not exactly one child, service-unavailable when no handler,
    /// internal-server-error when the handler throws). Returns the full reply stanza.
    xml::Element dispatch(modules::IqRequest& request, modules::Addressee addressee) const;
    bool has(const Key& key) const { return handlers_.count(key) != 0; }

private:
    std::map<Key, modules::IqHandler> handlers_;
};

/// Builds the result/error reply for an IQ (from/to swapped, id kept).
xml::Element iq_reply(const xml::Element& iq, const modules::IqResult& result);

}  // namespace chorus
