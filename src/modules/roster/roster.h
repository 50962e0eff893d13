// RFC 6121 §2 roster management (get, set, remove, pushes) with §2.6 versioning.
#pragma once
#include "modules/module.h"
namespace chorus::modules::roster {
ModuleSpec spec();
}
