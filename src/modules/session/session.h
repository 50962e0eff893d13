// RFC 3921 §3 session establishment, kept for old clients (RFC 6121 Appendix E).
#pragma once
#include "modules/module.h"
namespace chorus::modules::session {
ModuleSpec spec();
}
