// XEP-0199 XMPP Ping.
#pragma once
#include "modules/module.h"
namespace chorus::modules::ping {
ModuleSpec spec();
}
