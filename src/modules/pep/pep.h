// XEP-0163 Personal Eventing Protocol, XEP-0049 private XML, XEP-0402/0411 bookmarks.
#pragma once
#include "modules/module.h"
namespace chorus::modules::pep {
ModuleSpec spec();
}
