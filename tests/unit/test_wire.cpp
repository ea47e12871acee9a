#include "every_message.hpp"
#include "resources.hpp"
#include "wire.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace taskfarm::detail {
namespace {

using samples::bytes;

std::vector<Message> every_kind() { return samples::every_message(); }

std::vector<Message> decode_all(Frame frame) {
    std::vector<Message> decoded;
    decode_frame(frame.head, std::move(frame.attachments), [&](Message&& m) { decoded.push_back(std::move(m)); });
    return decoded;
}

Frame sealed(const std::vector<Message>& messages) {
    Frame frame;
    for (const auto& message : messages) encode(message, frame);
    seal(frame);
    return frame;
}

// One message alone, without a frame around it.
Bytes encoded(const Message& message) {
    Frame frame;
    encode(message, frame);
    return frame.head;
}

Message decode_alone(std::span<const char> bytes) {
    Attachments none({});
    return decode_one(bytes, none).first;
}

TEST(Wire, EveryMessageKindRoundTrips) {
    for (const auto& message : every_kind()) {
        EXPECT_EQ(decode_all(sealed({message})), std::vector<Message>{message}) << "kind " << message.index() + 1;
    }
}

TEST(Wire, AFrameCarriesManyMessagesInOrder) {
    auto messages = every_kind();
    EXPECT_EQ(decode_all(sealed(messages)), messages);
}

TEST(Wire, LargeByteStringsTravelAsAttachmentsNotInTheHead) {
    Bytes big(attachment_threshold, 'b');
    Bytes small(attachment_threshold - 1, 's');
    std::vector<Message> messages{Fetched{1, big}, Fetched{2, small}, detail::Run{{3, 1, 0, 0, 0, 1, 0, 0, 0, false, false, {}, {}, big}}};
    auto frame = sealed(messages);
    ASSERT_EQ(frame.attachments.size(), 2u);
    EXPECT_LT(frame.head.size(), small.size() + 200);
    EXPECT_EQ(read_attachment_table(frame.head).sizes, (std::vector<std::uint64_t>{big.size(), big.size()}));
    EXPECT_EQ(decode_all(std::move(frame)), messages);
}

TEST(Wire, MissingOrExtraAttachmentsAreProtocolErrors) {
    auto frame = sealed({Fetched{1, Bytes(attachment_threshold, 'x')}});
    auto missing = frame;
    missing.attachments.clear();
    EXPECT_THROW(decode_all(missing), ProtocolError);
    auto wrong_size = frame;
    wrong_size.attachments[0].push_back('y');
    EXPECT_THROW(decode_all(wrong_size), ProtocolError);
    auto extra = sealed({Fetch{1}});
    extra.attachments.push_back(Bytes(attachment_threshold));
    EXPECT_THROW(decode_all(extra), ProtocolError);
}

TEST(Wire, EveryTruncationIsAProtocolError) {
    for (const auto& message : every_kind()) {
        auto frame = sealed({message});
        for (std::size_t size = 0; size < frame.head.size(); size += 1 + size / 16) {
            Frame cut{Bytes(frame.head.begin(), frame.head.begin() + static_cast<std::ptrdiff_t>(size)), frame.attachments};
            EXPECT_THROW(decode_all(cut), ProtocolError) << "size " << size;
        }
        auto message_only = encoded(message);
        for (std::size_t size = 0; size < message_only.size(); size += 1 + size / 16)
            EXPECT_THROW(decode_alone(std::span<const char>(message_only.data(), size)), ProtocolError);
    }
}

TEST(Wire, UnknownKindIsAProtocolError) {
    Bytes frame{char(0x7f), 0, 0};
    EXPECT_THROW(decode_alone(frame), ProtocolError);
    Bytes zero{char(0)};
    EXPECT_THROW(decode_alone(zero), ProtocolError);
}

TEST(Wire, BadOutcomeAndFlagAreProtocolErrors) {
    auto finished = encoded(Finished{1, Outcome::value, {}});
    finished[9] = 9;  // the outcome byte follows the kind and the task id
    EXPECT_THROW(decode_alone(finished), ProtocolError);

    auto done = encoded(Done{1, true});
    done[done.size() - 1 - sizeof(std::uint64_t)] = 2;  // the held flag, before the bytes held
    EXPECT_THROW(decode_alone(done), ProtocolError);
    auto bytes_not_held = encoded(Done{1, false, 0, 10});
    EXPECT_THROW(decode_alone(bytes_not_held), ProtocolError);
}

TEST(Wire, HugeLengthDoesNotAllocate) {
    auto fetched = encoded(Fetched{1, bytes("abc")});
    for (int i = 0; i < 8; ++i) fetched[9 + i] = char(0x7f);  // the payload length
    EXPECT_THROW(decode_alone(fetched), ProtocolError);
}

TEST(Wire, TaskFailureRoundTrips) {
    TaskFailure failure{"std::invalid_argument", "negative input", 5, "node12", 3};
    EXPECT_EQ(decode_failure(encode_failure(failure)), failure);
    auto encoded = encode_failure(failure);
    encoded.pop_back();
    EXPECT_THROW(decode_failure(encoded), ProtocolError);
}

TEST(Wire, ResourceRequestsMustBePositiveAndInNameOrder) {
    for (auto request : {ResourceRequest{{"gpu", -1}}, ResourceRequest{{"gpu", 0}},
                         ResourceRequest{{"ssd", 1}, {"gpu", 1}}, ResourceRequest{{"gpu", 1}, {"gpu", 1}}}) {
        TaskSpec spec;
        spec.task = 1;
        spec.resources = request;
        EXPECT_THROW(decode_alone(encoded(Submit{spec})), ProtocolError) << resources_text(request);
    }
}

TEST(Wire, TraceEventsRoundTripAndMalformedOnesAreProtocolErrors) {
    EventBatch batch{{{40, 2, 1, 10, 20, 30, 0, 8, 16, 3, 2}, {44, 1, 1, 10, 31, 32, 1, 8, 16, 0, 0}},
                     {{0, 1, true, 25}, {0, 2, false, 29}},
                     {{30, 3, 1u << 20, 5, 9}},
                     {{50, 2, 1, 4096}}};
    auto bytes = encode_events(batch);
    EXPECT_EQ(decode_events(bytes), batch);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut)
        EXPECT_THROW(decode_events(std::span<const char>(bytes.data(), cut)), ProtocolError) << "cut at " << cut;
    auto huge = bytes;
    std::uint64_t count = std::uint64_t(1) << 60;
    std::memcpy(huge.data(), &count, sizeof count);
    EXPECT_THROW(decode_events(huge), ProtocolError) << "a count past the end allocates nothing";
    auto flag = bytes;
    flag[8 + 8 + 4 + 4 + 8 * 3] = 2;  // after the count: the first attempt's outcome
    EXPECT_THROW(decode_events(flag), ProtocolError);
    // The chunk's element runs must be those that follow, and only a chunk has any.
    auto element_runs_at = 8 + 8 + 4 + 4 + 8 * 3 + 1 + 8 * 2 + 4;  // the first attempt's (an attempt: 65 bytes)
    auto fewer = bytes;
    fewer[std::size_t(element_runs_at)] = 1;
    EXPECT_THROW(decode_events(fewer), ProtocolError);
    auto not_a_chunk = bytes;
    not_a_chunk[std::size_t(element_runs_at)] = 1;  // the first's 1, and the second's (no chunk) 1
    not_a_chunk[std::size_t(element_runs_at) + 65] = 1;
    EXPECT_THROW(decode_events(not_a_chunk), ProtocolError);
    auto longer = bytes;
    longer.push_back('x');
    EXPECT_THROW(decode_events(longer), ProtocolError);
}

