// RFC 6121 §3 presence subscriptions and §4 presence (broadcast, probes, directed presence).
#pragma once
#include "modules/module.h"
namespace chorus::modules::presence {
ModuleSpec spec();
}
