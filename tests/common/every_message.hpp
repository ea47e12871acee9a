#pragma once
// One message of every kind, with every field set: for the wire round-trip tests and the
// fuzzer's seed corpus.

#include "wire.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace taskfarm::detail::samples {

inline Bytes bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

inline std::vector<Message> every_message() {
    TaskSpec spec{42, 0x1234, 0x99, 0x5678, 2, 3, 1'500'000'000, 64, -7, true, true, {{"gpu", 1.5}, {"ssd", 1}},
                  {{40, 0, 2}, {30, 5, 1}, {41, 0, -1}}, bytes("args")};
    return {Submit{spec},
            Run{spec},
            Finished{7, Outcome::value, bytes("result")},
            Finished{8, Outcome::held, {}},
            Finished{9, Outcome::error, encode_failure({"std::runtime_error", "boom", 3, "node7", 2})},
            Done{7, true, 1234, 4096},
            Done{8, false},
            Fetch{8},
            Fetched{8, bytes(std::string(100000, 'x'))},
            Release{8},
            Shutdown{3},
            Stop{-1},
            Retry{spec},
            Started{42},
            Drain{},
            Heartbeat{},
            WorkerLost{3},
            Failed{5},
            FetchInput{30, 5},
            Input{30, 5, Outcome::value, bytes("an input")},
            Input{31, 0, Outcome::error, encode_failure({"std::runtime_error", "gone", 2, "node2", 1})},
            CollectEvents{123456789},
            Events{123456789, 987654321,
                   encode_events({{{40, 1, 0, 10, 20, 30, 1, 8, 16, 0, 0}, {42, 2, 1, 11, 21, 31, 0, 8, 0, 3, 2}},
                                  {{0, 1, true, 25}, {2, 1, false, 29}},
                                  {{30, 3, 1u << 20, 5, 9}},
                                  {{50, 2, 1, 4096}}})}};
}

}  // namespace taskfarm::detail::samples
