#!/usr/bin/python3
"""Issue 2 (foundation), operations: SIGTERM closes every stream with <system-shutdown/> and
chorusd exits 0; chorusctl adduser/passwd/deluser/listusers against a running server; a bad
config option stops chorusd with a message naming the option.

Devices: juliet/balcony (slixmpp), juliet/raw, romeo/orchard.
"""
import os
import subprocess
import tempfile
import unittest

import harness

USERS = {"juliet": "r0m30myr0m30", "romeo": "j00l1et"}


class Shutdown(unittest.IsolatedAsyncioTestCase):

    async def test_sigterm_sends_system_shutdown_and_exits_zero(self):
        server = harness.Server(users=USERS)
        async with server:
            juliet = await server.client("juliet@localhost/balcony", USERS["juliet"])
            raw = server.raw_login("romeo", USERS["romeo"], resource="orchard")
            before_login = server.raw()
            before_login.open_stream()
            shutdown = juliet.wait_for(lambda x: x.tag == f"{{{harness.NS.streams}}}error", 10)
            server.proc.terminate()  # SIGTERM
            await shutdown
            self.assertEqual(juliet.stream_errors, ["system-shutdown"])
            self.assertEqual(raw.wait_stream_error(timeout=10), "system-shutdown")
            self.assertTrue(raw.wait_closed(timeout=10))
            self.assertEqual(before_login.wait_stream_error(timeout=10), "system-shutdown")
            code = server.proc.wait(timeout=10)
            self.assertEqual(code, 0, f"chorusd exit code; log:\n{server.log_tail()}")
            raw.close()
            before_login.close()

    def test_sigterm_with_no_clients_exits_zero_quickly(self):
        with harness.Server() as server:
            self.assertEqual(server.stop(timeout=5), 0)


class Chorusctl(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(users=USERS).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def can_login(self, user, password):
        raw = self.server.raw()
        try:
            raw.login(user, password)
            return raw.ping()
        except harness.LoginFailed as e:
            self.assertEqual(e.condition, "not-authorized")
            return False
        finally:
            raw.close()

    def test_adduser_then_login(self):
        r = self.server.ctl("adduser", "nurse@localhost", input="n0rs3\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(self.can_login("nurse", "n0rs3"))
        self.assertFalse(self.can_login("nurse", "wrong"))

    def test_adduser_of_an_existing_account_is_refused(self):
        r = self.server.ctl("adduser", "juliet@localhost", input="other\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("already exists", r.stderr)
        self.assertTrue(self.can_login("juliet", USERS["juliet"]), "the old password still works")
        self.assertFalse(self.can_login("juliet", "other"))

    def test_adduser_with_an_empty_password_is_refused(self):
        r = self.server.ctl("adduser", "empty@localhost", input="\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn("empty@localhost", self.server.ctl("listusers").stdout)

    def test_adduser_for_a_foreign_domain_is_refused(self):
        r = self.server.ctl("adduser", "juliet@example.org", input="pw\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("example.org", r.stderr)

    def test_passwd_changes_the_password(self):
        self.server.adduser("tybalt", "0ldpw")
        self.assertTrue(self.can_login("tybalt", "0ldpw"))
        r = self.server.ctl("passwd", "tybalt@localhost", input="n3wpw\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(self.can_login("tybalt", "0ldpw"), "the old password is refused")
        self.assertTrue(self.can_login("tybalt", "n3wpw"), "the new password is accepted")

    def test_passwd_of_a_missing_account_fails(self):
        r = self.server.ctl("passwd", "ghost@localhost", input="pw\n")
        self.assertNotEqual(r.returncode, 0)

    def test_deluser_removes_the_account(self):
        self.server.adduser("benvolio", "b3nv0l10")
        self.assertIn("benvolio@localhost", self.server.ctl("listusers").stdout.split())
        r = self.server.ctl("deluser", "benvolio@localhost")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("benvolio@localhost", self.server.ctl("listusers").stdout.split())
        self.assertFalse(self.can_login("benvolio", "b3nv0l10"))

    def test_listusers(self):
        r = self.server.ctl("listusers")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.split()
        self.assertIn("juliet@localhost", lines)
        self.assertIn("romeo@localhost", lines)
        r = self.server.ctl("listusers", "localhost")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("juliet@localhost", r.stdout.split())
        r = self.server.ctl("listusers", "example.org")
        self.assertNotEqual(r.returncode, 0)

    def test_password_never_on_the_command_line(self):
        r = self.server.ctl("adduser", "paris@localhost", "secret")
        self.assertNotEqual(r.returncode, 0, "an extra argument must not be taken as a password")


class BadConfig(unittest.TestCase):
    """Every bad option stops startup with a message naming it (STYLE.md "Options")."""

    CASES = [
        ("unknown key", {"limits.max_stanza_byte": 10000}, "max_stanza_byte"),
        ("below the RFC 6120 §13.12 floor", {"limits.max_stanza_bytes": 100},
         "limits.max_stanza_bytes"),
        ("wrong type", {"c2s.require_tls": "yes"}, "c2s.require_tls"),
        ("bad enum", {"message_to_bare": "some"}, "message_to_bare"),
        ("too few SCRAM iterations", {"scram_iterations": 1000}, "scram_iterations"),
        ("bad port", {"c2s.port": 70000}, "c2s.port"),
        ("unknown section key", {"c2s.colour": "blue"}, "colour"),
    ]

    def test_bad_options_stop_startup_and_are_named(self):
        for name, settings, option in self.CASES:
            with self.subTest(name), tempfile.TemporaryDirectory() as tmp:
                config = {"domains": ["localhost"], "data_dir": os.path.join(tmp, "data"),
                          "c2s.port": 0, "c2s.direct_tls_port": 0, "c2s.bind": "127.0.0.1"}
                config.update(settings)
                path = os.path.join(tmp, "chorus.toml")
                with open(path, "w") as f:
                    f.write(harness.toml_text(config))
                r = subprocess.run([harness.CHORUSD, "--config", path, "--ready-file",
                                    os.path.join(tmp, "ready")], capture_output=True, text=True,
                                   timeout=20)
                self.assertNotEqual(r.returncode, 0, f"{name}: chorusd must refuse to start")
                self.assertIn(option, r.stderr + r.stdout, name)
                self.assertFalse(os.path.exists(os.path.join(tmp, "ready")), name)

    def test_toml_syntax_error_is_reported(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "chorus.toml")
            with open(path, "w") as f:
                f.write("domains = [\"localhost\"\n[c2s\n")
            r = subprocess.run([harness.CHORUSD, "--config", path], capture_output=True,
                               text=True, timeout=20)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("chorus.toml", r.stderr)

    def test_missing_config_file_is_reported(self):
        r = subprocess.run([harness.CHORUSD, "--config", "/nonexistent/chorus.toml"],
                           capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent/chorus.toml", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
