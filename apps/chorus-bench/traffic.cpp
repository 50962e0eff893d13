// apps/chorus-bench/traffic.cpp: the pairs, saturation and fanout scenarios (issue 7): numbered,
// timestamped chat messages to bare JIDs, counted exactly once per expected device.
#include "traffic.h"

#include "proc_sample.h"
#include "runner.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace chorus::bench {
namespace {

enum Phase : int { phase_login, phase_warmup, phase_measure, phase_drain, phase_done };

// A sender whose queue holds more than this is not keeping up with the offered rate: its turn
// is skipped (and counted) so that the bench's memory stays bounded.
constexpr std::size_t backlog_limit = 1024 * 1024;
constexpr std::size_t read_buffer = 32 * 1024;

/// One sender writing numbered messages to one account's bare JID.
struct Flow {
    Client* sender = nullptr;
    std::uint32_t target_account = 0;
    std::uint32_t copies = 1;  // devices that must each get every message
    std::string prefix;        // "<message to='bench0002@localhost' type='chat'><body>cb 17 "
    std::uint64_t sent = 0;
    std::int64_t outstanding = 0;  // copies sent and not yet received
};

struct Receipt {
    std::uint32_t flow = 0;
    SeqTracker tracker;
};

struct Shared {
    explicit Shared(const Options& o) : options(o) {}
    const Options& options;
    bool window_mode = false;
    std::vector<Flow> flows;
    std::vector<std::vector<Receipt>> receipts;  // by client index: the flows it must receive
    std::atomic<int> phase{phase_login};
};

void append_number(std::string& out, std::uint64_t value)
{
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, result.ptr);
}

// "cb FLOW SEQ SENT_NS"; false for any other body.
bool parse_body(std::string_view body, std::uint64_t (&fields)[3])
{
    if (!body.starts_with("cb ")) {
        return false;
    }
    const char* p = body.data() + 3;
    const char* end = body.data() + body.size();
    for (std::uint64_t& field : fields) {
        const auto result = std::from_chars(p, end, field);
        if (result.ec != std::errc()) {
            return false;
        }
        p = result.ptr + (result.ptr < end ? 1 : 0);
    }
    return true;
}

/// The scenario's state on one worker; every flow and receipt it touches lives on that worker.
class Shard final : public MessageSink {
public:
    Shard(Shared& shared, Worker& worker) : shared_(shared), worker_(worker) {}

    std::vector<std::uint32_t> flow_ids;
    std::atomic<std::uint64_t> sent_copies{0};  // written by this worker only
    std::atomic<std::uint64_t> received{0};
    std::uint64_t sent_window = 0;
    std::uint64_t delivered_window = 0;
    std::uint64_t misrouted = 0;
    std::uint64_t foreign = 0;
    std::uint64_t carbons = 0;
    std::uint64_t reflected = 0;
    std::uint64_t skipped = 0;
    Histogram latency;

