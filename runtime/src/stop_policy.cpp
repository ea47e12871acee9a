#include "stop_policy.hpp"

#include "signals.hpp"

namespace taskfarm::detail {

StopPolicy::Decision StopPolicy::on_turn(int signal, int failed_status, Clock::time_point now) {
    if (signal == 0) return {};
    if (failed_status >= 0) return {Step::leave, failed_status, {}};
    int status = 128 + signal;
    if (!stopping()) {
        stopping_since_ = now;
        return {Step::drain, status,
                std::string("received ") + signal_name(signal) + ": no new tasks start; this rank leaves with status " +
                    std::to_string(status) + " once what is finished has been delivered"};
    }
    if (now - *stopping_since_ > grace) return {Step::leave, status, {}};
    return {};
}

}  // namespace taskfarm::detail
