// taskfarm::blocks: contiguous blocks as even as possible (blocks.hpp).
#include <taskfarm/blocks.hpp>
#include <taskfarm/client.hpp>

#include <algorithm>

namespace taskfarm {

std::vector<Block> blocks(std::size_t n_items, std::size_t n_blocks) {
    // Asked before n_items is looked at, so that a misplaced call fails on empty input too.
    if (n_blocks == 0) n_blocks = static_cast<std::size_t>(std::max(1, current_client().workers()));
    std::size_t count = std::min(n_blocks, n_items);
    std::vector<Block> result;
    if (count == 0) return result;
    result.reserve(count);
    // The first n_items % count blocks take one item more than the others.
    std::size_t size = n_items / count, larger = n_items % count, begin = 0;
    for (std::size_t index = 0; index < count; ++index) {
        std::size_t end = begin + size + (index < larger ? 1 : 0);
        result.push_back({index, begin, end});
        begin = end;
    }
    return result;
}

}  // namespace taskfarm
