// XEP-0030 Service Discovery (and the XEP-0115 caps hash it feeds).
#pragma once
#include "modules/module.h"
namespace chorus::modules::disco {
ModuleSpec spec();
}
