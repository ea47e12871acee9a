#!/usr/bin/env bash
# Installs the Debian packages taskfarm builds and tests with. Idempotent: it asks
# apt only for what is missing, so a second run does nothing. Works as root or via sudo.
#   scripts/install-deps.sh           what the build and the tests need
#   scripts/install-deps.sh --bench   also the peers and tools of `make bench`
#   scripts/install-deps.sh --slurm   also Slurm and munge, for the Slurm test tier
set -euo pipefail

packages=(
  g++ make cmake pkg-config
  openmpi-bin libopenmpi-dev
  libboost-mpi-dev libboost-serialization-dev
  libcereal-dev nlohmann-json3-dev
  chromium  # the report's browser tests (headless)
  libgtest-dev googletest
  clang libclang-rt-14-dev
)
case "${1:-}" in
  --bench) packages+=(python3 python3-mpi4py python3-distributed python3-numpy gnuplot-nox) ;;
  # libpmix-dev: Slurm's pmix plugin loads the unversioned libpmix.so.
  --slurm) packages+=(slurmctld slurmd slurm-client munge libpmix-dev) ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
else
  echo "install-deps: missing packages (${missing[*]}) and neither root nor sudo is available" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
