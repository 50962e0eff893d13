// The IM-NG client (lib/client/client.h).
#include "client/client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

#include "base/encoding.h"
#include "client/message_rules.h"
#include "stanza/namespaces.h"

namespace chorus::client {
namespace {

constexpr auto iq_timeout = std::chrono::seconds(15);
constexpr std::size_t mam_page_size = 100;
constexpr int max_mam_pages = 10000;  // a bound on one catch-up (a million messages)

std::string ns_str(std::string_view ns)
{
    return std::string(ns);
}

xml::Element iq(std::string_view type, std::string id)
{
    xml::Element e("iq", ns_str(ns::client));
    e.set_attr("type", type).set_attr("id", id);
    return e;
}

bool is_result(const std::optional<xml::Element>& answer)
{
    return answer && answer->attr("type") == "result";
}

bool has_feature(const xml::Element& disco_info_result, std::string_view feature)
{
    const auto* q = disco_info_result.child("query", ns::disco_info);
    if (q == nullptr) {
        return false;
    }
    for (const auto& f : q->nodes()) {
        if (f.is("feature", ns::disco_info) && f.attr("var") == feature) {
            return true;
        }
    }
    return false;
}

}  // namespace

Client::Client(asio::io_context& io, Store& store, Account account)
    : io_(io),
      store_(store),
      account_(std::move(account)),
      catchup_([this](std::string_view id) { return store_.has_message(id); })
{
}

void Client::note(const std::string& text)
{
    if (on_note) {
        on_note(text);
    }
}

std::string Client::next_id()
{
    return hex_encode(random_bytes(6)) + "-" + std::to_string(++counter_);
}

asio::awaitable<Result<void, ClientError>> Client::connect(ConnectOptions options)
{
    catchup_.abort();
    waiting_.clear();
    presences_.clear();
    presence_sent_ = false;
    conn_ = std::make_shared<Connection>(io_);
    std::optional<SmResume> resume;
    if (auto id = store_.get(keys::sm_id); id && !id->empty()) {
        const auto h = store_.get(keys::sm_h);
        resume =
            SmResume{*id, store_.get(keys::bound_jid).value_or(""),
                     static_cast<std::uint32_t>(std::strtoul(h ? h->c_str() : "0", nullptr, 10))};
    }
    auto n = co_await conn_->open(account_, resume);
    if (!n) {
        co_return unexpected(n.error());
    }
    negotiated_ = *n;
    if (negotiated_.sm && !negotiated_.sm_id.empty()) {
        store_.set(keys::sm_id, negotiated_.sm_id);
        store_.set(keys::bound_jid, negotiated_.jid.str());
        store_.set(keys::sm_h, std::to_string(conn_->inbound_h()));
    } else {
        store_.erase(keys::sm_id);
    }
    if (negotiated_.resumed) {
        // ROUTING.md: a resumed session keeps its flags, so it needs no new <enable/>.
        mode_ = store_.get("session.mode") == "imng" ? Mode::imng : Mode::fallback;
        note("resumed the session " + negotiated_.jid.str());
    } else if (auto r = co_await setup_routing(); !r) {
        co_return r;
    }
    store_.set("session.mode", mode_ == Mode::imng ? "imng" : "fallback");
    if (options.presence) {
        xml::Element p("presence", ns_str(ns::client));
        if (options.priority != 0) {
            p.add_child("priority", ns_str(ns::client)).add_text(std::to_string(options.priority));
        }
        conn_->send(p);
        presence_sent_ = true;
    }
    co_return co_await catch_up();
}

asio::awaitable<Result<void, ClientError>> Client::setup_routing()
{
    auto disco = iq("get", next_id());
    disco.set_attr("to", account_.jid.domain());
    disco.add_child("query", ns_str(ns::disco_info));
    const auto info = co_await request(std::move(disco), iq_timeout);
    const bool offers_imng = is_result(info) && has_feature(*info, ns::imng);
    if (offers_imng && account_.allow_imng) {
        // ROUTING.md "Client side": enable right after binding, and never Carbons too.
        auto enable = iq("set", next_id());
        enable.add_child("enable", ns_str(ns::imng));
        const auto answer = co_await request(std::move(enable), iq_timeout);
        if (is_result(answer)) {
            mode_ = Mode::imng;
            mode_reason_.clear();
            co_return Result<void, ClientError>{};
        }
        mode_reason_ = "the server refused IM-NG";
    } else {
        mode_reason_ = !offers_imng ? "the server does not offer IM-NG (urn:xmpp:im-ng:0)"
                                    : "IM-NG is switched off in this profile";
    }
    mode_ = Mode::fallback;
    if (is_result(info) && has_feature(*info, ns::carbons)) {
        auto enable = iq("set", next_id());
        enable.add_child("enable", ns_str(ns::carbons));
        const auto answer = co_await request(std::move(enable), iq_timeout);
        note("fallback: " + mode_reason_ + "; using Carbons + MAM" +
             (is_result(answer) ? "" : " (Carbons refused: MAM only)"));
    } else {
        note("fallback: " + mode_reason_ + "; no Carbons either: MAM only");
    }
    if (!conn_ || conn_->closed()) {
        co_return unexpected(ClientError{ErrorKind::stream, "connection lost after login"});
    }
    co_return Result<void, ClientError>{};
}

asio::awaitable<bool> Client::pump(Duration timeout)
{
    auto stanza = co_await conn_->next(timeout);
    if (stanza) {
        dispatch(std::move(*stanza));
    }
    co_return !conn_->closed();
}

asio::awaitable<std::optional<xml::Element>> Client::request(xml::Element stanza, Duration timeout)
{
    const std::string id(stanza.attr("id"));
    waiting_[id] = std::nullopt;
    conn_->send(stanza);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!waiting_[id] && !conn_->closed() && std::chrono::steady_clock::now() < deadline) {
        const auto left =
            std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
        co_await pump(std::max(left, Duration(1)));
    }
    auto answer = std::move(waiting_[id]);
    waiting_.erase(id);
    co_return answer;
}

