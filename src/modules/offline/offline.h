// XEP-0160 offline message storage with XEP-0203 delay stamps.
#pragma once
#include "modules/module.h"
namespace chorus::modules::offline {
ModuleSpec spec();
}
