#pragma once
// The umbrella header: everything a taskfarm program needs.

#include <taskfarm/blocks.hpp>
#include <taskfarm/client.hpp>
#include <taskfarm/error.hpp>
#include <taskfarm/future.hpp>
#include <taskfarm/imap.hpp>
#include <taskfarm/launch.hpp>
#include <taskfarm/options.hpp>
#include <taskfarm/random.hpp>
#include <taskfarm/serialize.hpp>
#include <taskfarm/wait.hpp>
