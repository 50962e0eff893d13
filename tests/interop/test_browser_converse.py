#!/usr/bin/python3
"""A real web client in a real browser: Converse.js (npm `converse.js`, installed here into
~/.cache/chorus/npm, never into the repository) in Debian's headless Chromium, driven by
chromium-driver through Debian's python3-selenium. Nothing downloads a browser.

juliet logs in over WebSocket (RFC 7395) from a page served by a local HTTP server (another
origin than chorusd's listener, so uploads go through CORS), receives a message from romeo
(slixmpp over TCP) and answers it, sees the history from MAM in a fresh browser profile
(nothing cached locally), and uploads a file (XEP-0363) that romeo gets as a link and
fetches byte for byte. A screenshot is saved (path printed; CHORUS_SCREENSHOT overrides).
"""
import asyncio
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import harness

CACHE = os.path.expanduser(os.environ.get("CHORUS_NPM_CACHE", "~/.cache/chorus/npm"))
CONVERSE_VERSION = "14.0.0"
DIST = os.path.join(CACHE, "node_modules", "converse.js", "dist")
SCREENSHOT = os.environ.get("CHORUS_SCREENSHOT",
                            os.path.join(os.getcwd(), "browser-converse.png"))

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Chorus + Converse.js</title>
<link rel="stylesheet" href="dist/converse.min.css"></head>
<body class="converse-fullscreen">
<script type="module" src="dist/converse.min.js"></script>
<script type="module">
  // A test plugin only hands the API to the test driver.
  converse.plugins.add('chorus-test', {initialize() { window.chorus = this._converse.api; }});
  converse.initialize({
    websocket_url: 'ws://127.0.0.1:%(port)d/xmpp-websocket',
    discover_connection_methods: false,
    auto_login: true, jid: 'juliet@localhost', password: 'pw1',
    view_mode: 'fullscreen', whitelisted_plugins: ['chorus-test'],
    message_archiving: 'always', allow_non_roster_messaging: true,
    omemo_default: false, play_sounds: false, show_controlbox_by_default: true,
    loglevel: 'info',
  });
</script></body></html>
"""


def ensure_converse():
    if os.path.exists(os.path.join(DIST, "converse.min.js")):
        return
    npm = shutil.which("npm")
    assert npm, "npm is needed to fetch converse.js into the cache (scripts/install-deps)"
    os.makedirs(CACHE, exist_ok=True)
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", CACHE,
                    f"converse.js@{CONVERSE_VERSION}"], check=True, timeout=300,
                   stdout=subprocess.DEVNULL)


def serve_page(port):
    root = tempfile.mkdtemp(prefix="chorus-converse-")
    os.symlink(DIST, os.path.join(root, "dist"))
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(PAGE % {"port": port})

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=root))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/index.html"


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", f"--user-data-dir={tempfile.mkdtemp()}"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or
                                            "/usr/bin/chromedriver"), options=opts)


async def until(predicate, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def page_text(driver):
    return driver.execute_script("return document.body.innerText")


async def main():
    ensure_converse()
    config = {"http.consider_websocket_secure": True}  # plain loopback stands in for TLS
    async with harness.Server(users={"juliet": "pw1", "romeo": "pw2"}, config=config) as server:
        httpd, url = serve_page(server.http_port)
        romeo = await server.client("romeo@localhost/pc", "pw2")
        driver = browser()
        try:
            driver.get(url)
            await until(lambda: driver.execute_script(
                "return !!(window.chorus && chorus.connection.connected())"), "the login")
            # juliet opens a chat with romeo (not in her roster); his message appears in it.
            driver.execute_script("chorus.chats.open('romeo@localhost')")
            await until(lambda: driver.execute_script(
                "return !!document.querySelector('.chat-textarea')"), "the chat box")
            romeo.send_message(mto="juliet@localhost", mbody="Hi from TCP", mtype="chat")
            await until(lambda: "Hi from TCP" in page_text(driver), "romeo's message shown")
            from selenium.webdriver.common.by import By
            from selenium.webdriver.common.keys import Keys
            box = driver.find_element(By.CSS_SELECTOR, ".chat-textarea")
            box.send_keys("Hello from the browser")
            box.send_keys(Keys.ENTER)
            got = await romeo.wait_for(
                lambda x: x.tag == "{jabber:client}message" and
                x.findtext("{jabber:client}body") == "Hello from the browser", timeout=20)
            assert got.get("from", "").startswith("juliet@localhost/")

            # A file through XEP-0363: Converse finds upload.localhost, PUTs cross-origin.
            content = os.urandom(2048)
            path = os.path.join(tempfile.mkdtemp(), "notes.bin")
            with open(path, "wb") as f:
                f.write(content)
            driver.find_element(By.CSS_SELECTOR, "input.fileupload").send_keys(path)
            link = await romeo.wait_for(
                lambda x: x.tag == "{jabber:client}message" and
                "/upload/" in (x.findtext("{jabber:client}body") or ""), timeout=30)
            file_url = link.findtext("{jabber:client}body").strip()
            with urllib.request.urlopen(file_url, timeout=10) as r:
                assert r.read() == content, "the uploaded file, byte for byte"
            await until(lambda: driver.execute_script(
                "return !!document.querySelector('.chat-msg__content a[href*=\"/upload/\"],"
                " .chat-msg__content img, .chat-msg__content .chat-msg__media')") or
                "notes.bin" in page_text(driver), "the upload in the chat", timeout=10)
            driver.save_screenshot(SCREENSHOT)
        finally:
            driver.quit()

        # A fresh profile: nothing cached in the browser, so the history comes from MAM.
        driver = browser()
        try:
            driver.get(url)
            await until(lambda: driver.execute_script(
                "return !!(window.chorus && chorus.connection.connected())"), "the second login")
            driver.execute_script("chorus.chats.open('romeo@localhost')")
            await until(lambda: "Hi from TCP" in page_text(driver) and
                        "Hello from the browser" in page_text(driver), "the MAM history")
        finally:
            driver.quit()
        httpd.shutdown()
        print(f"Converse.js in Chromium: login over WebSocket, chat with TCP, upload, MAM "
              f"history after reload; screenshot {SCREENSHOT}")


if __name__ == "__main__":
    sys.exit(harness.run(main()))
