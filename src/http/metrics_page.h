// /metrics: the Prometheus text exposition format (version 0.0.4) of base/metrics.h and of
// gauges read at render time (sessions by transport and state, queue depths).
#pragma once

#include <string>

namespace chorus {
class Server;
}
namespace chorus::stream {
class ConnectionSet;
}

namespace chorus::http {

std::string metrics_page(Server& server, const stream::ConnectionSet& connections);

}  // namespace chorus::http
