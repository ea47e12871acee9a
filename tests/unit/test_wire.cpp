#include "wire.hpp"

#include <gtest/gtest.h>

namespace taskfarm::detail {
namespace {

Bytes bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

std::vector<Message> every_kind() {
    TaskSpec spec{42, 0x1234, 0x99, 0x5678, bytes("args")};
    return {Submit{spec},
            Run{spec},
            Finished{7, Outcome::value, bytes("result")},
            Finished{8, Outcome::held, {}},
            Finished{9, Outcome::error, encode_failure({"std::runtime_error", "boom", 3, "node7"})},
            Done{7, true},
            Done{8, false},
            Fetch{8},
            Fetched{8, bytes(std::string(100000, 'x'))},
            Release{8},
            Shutdown{3},
            Stop{-1}};
}

TEST(Wire, EveryMessageKindRoundTrips) {
    for (const auto& message : every_kind()) {
        Bytes frame;
        encode(message, frame);
        auto [decoded, used] = decode_one(frame);
        EXPECT_EQ(used, frame.size());
        EXPECT_EQ(decoded, message) << "kind " << message.index() + 1;
    }
}

TEST(Wire, AFrameCarriesManyMessagesInOrder) {
    auto messages = every_kind();
    Bytes frame;
    for (const auto& message : messages) encode(message, frame);
    std::vector<Message> decoded;
    decode_frame(frame, [&](Message&& m) { decoded.push_back(std::move(m)); });
    EXPECT_EQ(decoded, messages);
}

TEST(Wire, EveryTruncationIsAProtocolError) {
    for (const auto& message : every_kind()) {
        Bytes frame;
        encode(message, frame);
        for (std::size_t size = 1; size < frame.size(); size += 1 + size / 16) {
            std::span<const char> cut(frame.data(), size);
            EXPECT_THROW(decode_frame(cut, [](Message&&) {}), ProtocolError) << "size " << size;
        }
    }
}

TEST(Wire, UnknownKindIsAProtocolError) {
    Bytes frame{char(0x7f), 0, 0};
    EXPECT_THROW(decode_one(frame), ProtocolError);
    Bytes zero{char(0)};
    EXPECT_THROW(decode_one(zero), ProtocolError);
}

TEST(Wire, BadOutcomeAndFlagAreProtocolErrors) {
    Bytes frame;
    encode(Finished{1, Outcome::value, {}}, frame);
    frame[9] = 9;  // the outcome byte follows the kind and the task id
    EXPECT_THROW(decode_one(frame), ProtocolError);

    Bytes done;
    encode(Done{1, true}, done);
    done.back() = 2;
    EXPECT_THROW(decode_one(done), ProtocolError);
}

TEST(Wire, HugeLengthDoesNotAllocate) {
    Bytes frame;
    encode(Fetched{1, bytes("abc")}, frame);
    for (int i = 0; i < 8; ++i) frame[9 + i] = char(0xff);  // the payload length
    EXPECT_THROW(decode_one(frame), ProtocolError);
}

TEST(Wire, TaskFailureRoundTrips) {
    TaskFailure failure{"std::invalid_argument", "negative input", 5, "node12"};
    EXPECT_EQ(decode_failure(encode_failure(failure)), failure);
    auto encoded = encode_failure(failure);
    encoded.pop_back();
    EXPECT_THROW(decode_failure(encoded), ProtocolError);
}

}  // namespace
}  // namespace taskfarm::detail
