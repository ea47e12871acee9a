// fire_and_forget at the end of a job (issue 13, item 2): tasks left to run with no Future
// must finish before the farm shuts down, or be reported if the job ends with an error first.
//   fire_and_forget DIR          20 tasks of 200 ms write DIR/<i>; the client forgets them at
//                                once and its farm shuts down; then it counts the files. One
//                                more task, forgotten too, fails: a line must say so.
//                                One more fails first while its Future is still held: said too.
//   fire_and_forget DIR exit     the same, but the client calls exit(3) at once: a line says
//                                how many tasks will not finish.
//   fire_and_forget DIR throw    the same, but an exception leaves the Client's scope (caught
//                                in main): the farm does not wait for them, and says so.
#include <taskfarm/taskfarm.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

void write_marker(std::string path) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::ofstream(path) << "done\n";
}

void fail_loudly(int code) { throw std::runtime_error("forgotten task " + std::to_string(code) + " failed on purpose"); }

int main(int argc, char** argv) {
    std::filesystem::path dir = argc > 1 ? argv[1] : "fire_and_forget.out";
    std::string mode = argc > 2 ? argv[2] : "";
    try {
        auto client = taskfarm::initialize(argc, argv);
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        {  // a forgotten task that fails while its Future is still held: said as it ends
            auto held = client.submit(fail_loudly, 8);
            taskfarm::fire_and_forget(held);
            held.wait();
        }
        for (int i = 0; i < 20; ++i) taskfarm::fire_and_forget(client.submit(write_marker, (dir / std::to_string(i)).string()));
        if (mode == "exit") std::exit(3);
        if (mode == "throw") throw std::runtime_error("the client gave up");
        taskfarm::fire_and_forget(client.submit(fail_loudly, 7));  // fails with no Future left
    } catch (const std::runtime_error& e) {  // the farm shut down as the exception left its scope
        std::cout << "caught: " << e.what() << std::endl;
        return 0;
    }  // the farm shuts down here
    auto written = std::distance(std::filesystem::directory_iterator(dir), {});
    std::cout << "wrote " << written << " of 20 files after the farm shut down\n";
    std::filesystem::remove_all(dir);
    return written == 20 ? 0 : 1;
}
