// XEP-0049 private XML storage, with XEP-0411: XEP-0048 bookmarks stored through
// jabber:iq:private are the XEP-0402 items of the account's urn:xmpp:bookmarks:1 node, so
// a client of either kind sees what the other set. And the XEP-0153 photo hash of the
// XEP-0084 avatar in the user's presence.
#include <spdlog/spdlog.h>

#include "modules/pep/pep_module.h"
#include "modules/pubsub/pubsub_iq.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "xml/serializer.h"

namespace chorus::modules::pep {
namespace {

bool is_true(std::string_view v)
{
    return v == "1" || v == "true";
}

// XEP-0402 §5: the node's configuration (private, as many items as the server allows).
xml::Element bookmarks_options()
{
    xml::Element x("x", std::string(ns::data_forms));
    x.set_attr("type", "submit");
    auto field = [&x](std::string_view var, std::string_view value) {
        auto& f = x.add_child("field", std::string(ns::data_forms));
        f.set_attr("var", var);
        f.add_child("value", std::string(ns::data_forms)).add_text(value);
    };
    field("FORM_TYPE", ns::pubsub_publish_options);
    field("pubsub#persist_items", "true");
    field("pubsub#max_items", "max");
    field("pubsub#send_last_published_item", "never");
    field("pubsub#access_model", "whitelist");
    return x;
}

// XEP-0411 §4: one XEP-0048 <conference/> as a XEP-0402 item payload.
xml::Element to_bookmark2(const xml::Element& conference)
{
    xml::Element c("conference", std::string(ns::bookmarks));
    if (conference.has_attr("name")) {
        c.set_attr("name", conference.attr("name"));
    }
    c.set_attr("autojoin", is_true(conference.attr("autojoin")) ? "true" : "false");
    for (std::string_view child : {"nick", "password"}) {
        if (const auto* e = conference.child(child, ns::bookmarks_legacy)) {
            c.add_child(std::string(child), std::string(ns::bookmarks)).add_text(e->text());
        }
    }
    return c;
}

// XEP-0411 §4, the other way.
xml::Element to_bookmark1(const std::string& jid, const xml::Element& conference)
{
    xml::Element c("conference", std::string(ns::bookmarks_legacy));
    c.set_attr("jid", jid);
    if (conference.has_attr("name")) {
        c.set_attr("name", conference.attr("name"));
    }
    c.set_attr("autojoin", is_true(conference.attr("autojoin")) ? "true" : "false");
    for (std::string_view child : {"nick", "password"}) {
        if (const auto* e = conference.child(child, ns::bookmarks)) {
            c.add_child(std::string(child), std::string(ns::bookmarks_legacy)).add_text(e->text());
        }
    }
    return c;
}

}  // namespace

IqResult PepModule::on_private_iq(IqRequest& r, bool is_set)
{
    if (!r.from_own_account()) {  // XEP-0049 §3: nobody reads or writes another's data
        return StanzaError::forbidden("Private data belongs to its owner");
    }
    const auto& query = r.payload();
    if (query.element_count() != 1) {
        return StanzaError::not_acceptable("Exactly one element is stored or asked for");
    }
    const auto& element = *query.first_element();
    if (element.ns().empty() || element.ns() == ns::private_xml || element.ns() == ns::client) {
        return StanzaError::not_acceptable("The element needs its own namespace");
    }
    const Jid owner = r.to().bare();
    const bool bookmarks = element.is("storage", ns::bookmarks_legacy);
    if (!is_set) {
        xml::Element answer("query", std::string(ns::private_xml));
        if (bookmarks) {
            answer.add_child(legacy_bookmarks(owner));
            return IqResult::with(std::move(answer));
        }
        auto stored = private_.get(owner.str(), element.ns());
        if (!stored) {
            spdlog::error("pep: private XML of {}: {}", owner.str(), stored.error().message);
            return StanzaError::internal_server_error();
        }
        auto parsed = *stored ? parse_stanza_bytes(**stored) : std::nullopt;
        // §3: nothing stored: the empty element asked for.
        answer.add_child(parsed ? std::move(*parsed)
                                : xml::Element(element.name(), std::string(element.ns())));
        return IqResult::with(std::move(answer));
    }
    const auto text = xml::to_string(element);
    if (text.size() > engine_.limits().max_item_bytes) {
        return StanzaError::not_acceptable("The element is too large");
    }
    if (bookmarks) {
        if (auto error = store_legacy_bookmarks(owner, element)) {
            return *error;
        }
    }
    if (auto stored = private_.put(owner.str(), element.ns(), text); !stored) {
        spdlog::error("pep: storing private XML of {}: {}", owner.str(), stored.error().message);
        return StanzaError::internal_server_error();
    }
    return IqResult::empty();
}

xml::Element PepModule::legacy_bookmarks(const Jid& owner)
{
    xml::Element storage("storage", std::string(ns::bookmarks_legacy));
    auto items = engine_.items(owner.str(), ns::bookmarks, owner, {}, 0);
    if (items) {
        for (auto it = items->rbegin(); it != items->rend(); ++it) {
            if (it->payload.is("conference", ns::bookmarks)) {
                storage.add_child(to_bookmark1(it->id, it->payload));
            }
        }
    }
    // What XEP-0402 cannot hold (<url/>, ...) comes from the private copy.
    if (auto stored = private_.get(owner.str(), ns::bookmarks_legacy); stored && *stored) {
        if (auto parsed = parse_stanza_bytes(**stored)) {
            for (const auto& c : parsed->nodes()) {
                if (!c.is_text() && !c.is("conference", ns::bookmarks_legacy)) {
                    storage.add_child(c);
                }
            }
        }
    }
    return storage;
}

std::optional<StanzaError> PepModule::store_legacy_bookmarks(const Jid& owner,
                                                             const xml::Element& storage)
{
    const auto options = bookmarks_options();
    std::set<std::string> kept;
    for (const auto& c : storage.nodes()) {
        if (!c.is("conference", ns::bookmarks_legacy)) {
            continue;
        }
        auto room = Jid::parse(c.attr("jid"));
        if (!room) {
            return StanzaError::bad_request("A bookmark's JID is malformed");
        }
        const auto payload = to_bookmark2(c);
        auto published =
            engine_.publish(owner.str(), ns::bookmarks, owner, room->str(), &payload, &options);
        if (!published) {
            return published.error();
        }
        kept.insert(room->str());
        notify(owner, published->second);
    }
    // Bookmarks absent from the new list are retracted (with notifications).
    if (auto items = engine_.items(owner.str(), ns::bookmarks, owner, {}, 0)) {
        for (const auto& i : *items) {
            if (!kept.contains(i.id)) {
                auto r = engine_.retract(owner.str(), ns::bookmarks, owner, i.id, true);
                if (r && *r) {
                    notify(owner, **r);
                }
            }
        }
    }
    return std::nullopt;
}

Verdict PepModule::on_presence_out(router::Session& session, xml::Element& presence)
{
    if (!presence.attr("type").empty() || presence.has_attr("to")) {
        return Verdict::pass;  // only broadcast available presence carries the hash
    }
    if (const auto* x = presence.child("x", ns::vcard_update);
        x && x->child("photo", ns::vcard_update)) {
        return Verdict::pass;  // the client said what it has (XEP-0153 §4.1)
    }
    const Jid owner = session.jid().bare();
    auto config = engine_.node_config(owner.str(), ns::avatar_metadata);
    if (!config) {
        return Verdict::pass;
    }
    auto item = engine_.last_item(owner.str(), ns::avatar_metadata);
    if (!item) {
        return Verdict::pass;
    }
    // XEP-0084 §4.2: the metadata item's id is the SHA-1 of the image; an empty
    // <metadata/> means no avatar (XEP-0153: an empty <photo/>).
    presence.remove_children("x", ns::vcard_update);
    auto& x = presence.add_child("x", std::string(ns::vcard_update));
    auto& photo = x.add_child("photo", std::string(ns::vcard_update));
    if (item->payload.child("info", ns::avatar_metadata)) {
        photo.add_text(item->id);
    }
    return Verdict::pass;
}

}  // namespace chorus::modules::pep
