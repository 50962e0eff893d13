// chorusctl password input: from the terminal with echo off, or one line from stdin.
#pragma once

#include <string>

#include "base/result.h"

namespace chorus::ctl {

/// Reads a new password. On a terminal: prompts on stderr with echo off and asks again to
/// confirm. Otherwise: the first line of stdin. Never empty; the error is one line of text.
Result<std::string, std::string> read_new_password();

/// Overwrites a password in memory before it is freed.
void wipe(std::string& secret) noexcept;

}  // namespace chorus::ctl
