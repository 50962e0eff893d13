// S2sManager: links per domain pair, queues while they come up, bounces when they fail.
#include "stream/s2s_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/encoding.h"
#include "router/delivery_rules.h"
#include "router/router.h"
#include "server/server.h"
#include "stream/s2s_admin.h"

namespace chorus::stream {

namespace asio = boost::asio;

namespace {
constexpr std::string_view admin_path = "/admin/s2s";
}  // namespace

S2sManager::S2sManager(Server& server, asio::ssl::context& server_tls,
                       asio::ssl::context& client_tls)
    : server_(server),
      server_tls_(server_tls),
      client_tls_(client_tls),
      secret_(server.config().s2s_dialback_secret),
      resolver_(server.io()),
      sweeper_(server.io())
{
    if (secret_.empty()) {
        // Keys only need to outlive the verification round trip (Prosody does the same).
        secret_ = hex_encode(random_bytes(32));
    }
    for (const auto& text : server.config().s2s_routes) {
        if (auto route = parse_s2s_route(text)) {  // validated with the config
            routes_[route->domain] = *route;
        }
    }
    server.http_routes().add(std::string(admin_path),
                             {.before_body = {}, .handle = [this](HttpRequest& r) {
                                  return s2s_admin_response(r, links());
                              }});
    sweep();
}

S2sManager::~S2sManager()
{
    server_.http_routes().remove(admin_path);
}

bool S2sManager::hosts(std::string_view domain) const
{
    return server_.is_local_domain(domain) || server_.components().find(domain) != nullptr;
}

std::optional<S2sRoute> S2sManager::route_for(std::string_view domain) const
{
    if (auto it = routes_.find(domain); it != routes_.end()) {
        return it->second;
    }
    return std::nullopt;
}

asio::awaitable<std::vector<net::S2sTarget>> S2sManager::targets_for(std::string domain)
{
    using Records = std::vector<net::SrvRecord>;
    // Both lookups at once (XEP-0368 §3 orders their records together).
    auto [xmpps, xmpp] =
        co_await asio::async_initiate<decltype(asio::use_awaitable), void(Records, Records)>(
            [this, &domain](auto handler) {
                struct Both {
                    decltype(handler) done;
                    Records xmpps, xmpp;
                    int left = 2;
                };
                auto both = std::make_shared<Both>(Both{std::move(handler), {}, {}, 2});
                auto arrive = [both](Records* slot) {
                    return [both, slot](Records records) {
                        *slot = std::move(records);
                        if (--both->left == 0) {
                            std::move(both->done)(std::move(both->xmpps), std::move(both->xmpp));
                        }
                    };
                };
                resolver_.srv("_xmpps-server._tcp." + domain, arrive(&both->xmpps));
                resolver_.srv("_xmpp-server._tcp." + domain, arrive(&both->xmpp));
            },
            asio::use_awaitable);
    co_return net::s2s_targets(domain, std::move(xmpps), std::move(xmpp), net::system_random());
}

S2sManager::Link& S2sManager::link_for(const std::string& local, const std::string& remote,
                                       bool verify_only)
{
    auto [it, added] = links_.try_emplace({local, remote});
    // A link closing after use (idle, or done verifying) is replaced; one failing keeps its
    // queue to bounce it.
    auto& current = it->second.stream;
    if (added || !current ||
        (current->closing() && (current->authenticated() || current->verify_only()))) {
        it->second.stream =
            std::make_shared<S2sOutgoing>(server_, *this, local, remote, verify_only);
        it->second.stream->start();
    }
    return it->second;
}

void S2sManager::send(const xml::Element& stanza, const Jid& to)
{
    const auto from = Jid::parse(stanza.attr("from"));
    if (!from || !hosts(from->domain())) {
        // Only our own users and services send over our links (no relaying).
        spdlog::debug("s2s: not relaying a {} from '{}'", stanza.name(), stanza.attr("from"));
        return;
    }
    if (stopping_) {
        return bounce(stanza, StanzaError::remote_server_timeout("The server is stopping"));
    }
    const Pair pair{from->domain(), to.domain()};
    const auto own = links_.find(pair);
    if (own == links_.end() || !own->second.stream->authenticated() ||
        own->second.stream->closing()) {
        // XEP-0288: the peer's bidi stream carries the pair while no link of ours is up.
        if (auto b = bidi_.find(pair); b != bidi_.end() && !b->second->closing()) {
            auto stream = b->second;  // a stalling write closes it and drops the map entry
            return send_or_bounce(*stream, stanza, to.domain());
        }
    }
    auto& link = link_for(from->domain(), to.domain());
    if (link.stream->authenticated()) {
        auto stream = link.stream;  // a stalling write closes it and drops the map entry
        return send_or_bounce(*stream, stanza, to.domain());
    }
    if (link.queue.size() >= server_.config().s2s_max_queue) {
        return bounce(stanza, StanzaError::resource_constraint(
                                  "Too many stanzas wait for the link to " + to.domain()));
    }
    link.queue.push_back(stanza);
}

void S2sManager::link_ready(S2sOutgoing& stream)
{
    auto it = links_.find({stream.local(), stream.remote()});
    if (it == links_.end() || it->second.stream.get() != &stream) {
        return;
    }
    auto queue = std::move(it->second.queue);
    it->second.queue.clear();
    auto keep_alive = stream.shared_from_this();
    for (auto& stanza : queue) {
        send_or_bounce(stream, stanza, stream.remote());
    }
}

void S2sManager::send_or_bounce(S2sStream& stream, const xml::Element& stanza,
                                const std::string& remote)
{
    if (!stream.send_tracked(stanza)) {
        bounce(stanza, StanzaError::remote_server_timeout(remote + " stopped reading"));
    }
}

void S2sManager::verifications_done(S2sOutgoing& stream)
{
    auto it = links_.find({stream.local(), stream.remote()});
    if (it != links_.end() && it->second.stream.get() == &stream && !it->second.queue.empty()) {
        return stream.upgrade();  // no bidi stream took the waiting stanzas
    }
    stream.close();
}

void S2sManager::bidi_ready(S2sIncoming& stream, const std::string& local,
                            const std::string& remote)
{
    auto self = std::static_pointer_cast<S2sIncoming>(stream.shared_from_this());
    auto [b, added] = bidi_.try_emplace({local, remote}, self);
    if (!added && b->second != self) {
        if (!b->second->closing()) {
            return;  // an older bidi stream serves the pair already
        }
        b->second = self;
    }
    spdlog::info("s2s {} -> {}: over the bidi stream from {} ({})", local, remote, stream.address(),
                 stream.method_of({remote, local}));
    // What waits for a link of ours that is not up goes now, in order.
    auto it = links_.find({local, remote});
    if (it == links_.end() || it->second.stream->authenticated()) {
        return;
    }
    auto queue = std::move(it->second.queue);
    it->second.queue.clear();
    for (auto& stanza : queue) {
        send_or_bounce(*self, stanza, remote);
    }
}

void S2sManager::link_closed(S2sOutgoing& stream)
{
    // What the socket never took first (older), then what waited for the link to come up.
    auto lost = stream.take_unwritten();
    std::shared_ptr<S2sStream> keep_alive;  // the link's own frame may be running
    auto it = links_.find({stream.local(), stream.remote()});
    if (it != links_.end() && it->second.stream.get() == &stream) {
        keep_alive = std::move(it->second.stream);
        for (auto& stanza : it->second.queue) {
            lost.push_back(std::move(stanza));
        }
        links_.erase(it);
    }
    if (!lost.empty()) {
        spdlog::info("s2s {} -> {}: bouncing {} stanza(s): {}", stream.local(), stream.remote(),
                     lost.size(), stream.failure().text);
    }
    for (const auto& stanza : lost) {
        bounce(stanza, stream.failure());
    }
}

void S2sManager::bounce(const xml::Element& stanza, const StanzaError& why)
{
    const auto kind = stanza.name() == "message"    ? router::StanzaKind::message
                      : stanza.name() == "presence" ? router::StanzaKind::presence
                                                    : router::StanzaKind::iq;
    if (!router::unroutable_answer(kind, stanza.attr("type"))) {
        return;  // RFC 6120 §8.3.1 and RFC 6121: what expects no answer gets none
    }
    if (auto reply = error_reply(stanza, why)) {
        server_.router().route(std::move(*reply));
    }
}

void S2sManager::accept(asio::ip::tcp::socket socket)
{
    if (stopping_ ||
        incoming_.size() >= static_cast<std::size_t>(server_.config().s2s_max_incoming)) {
        spdlog::info("s2s: refusing a connection (s2s.max_incoming)");
        return;  // closing the socket is the refusal
    }
    auto stream = std::make_shared<S2sIncoming>(server_, *this, std::move(socket));
    const auto same_ip = std::count_if(incoming_.begin(), incoming_.end(), [&](const auto& s) {
        return s->peer_ip() == stream->peer_ip();
    });
    if (same_ip >= server_.config().s2s_max_incoming_per_ip) {
        // One host cannot take every slot (ejabberd's max_s2s_connections_per_node).
        spdlog::info("s2s: refusing a connection from {} (s2s.max_incoming_per_ip)",
                     stream->peer_ip());
        return;
    }
    incoming_.push_back(stream);
    stream->start();
}

void S2sManager::incoming_closed(S2sIncoming& stream)
{
    std::shared_ptr<S2sStream> keep_alive = stream.shared_from_this();
    std::erase_if(incoming_, [&](const auto& s) { return s.get() == &stream; });
    std::erase_if(bidi_, [&](const auto& entry) { return entry.second.get() == &stream; });
    auto lost = stream.take_unwritten();
    if (lost.empty()) {
        return;
    }
    spdlog::info("s2s {} ({}): bidi stream closed with {} stanza(s) unwritten{}", stream.address(),
                 stream.pairs().empty() ? "-" : stream.pairs().begin()->first, lost.size(),
                 stream.stalled() ? ", bounced" : ", routed again");
    for (const auto& stanza : lost) {
        const auto to = Jid::parse(stanza.attr("to"));
        if (stream.stalled() || !to) {  // a peer that stopped reading gets nothing more
            bounce(stanza, StanzaError::remote_server_timeout("The peer stopped reading"));
        } else {
            send(stanza, *to);  // never written: another stream or a link of ours takes it
        }
    }
}

void S2sManager::inbound(xml::Element stanza)
{
    // RFC 6120 §10: as any stanza from a remote sender (ROUTING.md: remote senders are
    // non-IM-NG, so their full-JID chats follow R5).
    server_.router().route(std::move(stanza));
}

void S2sManager::verify(const std::string& local, const std::string& remote, std::string id,
                        std::string key, bool for_bidi, VerifyCallback done)
{
    if (stopping_) {
        return done(VerifyOutcome::error);
    }
    // XEP-0220 §2.1.2: asked over our own link to the domain's authoritative server, never
    // over the asking stream (XEP-0288 §2.2).
    const bool verify_only = for_bidi && server_.config().s2s_bidi;
    link_for(local, remote, verify_only)
        .stream->verify(std::move(id), std::move(key), std::move(done));
}

void S2sManager::close_all()
{
    stopping_ = true;
    sweeper_.cancel();
    std::vector<std::shared_ptr<S2sOutgoing>> out;
    for (auto& [pair, link] : links_) {
        out.push_back(link.stream);
    }
    for (auto& s : out) {
        s->close();
    }
    auto in = incoming_;
    for (auto& s : in) {
        s->fail({StreamCondition::system_shutdown, "The server is stopping"});
    }
}

void S2sManager::sweep()
{
    // Outgoing links unused for s2s.idle_timeout are closed; the next stanza opens one.
    sweeper_.expires_after(std::chrono::seconds(10));
    sweeper_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopping_) {
            return;
        }
        const auto limit = std::chrono::seconds(server_.config().s2s_idle_timeout_s);
        const auto now = S2sStream::Clock::now();
        std::vector<std::shared_ptr<S2sStream>> idle;
        for (auto& [pair, link] : links_) {
            if (link.stream->authenticated() && now - link.stream->last_activity() > limit) {
                idle.push_back(link.stream);
            }
        }
        for (auto& s : incoming_) {
            if (now - s->last_activity() > limit) {
                idle.push_back(s);
            }
        }
        for (auto& s : idle) {
            s->close();
        }
        sweep();
    });
}

std::vector<S2sLinkInfo> S2sManager::links() const
{
    std::vector<S2sLinkInfo> out;
    for (const auto& [pair, link] : links_) {
        out.push_back({"out", pair.first, pair.second, link.stream->address(),
                       link.stream->authenticated(), link.queue.size() + link.stream->in_flight(),
                       std::string(link.stream->tls_mode()), link.stream->auth_method(),
                       link.stream->bidi()});
    }
    for (const auto& s : incoming_) {
        for (const auto& [remote, local] : s->pairs()) {
            out.push_back({"in", local, remote, s->address(), true, s->in_flight(),
                           std::string(s->tls_mode()), s->method_of({remote, local}), s->bidi()});
        }
        if (s->pairs().empty()) {
            out.push_back(
                {"in", {}, {}, s->address(), false, 0, std::string(s->tls_mode()), {}, s->bidi()});
        }
    }
    return out;
}

}  // namespace chorus::stream
