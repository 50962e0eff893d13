// XEP-0398 user avatar to vCard-based avatars conversion: a XEP-0084 avatar published over
// PEP becomes the PHOTO of the account's vcard-temp, and a vCard set with a PHOTO publishes
// the XEP-0084 data and metadata, so clients of either kind (XEP-0153 or XEP-0084) see one
// avatar. The vCard is written through storage::Vcards, never through the vcard module.
#include <spdlog/spdlog.h>

#include "base/encoding.h"
#include "modules/pep/pep_module.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "xml/serializer.h"

namespace chorus::modules::pep {
namespace {

// Whitespace inside BINVAL (line-wrapped base64) is not part of the data.
std::string without_whitespace(std::string_view text)
{
    std::string out;
    for (char ch : text) {
        if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') {
            out += ch;
        }
    }
    return out;
}

}  // namespace

void PepModule::avatar_to_vcard(const Jid& owner)
{
    auto metadata = engine_.last_item(owner.str(), ns::avatar_metadata);
    if (!metadata) {
        return;
    }
    const auto* info = metadata->payload.child("info", ns::avatar_metadata);
    if (!info) {
        return;  // "no avatar": the vCard keeps what it has
    }
    auto data =
        engine_.items(owner.str(), ns::avatar_data, owner, {std::string(info->attr("id"))}, 0);
    if (!data || data->empty()) {
        return;  // the data lives elsewhere (a <url/>): nothing to copy
    }
    const auto binval = data->front().payload.text();
    auto stored = vcards_.get(owner.str());
    if (!stored) {
        spdlog::error("pep: reading the vCard of {}: {}", owner.str(), stored.error().message);
        return;
    }
    std::optional<xml::Element> vcard;
    if (*stored) {
        vcard = parse_stanza_bytes(**stored);
    }
    if (!vcard || !vcard->is("vCard", ns::vcard)) {
        vcard = xml::Element("vCard", std::string(ns::vcard));
    }
    vcard->remove_children("PHOTO", ns::vcard);
    auto& photo = vcard->add_child("PHOTO", std::string(ns::vcard));
    photo.add_child("TYPE", std::string(ns::vcard)).add_text(info->attr("type"));
    photo.add_child("BINVAL", std::string(ns::vcard)).add_text(binval);
    if (auto r = vcards_.put(owner.str(), xml::to_string(*vcard)); !r) {
        spdlog::error("pep: storing the vCard of {}: {}", owner.str(), r.error().message);
    }
}

Verdict PepModule::on_stanza_out(router::Session& session, xml::Element& stanza)
{
    if (stanza.name() != "iq" || stanza.attr("type") != "set") {
        return Verdict::pass;
    }
    const auto to = stanza.attr("to");
    if (!to.empty() && to != session.jid().bare_view()) {
        return Verdict::pass;
    }
    const auto* vcard = stanza.child("vCard", ns::vcard);
    const auto* photo = vcard ? vcard->child("PHOTO", ns::vcard) : nullptr;
    if (!photo) {
        return Verdict::pass;
    }
    const auto binval = without_whitespace(photo->child_text("BINVAL", ns::vcard));
    const auto bytes = base64_decode(binval);
    if (binval.empty() || !bytes) {
        return Verdict::pass;  // the vcard module answers what it makes of it
    }
    // XEP-0084 §4.2: the item id is the hex SHA-1 of the image.
    const Jid owner = session.jid().bare();
    const auto id = hex_encode(sha1(*bytes));
    if (auto current = engine_.last_item(owner.str(), ns::avatar_metadata);
        current && current->id == id) {
        return Verdict::pass;  // already the avatar (and our own conversion's echo)
    }
    std::string type = photo->child_text("TYPE", ns::vcard);
    if (type.empty()) {
        type = "image/png";
    }
    xml::Element data("data", std::string(ns::avatar_data));
    data.add_text(binval);
    auto published = engine_.publish(owner.str(), ns::avatar_data, owner, id, &data, nullptr);
    if (!published) {
        spdlog::debug("pep: {}'s vCard photo not converted: {}", owner.str(),
                      published.error().text);
        return Verdict::pass;
    }
    notify(owner, published->second);
    xml::Element metadata("metadata", std::string(ns::avatar_metadata));
    metadata.add_child("info", std::string(ns::avatar_metadata))
        .set_attr("id", id)
        .set_attr("bytes", std::to_string(bytes->size()))
        .set_attr("type", type);
    published = engine_.publish(owner.str(), ns::avatar_metadata, owner, id, &metadata, nullptr);
    if (published) {
        notify(owner, published->second);
    }
    return Verdict::pass;
}

}  // namespace chorus::modules::pep