    void on_message(Client& client, std::string_view body, bool carbon) override
    {
        std::uint64_t fields[3];
        if (!parse_body(body, fields) || fields[0] >= shared_.flows.size()) {
            ++foreign;
            return;
        }
        Flow& flow = shared_.flows[fields[0]];
        if (flow.target_account != client.account()) {
            if (flow.sender->account() == client.account()) {
                ++reflected;  // XEP-0409 reflection of our own account's message (ROUTING.md O1)
            } else {
                ++misrouted;
            }
            return;
        }
        Receipt* receipt = nullptr;
        for (Receipt& r : shared_.receipts[client.index()]) {
            if (r.flow == fields[0]) {
                receipt = &r;
                break;
            }
        }
        if (receipt == nullptr) {
            ++misrouted;  // the right account, but a client that is not one of its devices
            return;
        }
        if (!receipt->tracker.add(fields[1])) {
            return;  // the tracker counts duplicates
        }
        received.store(received.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        carbons += carbon ? 1 : 0;
        --flow.outstanding;
        const int phase = shared_.phase.load(std::memory_order_relaxed);
        if (phase == phase_measure) {
            ++delivered_window;
            const std::uint64_t now = now_ns();
            latency.record(now > fields[2] ? now - fields[2] : 0);
        }
        if (shared_.window_mode) {
            pump(fields[0]);
        }
    }

    void start()
    {
        if (shared_.window_mode) {
            for (std::uint32_t id : flow_ids) {
                pump(id);
            }
            worker_.flush_dirty();
        } else if (!flow_ids.empty()) {
            asio::co_spawn(worker_.io(), pace(), [](std::exception_ptr) {});
        }
    }

private:
    bool sending() const
    {
        const int phase = shared_.phase.load(std::memory_order_relaxed);
        return (phase == phase_warmup || phase == phase_measure) &&
               total_sent_ < shared_.options.max_messages;
    }

    void send(std::uint32_t id)
    {
        Flow& flow = shared_.flows[id];
        std::string& out = flow.sender->output();
        out += flow.prefix;
        append_number(out, flow.sent);
        out += ' ';
        append_number(out, now_ns());
        out += "</body></message>";
        ++flow.sent;
        ++total_sent_;
        flow.outstanding += flow.copies;
        sent_copies.store(sent_copies.load(std::memory_order_relaxed) + flow.copies,
                          std::memory_order_relaxed);
        if (shared_.phase.load(std::memory_order_relaxed) == phase_measure) {
            ++sent_window;
        }
        worker_.mark_dirty(*flow.sender);
    }

    // Window mode: keep between half and all of options.window messages of this flow in flight.
    // Refilling half a window at a time puts several messages in one write: the loopback
    // send (which runs the server's TCP receive path in the bench's time) is per write.
    void pump(std::uint32_t id)
    {
        Flow& flow = shared_.flows[id];
        const std::int64_t limit = std::int64_t{shared_.options.window} * flow.copies;
        if (flow.outstanding > limit / 2) {
            return;
        }
        while (flow.outstanding + flow.copies <= limit && sending()) {
            send(id);
        }
    }

    // Fixed-rate mode: this worker's share of options.rate, spread over its senders in turn.
    asio::awaitable<void> pace()
    {
        const double rate = shared_.options.rate * static_cast<double>(flow_ids.size()) /
                            static_cast<double>(shared_.flows.size());
        asio::steady_timer timer(worker_.io());
        const auto start = SteadyClock::now();
        std::uint64_t due_sent = 0;
        std::size_t next = 0;
        while (sending()) {
            timer.expires_after(std::chrono::milliseconds(1));
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            const std::chrono::duration<double> elapsed = SteadyClock::now() - start;
            const auto due = static_cast<std::uint64_t>(rate * elapsed.count());
            while (due_sent < due && sending()) {
                const std::uint32_t id = flow_ids[next];
                next = next + 1 == flow_ids.size() ? 0 : next + 1;
                ++due_sent;
                if (shared_.flows[id].sender->queued_bytes() > backlog_limit) {
                    ++skipped;
                    continue;
                }
                send(id);
            }
            worker_.flush_dirty();
        }
    }

    Shared& shared_;
    Worker& worker_;
    std::uint64_t total_sent_ = 0;
};

std::string message_prefix(const std::string& jid, std::uint32_t id)
{
    std::string prefix = "<message to='" + jid + "' type='chat'><body>cb ";
    append_number(prefix, id);
    return prefix + " ";
}

// Clients, flows and receipts of the scenario; a group (a pair, or an account with its devices
// and contacts) stays on one worker.
void build(const Options& options, Runner& runner, Shared& shared)
{
    const auto add = [&](std::size_t group, int account, const std::string& resource, bool enable,
                         bool on_peer = false) -> Client& {
        ClientSetup setup;
        setup.node = account_node(options, options.first_user + account);
        setup.resource = resource;
        setup.index = static_cast<std::uint32_t>(shared.receipts.size());
        setup.account = static_cast<std::uint32_t>(account);
        setup.carbons = enable && options.carbons;
        setup.imng = enable && options.imng;
        setup.on_peer = on_peer;
        shared.receipts.emplace_back();
        return runner.worker_for_group(group).add_client(std::move(setup));
    };
    const auto add_flow = [&](Client& sender, int target, const std::vector<Client*>& receivers) {
        const auto id = static_cast<std::uint32_t>(shared.flows.size());
        Flow flow;
        flow.sender = &sender;
        flow.target_account = static_cast<std::uint32_t>(target);
        flow.copies = static_cast<std::uint32_t>(receivers.size());
        const std::string& domain =
            receivers.empty() ? options.domain
                              : receivers[0]->worker().domain(receivers[0]->setup().on_peer);
        flow.prefix =
            message_prefix(account_node(options, options.first_user + target) + "@" + domain, id);
        shared.flows.push_back(std::move(flow));
        for (Client* receiver : receivers) {
            shared.receipts[receiver->index()].push_back(Receipt{id, {}});
        }
    };
    if (options.scenario == Scenario::fanout) {
        const int m = options.accounts;
        for (int a = 0; a < m; ++a) {
            std::vector<Client*> devices;
            for (int d = 1; d <= options.devices; ++d) {
                devices.push_back(&add(a, a, "d" + std::to_string(d), true));
            }
            for (int c = 0; c < options.contacts; ++c) {
                Client& contact = add(a, m + a * options.contacts + c, "c", false);
                add_flow(contact, a, devices);
            }
        }
        return;
    }
    const int n = options.clients + options.clients % 2;
    std::vector<Client*> clients;
    for (int i = 0; i < n; ++i) {
        // With a peer server, odd clients live there: every pair spans the two domains.
        clients.push_back(
            &add(static_cast<std::size_t>(i / 2), i, "b", true, options.peer_port != 0 && i % 2));
    }
    for (int i = 0; i < n; ++i) {
        add_flow(*clients[i], i ^ 1, {clients[i ^ 1]});
    }
}

std::vector<ProcSample> sample_each(const std::vector<int>& pids)
{
    std::vector<ProcSample> out;
    for (int pid : pids) {
        out.push_back(sample_processes({pid}));
    }
    return out;
}

double per(double value, std::uint64_t n)
{
    return n > 0 ? value / static_cast<double>(n) : 0;
}

}  // namespace

