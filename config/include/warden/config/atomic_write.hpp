#pragma once

// `write_file_atomically` lives in warden::schedule (the last-fire-times file
// uses it too); config's callers keep including it from here.
#include "warden/schedule/atomic_write.hpp"