TEST(Wire, AnInputMustBeAnEarlierTaskHeldByARank) {
    for (auto input : {TaskInput{0, 0, -1}, TaskInput{42, 0, -1}, TaskInput{50, 0, 2}, TaskInput{3, 0, -2}}) {
        TaskSpec spec;
        spec.task = 42;
        spec.inputs = {input};
        EXPECT_THROW(decode_alone(encoded(detail::Run{spec})), ProtocolError) << input.task << " held by " << input.holder;
    }
    Bytes held_input = encoded(Input{3, 0, Outcome::held, {}});
    EXPECT_THROW(decode_alone(held_input), ProtocolError);
}

TEST(Wire, TaskFailureCarriesItsCause) {
    for (auto cause : {TaskError::Cause::exception, TaskError::Cause::crash, TaskError::Cause::timeout,
                       TaskError::Cause::poisoned, TaskError::Cause::worker_lost, TaskError::Cause::dependency,
                       TaskError::Cause::undecodable}) {
        TaskFailure failure{"signal SIGSEGV", "killed", 2, "node3", 1, cause};
        EXPECT_EQ(decode_failure(encode_failure(failure)).cause, cause) << to_string(cause);
    }
    auto encoded = encode_failure({"x", "y", 2, "h", 1, TaskError::Cause::undecodable});
    encoded.back() = char(static_cast<std::uint8_t>(TaskError::Cause::undecodable) + 1);
    EXPECT_THROW(decode_failure(encoded), ProtocolError) << "a cause this build does not know";
}

}  // namespace
}  // namespace taskfarm::detail
