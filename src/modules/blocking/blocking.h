// XEP-0191 Blocking Command.
#pragma once
#include "modules/module.h"
namespace chorus::modules::blocking {
ModuleSpec spec();
}
