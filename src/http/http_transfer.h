// Moving HTTP bodies without holding them whole: a request body streamed in chunks into a
// route's HttpBodySink, and a response sent from a string or from a range of an open file
// (Beast's file_body reading a few KiB at a time). Only http_server.cpp includes this.
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>

#include "base/result.h"
#include "server/http_routes.h"

namespace chorus::http {

namespace bhttp = boost::beast::http;

/// A File (Beast's concept) that is a window of an open file: file_body sends length bytes
/// from offset, which is how a Range is served.
class FileRange {
public:
    FileRange() = default;
    FileRange(int fd, std::uint64_t offset, std::uint64_t length, boost::beast::error_code& ec)
        : length_(length)
    {
        file_.native_handle(fd);
        file_.seek(offset, ec);
    }
    bool is_open() const { return file_.is_open(); }
    void close(boost::beast::error_code& ec) { file_.close(ec); }
    void open(char const* path, boost::beast::file_mode mode, boost::beast::error_code& ec)
    {
        file_.open(path, mode, ec);
        length_ = ec ? 0 : file_.size(ec);
    }
    std::uint64_t size(boost::beast::error_code& ec) const
    {
        ec = {};
        return length_;
    }
    std::uint64_t pos(boost::beast::error_code& ec) const { return file_.pos(ec); }
    void seek(std::uint64_t offset, boost::beast::error_code& ec) { file_.seek(offset, ec); }
    std::size_t read(void* buffer, std::size_t n, boost::beast::error_code& ec) const
    {
        return file_.read(buffer, n, ec);
    }
    std::size_t write(void const* buffer, std::size_t n, boost::beast::error_code& ec)
    {
        return file_.write(buffer, n, ec);
    }

private:
    boost::beast::file_posix file_;
    std::uint64_t length_ = 0;
};

using FileRangeBody = bhttp::basic_file_body<FileRange>;

template <class Body>
void fill_header(bhttp::response<Body>& res, HttpResponse& r, bool keep_alive)
{
    res.set(bhttp::field::server, "Chorus");
    if (!r.content_type.empty()) {
        res.set(bhttp::field::content_type, r.content_type);
    }
    for (auto& [name, value] : r.headers) {
        res.set(name, value);
    }
    res.keep_alive(keep_alive);
}

/// Writes r (HEAD: its header only) and logs it; the error, if the write failed. r is a
/// reference: GCC 12 destroys a by-value class argument of a co_await'ed call twice.
template <class Stream>
boost::asio::awaitable<boost::system::error_code> send(Stream& stream, HttpResponse&& r,
                                                       const HttpRequest& request, bool head,
                                                       unsigned version, bool keep_alive)
{
    using boost::asio::as_tuple;
    using boost::asio::use_awaitable;
    const auto status = static_cast<bhttp::status>(r.status);
    const std::uint64_t size = r.file ? r.file->length : r.body.size();
    spdlog::debug("http {} {} {} -> {} ({} bytes)", request.peer, request.method, request.path,
                  r.status, size);
    if (r.file && !head) {
        bhttp::response<FileRangeBody> res{status, version};
        fill_header(res, r, keep_alive);
        boost::beast::error_code ec;
        FileRange file(r.file->fd.release(), r.file->offset, r.file->length, ec);
        if (!ec) {
            res.body().reset(std::move(file), ec);
        }
        if (ec) {
            spdlog::warn("http: cannot send a file: {}", ec.message());
            co_return ec;
        }
        res.content_length(size);
        auto [wec, n] = co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
        co_return wec;
    }
    bhttp::response<bhttp::string_body> res{status, version};
    fill_header(res, r, keep_alive);
    if (!head) {
        res.body() = std::move(r.body);
    }
    res.content_length(size);
    auto [wec, n] = co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
    co_return wec;
}

/// Reads the body of head's request into sink, 64 KiB at a time, each chunk within
/// chunk_timeout (a slow upload that keeps moving is fine). The error is the status to
/// answer, or 0 when the connection just ends (the peer left, a timeout).
template <class Stream, class HeadParser>
boost::asio::awaitable<Result<void, int>> read_into(Stream& stream,
                                                    boost::beast::flat_buffer& buffer,
                                                    HeadParser&& head, std::size_t limit,
                                                    HttpBodySink& sink,
                                                    std::chrono::seconds chunk_timeout)
{
    using boost::asio::as_tuple;
    using boost::asio::use_awaitable;
    constexpr std::size_t chunk_size = 64 * 1024;
    bhttp::request_parser<bhttp::buffer_body> parser(std::move(head));
    parser.body_limit(limit);
    const auto chunk = std::make_unique<char[]>(chunk_size);
    while (!parser.is_done()) {
        parser.get().body().data = chunk.get();
        parser.get().body().size = chunk_size;
        boost::beast::get_lowest_layer(stream).expires_after(chunk_timeout);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, as_tuple(use_awaitable));
        if (ec == bhttp::error::need_buffer) {
            ec = {};
        }
        if (ec) {
            co_return unexpected(ec == bhttp::error::body_limit ? 413 : 0);
        }
        const auto got = chunk_size - parser.get().body().size;
        if (got > 0 && !co_await sink.write({chunk.get(), got})) {
            co_return unexpected(500);
        }
    }
    co_return Result<void, int>{};
}

}  // namespace chorus::http
