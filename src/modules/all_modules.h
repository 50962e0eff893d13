// The one list of modules (DESIGN.md): order is load order, dependencies first.
#pragma once

#include <vector>

#include "modules/module.h"

namespace chorus::modules {
std::vector<ModuleSpec> all_modules();
}