asio::awaitable<Result<void, ClientError>> Client::catch_up()
{
    catchup_.begin();
    std::optional<std::string> after = store_.get(keys::cursor);
    for (int page = 0; page < max_mam_pages; ++page) {
        query_id_ = next_id();
        page_.clear();
        auto q = iq("set", next_id());
        auto& query = q.add_child("query", ns_str(ns::mam));
        query.set_attr("queryid", query_id_);
        auto& set = query.add_child("set", ns_str(ns::rsm));
        set.add_child("max", ns_str(ns::rsm)).add_text(std::to_string(mam_page_size));
        if (after) {
            set.add_child("after", ns_str(ns::rsm)).add_text(*after);
        }
        const auto answer = co_await request(std::move(q), iq_timeout);
        if (!answer) {
            catchup_.abort();
            co_return unexpected(ClientError{
                conn_->closed() ? ErrorKind::stream : ErrorKind::timeout,
                conn_->closed() ? "connection lost during catch-up: " + conn_->close_reason()
                                : "the archive did not answer"});
        }
        if (answer->attr("type") != "result") {
            const auto* error = answer->child("error", ns::client);
            if (after && error && error->child("item-not-found", ns::stanza_errors)) {
                // The cursor left the archive (expiry): take the whole archive; the merge
                // drops what is already stored.
                note("the stored cursor is no longer in the archive; syncing it all");
                after.reset();
                continue;
            }
            catchup_.abort();
            co_return unexpected(ClientError{ErrorKind::protocol, "the archive refused the query"});
        }
        const auto* fin = answer->child("fin", ns::mam);
        const auto* rsm = fin ? fin->child("set", ns::rsm) : nullptr;
        const std::string last = rsm ? rsm->child_text("last", ns::rsm) : "";
        commit(catchup_.on_page(std::move(page_), last));
        page_.clear();
        query_id_.clear();
        if (fin == nullptr || fin->attr("complete") == "true" || last.empty()) {
            break;
        }
        after = last;
    }
    commit(catchup_.finish());
    co_return Result<void, ClientError>{};
}

void Client::commit(CommitBatch batch)
{
    if (batch.resync) {
        resync_ = true;
    }
    if (batch.messages.empty() && !batch.cursor) {
        return;
    }
    std::vector<std::pair<std::string, std::string>> extra;
    if (conn_ && conn_->sm_enabled()) {
        extra.emplace_back(keys::sm_h, std::to_string(conn_->inbound_h()));
    }
    if (!store_.commit(batch, extra)) {
        note("the local store refused a write");
        return;
    }
    for (const auto& m : batch.messages) {
        if (!awaited_origin_.empty() && m.origin_id == awaited_origin_ && m.outgoing) {
            awaited_ = m;
        }
        if (on_message) {
            on_message(m);
        }
    }
}
}  // namespace chorus::client
