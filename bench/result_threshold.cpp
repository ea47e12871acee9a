// How large may a result be and still ride with its task's completion message?
// Measures get() of one task returning N bytes, one task at a time, with the result held
// on the worker (fetched by a second round trip) or sent inline. Run it twice:
//   TASKFARM_INLINE_RESULT_LIMIT=0          mpirun -np 3 build/bench/result_threshold   # all held
//   TASKFARM_INLINE_RESULT_LIMIT=1000000000 mpirun -np 3 build/bench/result_threshold   # all inline
#include <taskfarm/taskfarm.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

std::vector<char> make_result(std::size_t bytes) { return std::vector<char>(bytes, 'r'); }

int main(int argc, char** argv) {
    return taskfarm::run(argc, argv, [](taskfarm::Client& client) {
        const char* limit = std::getenv("TASKFARM_INLINE_RESULT_LIMIT");
        std::printf("# inline result limit: %s\n# bytes  median_us  min_us  max_us\n", limit ? limit : "(default)");
        for (std::size_t bytes = 1024; bytes <= (std::size_t(16) << 20); bytes *= 4) {
            int repeats = bytes <= (std::size_t(256) << 10) ? 400 : 40;
            std::vector<double> micros;
            for (int i = 0; i < repeats + 5; ++i) {
                auto start = std::chrono::steady_clock::now();
                auto result = client.submit(make_result, bytes).get();
                auto took = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
                if (i >= 5 && result.size() == bytes) micros.push_back(took);  // the first few warm up
            }
            std::sort(micros.begin(), micros.end());
            std::printf("%9zu  %9.1f  %6.1f  %6.1f\n", bytes, micros[micros.size() / 2], micros.front(), micros.back());
        }
    });
}
