#!/usr/bin/python3
"""/metrics is served only to the addresses allowed: loopback by default, the CIDR blocks
of http.metrics_allow when set. A client bound to 127.0.0.2 is refused (403) when only
127.0.0.1 is allowed, and 127.0.0.1 is served."""
import http.client
import sys

import harness


def status_from(source, port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    conn.request("GET", "/metrics")
    status = conn.getresponse().status
    conn.close()
    return status


def main():
    with harness.Server() as server:  # the default: any loopback address
        assert status_from("127.0.0.2", server.http_port) == 200
    with harness.Server(config={"http.metrics_allow": ["127.0.0.1/32", "::1"]}) as server:
        assert status_from("127.0.0.1", server.http_port) == 200
        assert status_from("127.0.0.2", server.http_port) == 403
    print("/metrics: loopback by default; http.metrics_allow refuses other peers with 403")


if __name__ == "__main__":
    sys.exit(main())