int run_traffic(const Options& options, Report& report)
{
    Runner runner(options);
    Shared shared(options);
    shared.window_mode = options.scenario == Scenario::saturation || options.rate <= 0;
    build(options, runner, shared);
    std::vector<std::unique_ptr<Shard>> shards;
    for (std::size_t w = 0; w < runner.worker_count(); ++w) {
        shards.push_back(std::make_unique<Shard>(shared, runner.worker(w)));
    }
    for (std::uint32_t id = 0; id < shared.flows.size(); ++id) {
        for (std::size_t w = 0; w < runner.worker_count(); ++w) {
            if (&runner.worker(w) == &shared.flows[id].sender->worker()) {
                shards[w]->flow_ids.push_back(id);
            }
        }
    }
    const auto shard_of = [&](Worker& worker) -> MessageSink& {
        for (std::size_t w = 0; w < runner.worker_count(); ++w) {
            if (&runner.worker(w) == &worker) {
                return *shards[w];
            }
        }
        return *shards[0];
    };

    const ConnectSummary login = runner.connect_all(ConnectMode::login, shard_of, read_buffer);
    runner.save_cache();
    report.count("logins_ok", login.ok);
    report.count("logins_failed", login.failed);
    report.number("login_seconds", login.seconds, "s", 2);
    if (login.failed > 0) {
        report.text("error", login.first_error);
        runner.close_all(2);
        return 2;
    }
    sleep_seconds(1);  // let the initial presence broadcasts (RFC 6121 §4.2.2) pass

    shared.phase.store(phase_warmup);
    for (std::size_t w = 0; w < runner.worker_count(); ++w) {
        asio::post(runner.worker(w).io(), [&shard = *shards[w]] { shard.start(); });
    }
    sleep_seconds(options.warmup);
    const ProcSample server_start = sample_processes(options.server_pids);
    const std::vector<ProcSample> each_start = sample_each(options.server_pids);
    const double self_start = self_cpu_seconds();
    const double core_start = core_busy_seconds(options.server_core);
    const auto t0 = SteadyClock::now();
    shared.phase.store(phase_measure);
    sleep_seconds(options.duration);
    shared.phase.store(phase_drain);
    const auto t1 = SteadyClock::now();
    const ProcSample server_end = sample_processes(options.server_pids);
    const std::vector<ProcSample> each_end = sample_each(options.server_pids);
    const double self_end = self_cpu_seconds();
    const double core_end = core_busy_seconds(options.server_core);

    const auto drain_deadline = t1 + std::chrono::duration<double>(options.drain);
    const auto drained = [&] {
        for (const auto& shard : shards) {
            if (shard->received.load() < shard->sent_copies.load()) {
                return false;
            }
        }
        return true;
    };
    while (!drained() && SteadyClock::now() < drain_deadline) {
        sleep_seconds(0.01);
    }
    const std::chrono::duration<double> drain_time = SteadyClock::now() - t1;
    shared.phase.store(phase_done);

    std::uint64_t sent = 0, expected = 0, delivered = 0, duplicated = 0, stale = 0;
    std::uint64_t reordered = 0, sent_window = 0, delivered_window = 0, misrouted = 0;
    std::uint64_t foreign = 0, carbons = 0, reflected = 0, skipped = 0;
    Histogram latency;
    for (std::size_t w = 0; w < runner.worker_count(); ++w) {
        runner.worker(w).run_sync([&, &shard = *shards[w]] {
            for (std::uint32_t id : shard.flow_ids) {
                sent += shared.flows[id].sent;
                expected += shared.flows[id].sent * shared.flows[id].copies;
            }
            for (auto& client : runner.worker(w).clients()) {
                for (const Receipt& r : shared.receipts[client->index()]) {
                    delivered += r.tracker.unique();
                    duplicated += r.tracker.duplicates();
                    stale += r.tracker.stale();
                    reordered += r.tracker.out_of_order();
                }
            }
            sent_window += shard.sent_window;
            delivered_window += shard.delivered_window;
            misrouted += shard.misrouted;
            foreign += shard.foreign;
            carbons += shard.carbons;
            reflected += shard.reflected;
            skipped += shard.skipped;
            latency.merge(shard.latency);
        });
    }
    const std::uint64_t unexpected_closes = runner.unexpected_closes();
    runner.close_all(3);

    const double window = std::chrono::duration<double>(t1 - t0).count();
    report.count("senders", shared.flows.size());
    report.count("copies_per_message", shared.flows.empty() ? 0 : shared.flows[0].copies);
    report.text("mode", shared.window_mode ? "window" : "rate");
    if (shared.window_mode) {
        report.count("window", static_cast<std::uint64_t>(options.window), "msgs/sender");
    } else {
        report.number("rate_target", options.rate, "msg/s", 0);
    }
    report.number("measured_seconds", window, "s", 2);
    report.count("sent", sent, "msgs");
    report.count("expected_copies", expected);
    report.count("delivered", delivered, "copies");
    report.count("lost", expected > delivered ? expected - delivered : 0);
    report.count("duplicated", duplicated + stale);
    report.count("misrouted", misrouted);
    report.count("reordered", reordered);
    report.count("carbons_received", carbons);
    report.count("reflections_received", reflected);
    report.count("foreign_messages", foreign);
    report.count("skipped_backlogged", skipped);
    report.count("unexpected_closes", unexpected_closes);
    report.number("drain_seconds", drain_time.count(), "s", 2);
    report.number("offered_per_s", static_cast<double>(sent_window) / window, "msg/s", 0);
    report.number("delivered_per_s", static_cast<double>(delivered_window) / window, "copies/s", 0);
    report.number("latency_p50_us", latency.quantile(0.50) / 1e3, "us", 1);
    report.number("latency_p99_us", latency.quantile(0.99) / 1e3, "us", 1);
    report.number("latency_p999_us", latency.quantile(0.999) / 1e3, "us", 1);
    report.number("latency_max_us", static_cast<double>(latency.max()) / 1e3, "us", 1);
    if (server_start.ok && server_end.ok) {
        const double cpu = server_end.cpu_seconds - server_start.cpu_seconds;
        report.number("server_cpu_seconds", cpu, "s", 2);
        report.number("server_cpu_percent", 100 * cpu / window, "%", 1);
        report.number("server_us_per_delivered", per(cpu * 1e6, delivered_window), "us", 2);
        if (core_start >= 0 && core_end >= 0) {
            const double foreign = (core_end - core_start) - cpu;
            report.number("server_core_foreign_percent", std::max(0.0, 100 * foreign / window), "%",
                          1);
        }
        // Several servers (the two sides of a federation): each one's share as well.
        for (std::size_t i = 0; i < each_start.size() && each_start.size() > 1; ++i) {
            const double own = each_end[i].cpu_seconds - each_start[i].cpu_seconds;
            const std::string name = "server" + std::to_string(i + 1);
            report.number(name + "_cpu_percent", 100 * own / window, "%", 1);
            report.number(name + "_us_per_delivered", per(own * 1e6, delivered_window), "us", 2);
        }
        report.count("server_rss_start_kib", server_start.rss_kib, "KiB");
        report.count("server_rss_end_kib", server_end.rss_kib, "KiB");
    } else {
        report.note("no --server-pid (or unreadable): no server CPU or memory figures");
    }
    report.number("bench_us_per_delivered", per((self_end - self_start) * 1e6, delivered_window),
                  "us", 2);
    // Near 100% the bench, not the server, set the pace.
    report.number("bench_cpu_percent", 100 * (self_end - self_start) / window, "%", 1);
    const bool clean = expected == delivered && duplicated + stale == 0 && misrouted == 0;
    if (!clean) {
        report.note("not every device got every message exactly once");
    }
    return options.strict && !clean ? 1 : 0;
}

}  // namespace chorus::bench
