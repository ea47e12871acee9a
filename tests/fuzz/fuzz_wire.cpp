// libFuzzer target for the wire decoder (make fuzz). Whatever the bytes, decoding must
// either succeed or throw ProtocolError: any other exception, a crash, or a sanitizer
// report is a bug. The input is a sealed frame head; the attachments it announces are
// made up (zero bytes) when they are small enough to make.
#include "wire.hpp"

#include <cstddef>
#include <cstdint>

using namespace taskfarm::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const char> head(reinterpret_cast<const char*>(data), size);
    try {
        auto table = read_attachment_table(head);
        std::uint64_t total = 0;
        for (auto bytes : table.sizes) total += std::min<std::uint64_t>(bytes, std::uint64_t(1) << 32);
        if (total <= (std::uint64_t(1) << 22)) {
            std::vector<taskfarm::Bytes> attachments;
            for (auto bytes : table.sizes) attachments.emplace_back(static_cast<std::size_t>(bytes));
            decode_frame(head, std::move(attachments), [](Message&&) {});
        }
    } catch (const ProtocolError&) {
    }
    try {
        decode_failure(head);
    } catch (const ProtocolError&) {
    }
    return 0;
}
