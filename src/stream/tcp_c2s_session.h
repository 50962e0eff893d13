// TcpC2sSession: a client stream over TCP, with STARTTLS (RFC 6120 §5) or direct TLS
// (XEP-0368): non-blocking reads into the thread's buffer, gather writes, TLS records.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "net/tls_connection.h"
#include "stream/c2s_session.h"

namespace chorus::stream {

/// The stanzas of one gather write as an Asio buffer sequence, read in place (a session
/// keeps no array of buffers for it).
class GatherBuffers {
public:
    using Stanzas = std::vector<router::SharedBytes>;
    class iterator {
    public:
        using iterator_category = std::bidirectional_iterator_tag;
        using value_type = boost::asio::const_buffer;
        using difference_type = std::ptrdiff_t;
        using pointer = const value_type*;
        using reference = value_type;

        iterator() = default;
        explicit iterator(Stanzas::const_iterator at) : at_(at) {}
        value_type operator*() const { return boost::asio::buffer(**at_); }
        iterator& operator++()
        {
            ++at_;
            return *this;
        }
        iterator operator++(int) { return iterator(at_++); }
        iterator& operator--()
        {
            --at_;
            return *this;
        }
        iterator operator--(int) { return iterator(at_--); }
        bool operator==(const iterator& other) const = default;

    private:
        Stanzas::const_iterator at_;
    };

    explicit GatherBuffers(const Stanzas& stanzas) : stanzas_(&stanzas) {}
    iterator begin() const { return iterator(stanzas_->begin()); }
    iterator end() const { return iterator(stanzas_->end()); }

private:
    const Stanzas* stanzas_;
};

class TcpC2sSession final : public C2sSession {
public:
    using tcp = boost::asio::ip::tcp;
    /// remote_address: already admitted to `connections` (released on destruction).
    TcpC2sSession(Server& server, ConnectionSet& connections, tcp::socket socket,
                  boost::asio::ssl::context& tls, bool direct_tls, std::string remote_address);

    void start() override;
    std::string_view transport() const noexcept override { return tls_ ? "tls" : "tcp"; }

private:
    boost::asio::any_io_executor executor() override { return socket_.get_executor(); }
    void write_out(std::size_t count) override;
    void read_next() override { arm_read(); }
    void close_transport(bool abortive) override;
    void end_output() override;
    bool is_secure() const override { return tls_ != nullptr; }
    bool peer_is_loopback() const override;
    bool offers_starttls() const override { return tls_ == nullptr; }
    SaslChannel sasl_channel() const override;

    std::shared_ptr<TcpC2sSession> self()
    {
        return std::static_pointer_cast<TcpC2sSession>(shared_from_this());
    }
    enum class ReadResult { data, again_read, again_write, end };
    /// Reads what the socket has without waiting; data views the thread's read buffer.
    ReadResult try_read(std::string_view& data);
    /// Until the stream is negotiated: STARTTLS, SASL and restarts read in a coroutine.
    boost::asio::awaitable<void> run();
    /// Reads what is there; data views bytes valid until the next suspension.
    boost::asio::awaitable<bool> read_some(std::string_view& data);
    /// Once bound: each read is a callback that parses what came and waits again.
    void arm_read();
    void on_readable(boost::system::error_code ec);
    boost::asio::awaitable<bool> start_tls();
    /// Encrypts and sends tls_backlog_; completes the write when all of it is out.
    void write_tls(std::size_t gathered);

    tcp::socket socket_;
    boost::asio::ssl::context& tls_context_;
    std::unique_ptr<net::TlsConnection> tls_;
    bool direct_tls_;
    std::string tls_backlog_;  // the part of a TLS write the socket did not take yet
};

}  // namespace chorus::stream
