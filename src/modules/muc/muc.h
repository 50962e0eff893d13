// XEP-0045 Multi-User Chat on conference.<domain> (the service lives in muc_service.h).
#pragma once
#include "modules/module.h"
namespace chorus::modules::muc {
ModuleSpec spec();
}
