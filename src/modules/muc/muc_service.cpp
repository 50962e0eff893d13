// XEP-0045 Multi-User Chat service: stanza dispatch to rooms, room creation and loading,
// service discovery (§6), service-wide limits, and the module that serves it.
#include "modules/muc/muc_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/encoding.h"
#include "modules/module_context.h"
#include "modules/muc/muc.h"
#include "modules/muc/muc_xml.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"

namespace chorus::modules::muc {

MucService::MucService(Server& server, std::string domain)
    : server_(server),
      domain_(std::move(domain)),
      limits_(server.config().muc),
      store_(server.storage().rooms())
{
}

MucService::~MucService() = default;

std::string MucService::next_id()
{
    return fmt::format("muc-{:012x}", ++id_counter_);
}

bool MucService::deliver(const Jid& to, const router::SharedBytes& bytes, std::int64_t wait_for,
                         const Jid* from)
{
    if (from && server_.hooks().blocks && server_.hooks().blocks(to.bare_view(), *from)) {
        return true;  // XEP-0191 §3.3: what a blocked entity sends goes no further
    }
    auto addressed = std::make_shared<const std::string>(with_to(*bytes, to.str()));
    if (server_.is_local_domain(to.domain())) {
        return server_.router().deliver_to_session(to, std::move(addressed), wait_for);
    }
    // A remote occupant: s2s decides; an archived message first waits for its commit, as
    // the local copies do (DESIGN.md "archive before delivery").
    auto send = [&server = server_, addressed] {
        if (auto stanza = parse_stanza_bytes(*addressed)) {
            server.router().route(std::move(*stanza));
        }
    };
    if (!wait_for) {
        send();
        return true;
    }
    server_.router().gate().watch({.last_id = wait_for, .outcome = [send](bool committed) {
                                       if (committed) {
                                           send();
                                       }
                                   }});
    return true;
}

bool MucService::may_join_another_room(const Jid& bare) const
{
    auto it = rooms_in_.find(bare.bare_view());
    return it == rooms_in_.end() || it->second < limits_.max_rooms_per_occupant;
}

bool MucService::count_join(const Jid& bare)
{
    const auto now = std::chrono::steady_clock::now();
    auto& times = joins_[bare.bare_str()];
    while (!times.empty() && now - times.front() > std::chrono::minutes(1)) {
        times.pop_front();
    }
    if (times.size() >= static_cast<std::size_t>(limits_.max_joins_per_minute)) {
        return false;
    }
    times.push_back(now);
    if (joins_.size() > 100000) {  // bounded: forget the quiet users
        std::erase_if(joins_, [&](const auto& kv) {
            return kv.second.empty() || now - kv.second.back() > std::chrono::minutes(1);
        });
    }
    return true;
}

void MucService::left(const Jid& bare)
{
    auto it = rooms_in_.find(bare.bare_view());
    if (it != rooms_in_.end() && --it->second == 0) {
        rooms_in_.erase(it);
    }
}

void MucService::reply_error(const xml::Element& stanza, const StanzaError& e)
{
    server_.router().bounce(stanza, e);
}

Room* MucService::find_room(const std::string& bare)
{
    if (auto it = rooms_.find(bare); it != rooms_.end()) {
        return it->second.get();
    }
    auto stored = store_.room(bare);
    if (!stored) {
        spdlog::error("muc: cannot read room {}: {}", bare, stored.error().message);
        return nullptr;
    }
    if (!*stored) {
        return nullptr;
    }
    auto affs = store_.affiliations(bare);
    if (!affs) {
        spdlog::error("muc: cannot read affiliations of {}: {}", bare, affs.error().message);
        return nullptr;
    }
    std::vector<std::pair<Jid, Affiliation>> list;
    std::map<std::string, std::string> nicks;
    for (const auto& a : *affs) {
        auto jid = Jid::parse(a.jid);
        auto aff = parse_affiliation(a.affiliation);
        if (jid && aff) {
            list.emplace_back(*jid, *aff);
            if (!a.nick.empty()) {
                nicks[jid->bare_str()] = a.nick;
            }
        }
    }
    auto room =
        std::make_unique<Room>(*this, *Jid::parse(bare), RoomConfig::from_text((*stored)->config));
    room->load((*stored)->subject, (*stored)->subject_nick, list, nicks);
    room->restore_history();
    return rooms_.emplace(bare, std::move(room)).first->second.get();
}

Room* MucService::create_room(const Jid& room_jid, const Jid& creator, const xml::Element& presence)
{
    auto created = store_.count_created_by(creator.bare_str());
    if (created && *created >= limits_.max_rooms_per_user) {
        reply_error(presence, StanzaError::resource_constraint(
                                  "You have created as many rooms as this service allows")
                                  .with_type(ErrorType::cancel));
        return nullptr;
    }
    RoomConfig config;
    config.history_length = std::min(config.history_length, limits_.max_history);
    auto room = std::make_unique<Room>(*this, room_jid.bare(), config);
    // §10.1.2: a client that speaks MUC (<x xmlns='muc'/>) gets a locked room to configure;
    // an old groupchat 1.0 client gets an instant room.
    room->create(creator, presence.child("x", ns::muc) == nullptr);
    return rooms_.emplace(room_jid.bare_str(), std::move(room)).first->second.get();
}

void MucService::forget_room(const std::string& jid)
{
    if (auto r = store_.delete_room(jid); !r) {
        spdlog::error("muc: cannot delete room {}: {}", jid, r.error().message);
    }
}

void MucService::shutdown()
{
    for (auto& [jid, room] : rooms_) {
        room->evict_all({332});
    }
    std::erase_if(rooms_, [](const auto& kv) { return kv.second->finished(); });
}

void MucService::drop_finished(const std::string& bare)
{
    auto it = rooms_.find(bare);
    if (it != rooms_.end() && it->second->finished()) {
        rooms_.erase(it);
    }
}

std::int64_t MucService::handle(xml::Element stanza)
{
    const auto from = Jid::parse(stanza.attr("from"));
    const auto to = Jid::parse(stanza.attr("to"));
    if (!from || !to) {
        return 0;  // the router stamped 'from' and parsed 'to'; nothing to answer otherwise
    }
    const auto type = stanza.attr("type");
    if (to->node().empty()) {
        if (stanza.name() == "iq") {
            handle_service_iq(*from, stanza);
        } else if (stanza.name() == "message" && type != "error") {
            reply_error(stanza, StanzaError::service_unavailable());
        }
        return 0;
    }
    const auto bare = to->bare_str();
    Room* room = find_room(bare);
    const std::string nick(to->resource());
    if (!room) {
        if (stanza.name() == "presence" && type.empty() && !nick.empty()) {
            room = create_room(*to, *from, stanza);
            if (!room) {
                return 0;
            }
        } else if (stanza.name() == "presence" && type.empty()) {
            // §7.2.1: entering needs a nick.
            reply_error(stanza, StanzaError::jid_malformed("A nickname is required"));
            return 0;
        } else {
            if (type != "error" && type != "result" && type != "unavailable") {
                reply_error(stanza, StanzaError::item_not_found("No such room"));
            }
            return 0;
        }
    }
    std::int64_t entry = 0;
    if (stanza.name() == "presence") {
        room->on_presence(*from, stanza, nick);
    } else if (stanza.name() == "message") {
        entry = room->on_message(*from, stanza, nick);
    } else {
        room->on_iq(*from, stanza, nick);
    }
    drop_finished(bare);
    return entry;
}

xml::Element MucService::disco_info() const
{
    xml::Element q("query", std::string(ns::disco_info));
    q.add_child("identity", std::string(ns::disco_info))
        .set_attr("category", "conference")
        .set_attr("type", "text")
        .set_attr("name", "Chorus group chats");
    for (auto f : {ns::disco_info, ns::disco_items, ns::muc, ns::muc_unique, ns::muc_self_ping,
                   ns::occupant_id, ns::muc_stable_id}) {
        q.add_child("feature", std::string(ns::disco_info)).set_attr("var", f);
    }
    return q;
}

xml::Element MucService::disco_items()
{
    xml::Element q("query", std::string(ns::disco_items));
    std::map<std::string, std::string> listed;  // jid -> name
    if (auto stored = store_.rooms_of(domain_)) {
        for (const auto& r : *stored) {
            const auto c = RoomConfig::from_text(r.config);
            if (c.public_room) {
                listed[r.jid] = c.name;
            }
        }
    }
    for (const auto& [jid, room] : rooms_) {  // temporary rooms live in memory only
        if (room->config().public_room && !room->locked() && !room->destroyed()) {
            listed[jid] = room->config().name;
        }
    }
    for (const auto& [jid, name] : listed) {
        auto& item = q.add_child("item", std::string(ns::disco_items)).set_attr("jid", jid);
        item.set_attr("name", name.empty() ? Jid::parse(jid)->node() : name);
    }
    return q;
}

void MucService::handle_service_iq(const Jid& from, const xml::Element& iq)
{
    const auto type = iq.attr("type");
    if (type != "get" && type != "set") {
        return;
    }
    const auto* q = iq.first_element();
    xml::Element answer("iq", std::string(ns::client));
    answer.set_attr("type", "result").set_attr("id", iq.attr("id")).set_attr("from", domain_);
    answer.set_attr("to", from.str());
    if (q && type == "get" && q->is("query", ns::disco_info) && q->attr("node").empty()) {
        answer.add_child(disco_info());
    } else if (q && type == "get" && q->is("query", ns::disco_items) && q->attr("node").empty()) {
        answer.add_child(disco_items());
    } else if (q && type == "get" && q->is("ping", ns::ping)) {
        // XEP-0199: the service answers for itself.
    } else if (q && type == "get" && q->is("unique", ns::muc_unique)) {
        // XEP-0045 §10.1.4: a name no room has, for a client that wants a fresh one.
        std::string name;
        do {
            name = hex_encode(random_bytes(8));
        } while (find_room(name + "@" + domain_));
        answer.add_child("unique", std::string(ns::muc_unique)).add_text(name);
    } else {
        reply_error(iq, StanzaError::service_unavailable());
        return;
    }
    server_.router().route(std::move(answer));
}

ModuleSpec spec()
{
    return {.name = "muc",
            .xeps = {{45, "1.35"}, {249, "1.2"}, {410, "1.0.1"}, {421, "0.1.0"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                auto& server = ctx.server();
                if (!server.config().muc.enabled) {
                    return;
                }
                for (const auto& domain : server.config().domains) {
                    auto service = std::make_shared<MucService>(
                        server, server.config().muc.name + "." + domain);
                    ctx.hook(&Hooks::server_stopping, Phase::deliver,
                             [service] { service->shutdown(); });
                    ctx.serve_domain(service->domain(), {"conference", "text", "Chorus group chats",
                                                         [service](xml::Element s) {
                                                             return service->handle(std::move(s));
                                                         }});
                }
            }};
}

}  // namespace chorus::modules::muc
