// chorusctl password input (termios): passwords never come from argv, where ps shows them.
#include "password.h"

#include <openssl/crypto.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <iostream>

namespace chorus::ctl {
namespace {

// The terminal settings to put back if a signal arrives while echo is off; otherwise the
// user's shell would be left without echo.
struct termios saved_termios;
volatile std::sig_atomic_t echo_is_off = 0;
constexpr int restored_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

extern "C" void restore_terminal_and_reraise(int sig)
{
    if (echo_is_off) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);  // async-signal-safe
        echo_is_off = 0;
    }
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

/// Turns terminal echo off for its lifetime.
class EchoOff {
public:
    EchoOff()
    {
        if (tcgetattr(STDIN_FILENO, &saved_termios) != 0) {
            return;
        }
        struct termios quiet = saved_termios;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;  // still show the Enter, so the next prompt gets its own line
        for (int sig : restored_signals) {
            std::signal(sig, restore_terminal_and_reraise);
        }
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0) {
            echo_is_off = 1;
        }
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;
    ~EchoOff()
    {
        if (echo_is_off) {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
            echo_is_off = 0;
        }
        for (int sig : restored_signals) {
            std::signal(sig, SIG_DFL);
        }
    }
};

bool read_line(std::string& line)
{
    if (!std::getline(std::cin, line)) {
        return false;
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return true;
}

Result<std::string, std::string> prompt_twice()
{
    std::string first;
    std::string second;
    bool ok = false;
    {
        EchoOff echo_off;
        std::cerr << "New password: " << std::flush;
        ok = read_line(first);
        if (ok && !first.empty()) {
            std::cerr << "Repeat password: " << std::flush;
            ok = read_line(second);
        }
    }
    if (!ok) {
        wipe(first);
        return unexpected(std::string("no password entered"));
    }
    if (first.empty()) {
        return unexpected(std::string("empty password refused"));
    }
    bool same = first == second;
    wipe(second);
    if (!same) {
        wipe(first);
        return unexpected(std::string("passwords do not match"));
    }
    return first;
}

}  // namespace

void wipe(std::string& secret) noexcept
{
    OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

Result<std::string, std::string> read_new_password()
{
    if (isatty(STDIN_FILENO)) {
        return prompt_twice();
    }
    std::string line;
    if (!read_line(line)) {
        return unexpected(std::string("no password on standard input"));
    }
    if (line.empty()) {
        return unexpected(std::string("empty password refused"));
    }
    return line;
}

}  // namespace chorus::ctl
