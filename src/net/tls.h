// TLS server context (TLS 1.2+) and the self-signed certificate made on first start.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <string>

#include "base/config.h"
#include "base/result.h"

namespace chorus::net {

/// Loads the configured certificate, or creates (once) and loads a self-signed ECDSA P-256
/// certificate for the configured domains in <data_dir>/tls/.
Result<std::unique_ptr<boost::asio::ssl::context>, std::string> make_tls_context(
    const Config& config);

}  // namespace chorus::net
