// XEP-0409 IM Routing-NG activation (the routing rows live in src/router/message_rules).
#pragma once
#include "modules/module.h"
namespace chorus::modules::imng {
ModuleSpec spec();
}
