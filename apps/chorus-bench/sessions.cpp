// apps/chorus-bench/sessions.cpp: idle sessions and account registration, both pipelined through
// Runner::connect_all.
#include "sessions.h"

#include "proc_sample.h"
#include "runner.h"

#include <algorithm>

namespace chorus::bench {
namespace {

class CountingSink final : public MessageSink {
public:
    void on_message(Client&, std::string_view, bool) override { ++messages; }
    std::uint64_t messages = 0;
};

void add_accounts(const Options& options, Runner& runner)
{
    for (int i = 0; i < options.sessions; ++i) {
        ClientSetup setup;
        setup.node = account_node(options, options.first_user + i);
        setup.resource = "idle";
        setup.index = static_cast<std::uint32_t>(i);
        setup.account = static_cast<std::uint32_t>(i);
        runner.worker_for_group(static_cast<std::size_t>(i)).add_client(std::move(setup));
    }
}

}  // namespace

int run_idle(const Options& options, Report& report)
{
    Runner runner(options);
    add_accounts(options, runner);
    std::vector<CountingSink> sinks(runner.worker_count());
    const auto sink_for = [&](Worker& worker) -> MessageSink& {
        for (std::size_t w = 0; w < runner.worker_count(); ++w) {
            if (&runner.worker(w) == &worker) {
                return sinks[w];
            }
        }
        return sinks[0];
    };
    const ProcSample before = sample_processes(options.server_pids);
    const double self_before = self_cpu_seconds();
    const double core_before = core_busy_seconds(options.server_core);
    // Idle sessions keep the small login buffer: the bench's own memory stays per-session small.
    const ConnectSummary login = runner.connect_all(ConnectMode::login, sink_for, 4096);
    const ProcSample after_login = sample_processes(options.server_pids);
    const double self_after = self_cpu_seconds();
    const double core_after = core_busy_seconds(options.server_core);
    runner.save_cache();
    sleep_seconds(options.settle);
    const ProcSample settled = sample_processes(options.server_pids);

    report.text("tls", options.starttls ? "starttls" : "plaintext");
    report.count("sessions", login.ok);
    report.count("logins_failed", login.failed);
    if (!login.first_error.empty()) {
        report.text("first_error", login.first_error);
    }
    report.number("login_seconds", login.seconds, "s", 2);
    report.number("logins_per_s",
                  login.seconds > 0 ? static_cast<double>(login.ok) / login.seconds : 0, "logins/s",
                  0);
    report.number("login_p50_ms", login.latency.quantile(0.5) / 1e6, "ms", 2);
    report.number("login_p99_ms", login.latency.quantile(0.99) / 1e6, "ms", 2);
    report.number(
        "bench_us_per_login",
        login.ok > 0 ? (self_after - self_before) * 1e6 / static_cast<double>(login.ok) : 0, "us",
        0);
    if (login.seconds > 0) {
        report.number("bench_cpu_percent", 100 * (self_after - self_before) / login.seconds, "%",
                      1);
    }
    if (before.ok && settled.ok && login.ok > 0) {
        const double n = static_cast<double>(login.ok);
        report.number("server_us_per_login",
                      (after_login.cpu_seconds - before.cpu_seconds) * 1e6 / n, "us", 0);
        if (core_before >= 0 && core_after >= 0 && login.seconds > 0) {
            const double foreign =
                (core_after - core_before) - (after_login.cpu_seconds - before.cpu_seconds);
            report.number("server_core_foreign_percent",
                          std::max(0.0, 100 * foreign / login.seconds), "%", 1);
        }
        report.count("server_rss_before_kib", before.rss_kib, "KiB");
        report.count("server_rss_after_kib", settled.rss_kib, "KiB");
        report.number(
            "kib_per_session",
            (static_cast<double>(settled.rss_kib) - static_cast<double>(before.rss_kib)) / n, "KiB",
            2);
        if (options.hold > 0) {
            std::uint64_t low = settled.rss_kib;
            std::uint64_t high = settled.rss_kib;
            const auto end = SteadyClock::now() + std::chrono::duration<double>(options.hold);
            while (SteadyClock::now() < end) {
                sleep_seconds(1);
                const ProcSample s = sample_processes(options.server_pids);
                low = std::min(low, s.rss_kib);
                high = std::max(high, s.rss_kib);
            }
            report.count("hold_rss_min_kib", low, "KiB");
            report.count("hold_rss_max_kib", high, "KiB");
            report.count("hold_rss_end_kib", sample_processes(options.server_pids).rss_kib, "KiB");
        }
    } else {
        report.note("no --server-pid (or unreadable): no server memory figures");
    }
    report.count("unexpected_closes", runner.unexpected_closes());
    runner.close_all(5);
    return login.failed > 0 ? 2 : 0;
}

int run_register(const Options& options, Report& report)
{
    Runner runner(options);
    add_accounts(options, runner);
    const ConnectSummary result = runner.connect_all(
        ConnectMode::register_account, [](Worker&) -> MessageSink& { std::abort(); }, 4096);
    report.count("accounts", result.attempted);
    report.count("created", result.ok - result.existed);
    report.count("existed", result.existed);
    report.count("failed", result.failed);
    report.number("seconds", result.seconds, "s", 2);
    if (!result.first_error.empty()) {
        report.text("first_error", result.first_error);
    }
    runner.close_all(2);
    return result.failed > 0 ? 2 : 0;
}

}  // namespace chorus::bench
