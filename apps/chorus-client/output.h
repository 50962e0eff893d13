// apps/chorus-client/output.h: what the commands print, for people or (--json) for scripts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "client/account.h"
#include "client/chat_message.h"
#include "client/client.h"

namespace chorus::client_app {

std::string json_string(std::string_view s);
/// One message: a line for people, or one JSON object.
std::string format_message(const client::ChatMessage& m, bool json);
std::string format_history(const std::vector<client::ChatMessage>& messages, bool json);
std::string format_devices(const std::vector<client::Device>& devices, bool json);
std::string format_error(const client::ClientError& e, bool json);

}  // namespace chorus::client_app
