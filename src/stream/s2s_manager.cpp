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

S2sManager::Link& S2sManager::link_for(const std::string& local, const std::string& remote)
{
    auto [it, added] = links_.try_emplace({local, remote});
    // A link closing after use (idle) is replaced; one failing keeps its queue to bounce it.
    auto& current = it->second.stream;
    if (added || !current || (current->closing() && current->authenticated())) {
        it->second.stream = std::make_shared<S2sOutgoing>(server_, *this, local, remote);
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
    auto& link = link_for(from->domain(), to.domain());
    if (link.stream->authenticated()) {
        auto stream = link.stream;  // a stalling write closes it and drops the map entry
        if (!stream->send(stanza)) {
            bounce(stanza, StanzaError::remote_server_timeout(to.domain() + " stopped reading"));
        }
        return;
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
        if (!stream.send(stanza)) {
            bounce(stanza,
                   StanzaError::remote_server_timeout(stream.remote() + " stopped reading"));
        }
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
    std::erase_if(incoming_, [&](const auto& s) { return s.get() == &stream; });
}

void S2sManager::inbound(xml::Element stanza)
{
    // RFC 6120 §10: as any stanza from a remote sender (ROUTING.md: remote senders are
    // non-IM-NG, so their full-JID chats follow R5).
    server_.router().route(std::move(stanza));
}

void S2sManager::verify(const std::string& local, const std::string& remote, std::string id,
                        std::string key, VerifyCallback done)
{
    if (stopping_) {
        return done(VerifyOutcome::error);
    }
    // XEP-0220 §2.1.2: asked over our own link to the domain's authoritative server.
    link_for(local, remote).stream->verify(std::move(id), std::move(key), std::move(done));
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
                       std::string(link.stream->tls_mode()), link.stream->auth_method()});
    }
    for (const auto& s : incoming_) {
        for (const auto& [remote, local] : s->pairs()) {
            out.push_back({"in", local, remote, s->address(), true, 0, std::string(s->tls_mode()),
                           s->method_of({remote, local})});
        }
        if (s->pairs().empty()) {
            out.push_back({"in", {}, {}, s->address(), false, 0, std::string(s->tls_mode()), {}});
        }
    }
    return out;
}

}  // namespace chorus::stream
