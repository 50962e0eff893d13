#!/usr/bin/python3
"""XEP-0363 HTTP File Upload: slots on upload.localhost, PUT and GET on the HTTP listener.

juliet asks for slots over TCP (raw stanzas, what slixmpp's xep_0363 sends), PUTs with
urllib and reads back byte for byte, with ranges; a tampered or expired URL, a body of the
wrong size, a file too large and an exhausted quota are each refused with their error.
"""
import os
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import harness

UPLOAD = "urn:xmpp:http:upload:0"
DATA = "jabber:x:data"
MAX = 100000
QUOTA = 300000


def http(method, url, body=None, headers=None):
    headers = dict(headers or {})
    if method == "PUT":  # XEP-0363 §5: the slot's content-type (urllib would send a form's)
        headers.setdefault("Content-Type", "application/octet-stream")
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def slot(raw, name, size, ctype="application/octet-stream"):
    return raw.request(f"<request xmlns='{UPLOAD}' filename='{name}' size='{size}' "
                       f"content-type='{ctype}'/>", to="upload.localhost")


def urls(reply):
    s = reply.find(f"{{{UPLOAD}}}slot")
    assert s is not None, ET.tostring(reply)
    return s.find(f"{{{UPLOAD}}}put").get("url"), s.find(f"{{{UPLOAD}}}get").get("url")


def main():
    config = {"upload.max_file_size": MAX, "upload.quota_per_user": QUOTA,
              "upload.slot_timeout": 10}
    with harness.Server(users={"juliet": "pw1"}, config=config) as server:
        raw = server.raw_login("juliet", "pw1", resource="r")

        # Discovery: the service is an item of the server, with its limit (XEP-0363 §3).
        items = raw.request(f"<query xmlns='{harness.NS.disco_items}'/>", to="localhost")
        assert "upload.localhost" in [i.get("jid") for i in items.iter()], ET.tostring(items)
        info = raw.request(f"<query xmlns='{harness.NS.disco_info}'/>", to="upload.localhost")
        assert UPLOAD in [f.get("var") for f in info.iter(f"{{{harness.NS.disco_info}}}feature")]
        fields = {f.get("var"): f.findtext(f"{{{DATA}}}value")
                  for f in info.iter(f"{{{DATA}}}field")}
        assert fields == {"FORM_TYPE": UPLOAD, "max-file-size": str(MAX)}, fields

        # Slot, PUT, GET back byte for byte.
        content = os.urandom(54321)
        put, get = urls(slot(raw, "holiday photo.jpg", len(content), "image/jpeg"))
        assert put.startswith(f"http://127.0.0.1:{server.http_port}/upload/"), put
        status, headers, _ = http("OPTIONS", put)  # CORS preflight (web clients)
        assert status == 204 and headers["Access-Control-Allow-Origin"] == "*"
        assert "PUT" in headers["Access-Control-Allow-Methods"]
        status, headers, _ = http("PUT", put, content, {"Content-Type": "image/jpeg"})
        assert status == 201, status
        assert headers["Access-Control-Allow-Origin"] == "*"
        status, headers, body = http("GET", get)
        assert status == 200 and body == content, (status, len(body))
        assert headers["Content-Type"] == "image/jpeg"
        assert headers["Content-Length"] == str(len(content))
        status, headers, body = http("HEAD", get)
        assert status == 200 and body == b"" and headers["Content-Length"] == str(len(content))

        # Ranges (RFC 9110 §14): a slice, a suffix, and one past the end.
        status, headers, body = http("GET", get, headers={"Range": "bytes=100-199"})
        assert status == 206 and body == content[100:200], status
        assert headers["Content-Range"] == f"bytes 100-199/{len(content)}"
        status, _, body = http("GET", get, headers={"Range": "bytes=-10"})
        assert status == 206 and body == content[-10:]
        status, headers, _ = http("GET", get, headers={"Range": f"bytes={len(content)}-"})
        assert status == 416 and headers["Content-Range"] == f"bytes */{len(content)}"

        # The same slot twice, a tampered GET, a tampered PUT: refused.
        assert http("PUT", put, content, {"Content-Type": "image/jpeg"})[0] == 409
        assert http("GET", get[:-1] + ("0" if get[-1] != "0" else "1"))[0] == 403
        assert http("GET", get.replace("holiday", "holidax"))[0] == 403
        put2, get2 = urls(slot(raw, "a.bin", 10))
        tampered = put2.replace("&n=10&", "&n=11&")
        assert http("PUT", tampered, b"x" * 11)[0] == 403
        # The body must have the slot's size.
        assert http("PUT", put2, b"x" * 9)[0] == 400
        assert http("PUT", put2, b"x" * 10)[0] == 201
        assert http("GET", get2)[2] == b"x" * 10

        # Too large: <not-acceptable/> with <file-too-large/> and the limit (§4.1 ex. 3).
        reply = slot(raw, "big.iso", MAX + 1)
        assert harness.stanza_error(reply) == "not-acceptable", ET.tostring(reply)
        too_large = reply.find(f"{{jabber:client}}error/{{{UPLOAD}}}file-too-large")
        assert too_large is not None and too_large.findtext(f"{{{UPLOAD}}}max-file-size") == \
            str(MAX), ET.tostring(reply)
        # A PUT past the listener's own body limit (a forged size) is refused before reading.
        assert http("PUT", put2.replace("a.bin", "b.bin"), b"y" * (MAX + 1))[0] in (403, 413)

        # Quota: 54321 + 10 stored; two more slots of MAX fit in 300000, a third does not.
        used = len(content) + 10
        for i in range(2):
            p, _ = urls(slot(raw, f"q{i}.bin", MAX))
            assert http("PUT", p, b"q" * MAX)[0] == 201
            used += MAX
        reply = slot(raw, "over.bin", QUOTA - used + 1)
        assert harness.stanza_error(reply) == "resource-constraint", ET.tostring(reply)
        assert reply.find("{jabber:client}error").get("type") == "wait"

        # An expired PUT URL (slot_timeout 10 s; the signature covers the expiry).
        put3, _ = urls(slot(raw, "late.txt", 3))
        expired = put3.replace("?e=", "?e=1")  # a tampered expiry is a bad signature...
        assert http("PUT", expired, b"abc")[0] == 403
        time.sleep(11)  # ...and a real one runs out
        status, _, body = http("PUT", put3, b"abc")
        assert status == 403 and b"expired" in body, (status, body)

        # Other IQs to the service: service-unavailable; the server is fine.
        reply = raw.request("<query xmlns='jabber:iq:version'/>", to="upload.localhost")
        assert harness.stanza_error(reply) == "service-unavailable", ET.tostring(reply)
        assert raw.ping()
        # The secret is kept in the data dir, so links outlive a restart.
        assert os.path.getsize(os.path.join(server.data_dir, "upload", "secret")) > 32
        print("XEP-0363: slots, PUT/GET byte for byte, ranges, CORS, refusals, quota, expiry")


if __name__ == "__main__":
    sys.exit(main())
