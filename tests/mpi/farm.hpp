#pragma once
// The farm every MPI test uses: made once by main on the client rank.

#include <taskfarm/taskfarm.hpp>

namespace test {
taskfarm::Client& client();
}
