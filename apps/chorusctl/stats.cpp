// chorusctl stats and s2s: GET /metrics or /admin/s2s (Beast, blocking) and print it.
#include "stats.h"

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <sstream>

#include "commands.h"

namespace chorus::ctl {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

std::string format_stats(const std::string& exposition)
{
    std::istringstream in(exposition);
    std::string line, out, help, pending_title;
    bool printed_title = false;
    while (std::getline(in, line)) {
        if (line.starts_with("# HELP ")) {
            const auto rest = line.substr(7);
            const auto space = rest.find(' ');
            pending_title = fmt::format("{} ({})", rest.substr(space + 1), rest.substr(0, space));
            printed_title = false;
            continue;
        }
        if (line.empty() || line.starts_with('#')) {
            continue;
        }
        const auto space = line.rfind(' ');
        const auto name = line.substr(0, space);
        const auto value = line.substr(space + 1);
        if (value == "0" || name.find("_bucket{") != std::string::npos) {
            continue;  // a person wants what happened, not the empty rows and the buckets
        }
        if (!printed_title) {
            out += pending_title + '\n';
            printed_title = true;
        }
        const auto brace = name.find('{');
        const auto labels = brace == std::string::npos
                                ? std::string(name.substr(0, brace))
                                : name.substr(brace + 1, name.size() - brace - 2);
        out += fmt::format("  {:<48} {}\n", labels, value);
    }
    return out;
}

std::optional<std::string> http_get(const std::string& url, std::string_view what)
{
    if (!url.starts_with("http://")) {
        fail(fmt::format("{}: only http:// URLs (the listener's loopback port) are read", what));
        return std::nullopt;
    }
    auto rest = url.substr(7);
    const auto slash = rest.find('/');
    const auto target = slash == std::string::npos ? std::string("/") : rest.substr(slash);
    const auto hostport = rest.substr(0, slash);
    const auto colon = hostport.rfind(':');
    const auto host = hostport.substr(0, colon);
    const auto port = colon == std::string::npos ? std::string("80") : hostport.substr(colon + 1);
    try {  // Beast's blocking calls throw; this is our boundary with them
        asio::io_context io;
        beast::tcp_stream stream(io);
        stream.expires_after(std::chrono::seconds(10));
        asio::ip::tcp::resolver resolver(io);
        stream.connect(resolver.resolve(host, port));
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, hostport);
        http::write(stream, req);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        http::read(stream, buffer, res);
        if (res.result() != http::status::ok) {
            fail(fmt::format("{}: {} answered {}", what, url, res.result_int()));
            return std::nullopt;
        }
        return std::move(res.body());
    } catch (const std::exception& e) {
        fail(fmt::format("{}: cannot read {}: {}", what, url, e.what()));
        return std::nullopt;
    }
}

int stats(const Config& config, std::string url)
{
    if (url.empty()) {
        url = fmt::format("http://{}:{}/metrics", config.http.bind, config.http.port);
    }
    const auto body = http_get(url, "stats");
    if (!body) {
        return exit_failure;
    }
    std::cout << format_stats(*body);
    return exit_ok;
}

int s2s(const Config& config, std::string url, bool json)
{
    if (url.empty()) {
        url = fmt::format("http://{}:{}/admin/s2s", config.http.bind, config.http.port);
    }
    const auto body = http_get(json ? url : url + "?format=text", "s2s");
    if (!body) {
        return exit_failure;
    }
    std::cout << *body;
    return exit_ok;
}

}  // namespace chorus::ctl
