// Runs the GoogleTest suite on the client rank; the other ranks serve the farm. The
// suite's status travels with the shutdown, so every rank leaves with the same status.
#include "farm.hpp"

#include <gtest/gtest.h>

namespace {
taskfarm::Client* the_client = nullptr;
}

taskfarm::Client& test::client() { return *the_client; }

int main(int argc, char** argv) {
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) {
        ::testing::InitGoogleTest(&argc, argv);
        the_client = &client;
        return RUN_ALL_TESTS();
    });
}
