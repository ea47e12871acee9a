#pragma once
// Splitting a range of items into contiguous blocks, one task each: the block analyses of
// PMDA and of MDAnalysis with dask, without writing the arithmetic by hand.

#include <cstddef>
#include <vector>

namespace taskfarm {

// Block `index` of a split: the items [begin, end). Trivially copyable, so a Block is a
// task argument as it is: client.map(analyse, taskfarm::blocks(frames, 16)).
struct Block {
    std::size_t index, begin, end;
};

// [0, n_items) as min(n_blocks, n_items) contiguous blocks, in order and none empty. Their
// sizes differ by at most one, the larger ones first: 10 items in 4 blocks are 3, 3, 2, 2.
// n_blocks == 0 means one block per worker of the running farm (PMDA's n_jobs=-1), and one
// inline; it asks current_client(), so it throws UsageError where that has no client (no
// farm running, a scheduler or worker rank, inside a task), even when n_items is 0.
// n_items == 0 gives no blocks.
std::vector<Block> blocks(std::size_t n_items, std::size_t n_blocks);

}  // namespace taskfarm
