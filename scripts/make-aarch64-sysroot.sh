#!/usr/bin/env bash
# Makes an aarch64 sysroot for the cross build (cmake/aarch64-linux-gnu.cmake)
# from Debian's arm64 packages, without touching the host's packages or its
# apt configuration: apt runs on a private state directory (its own package
# lists, its own empty dpkg status), downloads the arm64 packages effbench
# builds against with everything they need at run time, and dpkg-deb unpacks
# them into the sysroot. The same sysroot holds the dynamic loader and the
# libraries that qemu-aarch64 runs the binaries with (QEMU_LD_PREFIX).
#
#   scripts/make-aarch64-sysroot.sh [DIR]   (default: build-aarch64/sysroot)
#
# Idempotent: a sysroot whose stamp names the same package list is left alone.
# Needs network access to deb.debian.org (or the mirror in /etc/apt), and
# dpkg-deb, apt-get and gpgv, which every Debian machine has.
set -euo pipefail
cd "$(dirname "$0")/.."

sysroot=$(realpath -m "${1:-build-aarch64/sysroot}")
work="$sysroot.apt"

# What the cross build compiles and links against. Run-time libraries come
# with them as dependencies (libc6, libstdc++6, libgomp1, libssl3, ...).
packages=(
  libc6-dev libstdc++-12-dev libgomp1
  libsqlite3-dev libsqlitecpp-dev
  libboost1.81-dev libboost-url1.81-dev libcli11-dev
  nlohmann-json3-dev libsimdjson-dev
  libdnnl-dev ocl-icd-opencl-dev opencl-c-headers
  libssl-dev zlib1g-dev libpq-dev
  libbenchmark-dev catch2
)
stamp_text="debian bookworm arm64: ${packages[*]}"
if [ -f "$sysroot/.effbench-sysroot" ] && [ "$(cat "$sysroot/.effbench-sysroot")" = "$stamp_text" ]; then
  echo "make-aarch64-sysroot: $sysroot is up to date" >&2
  exit 0
fi

mkdir -p "$work/etc/sources.list.d" "$work/etc/preferences.d" "$work/state/lists/partial" \
         "$work/cache/archives/partial"
: > "$work/state/status"
# The host's Debian sources, or Debian's own mirror where the host has none.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$work/etc/sources.list.d/"
elif [ -f /etc/apt/sources.list ]; then
  grep -E '^deb ' /etc/apt/sources.list > "$work/etc/sources.list.d/debian.list" || true
fi
if [ ! -s "$work/etc/sources.list.d/debian.sources" ] && [ ! -s "$work/etc/sources.list.d/debian.list" ]; then
  cat > "$work/etc/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi

apt_opts=(
  -o "APT::Architecture=arm64" -o "APT::Architectures::=arm64"
  -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/etc/sources.list.d"
  -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d"
  -o "Dir::State=$work/state" -o "Dir::State::status=$work/state/status"
  -o "Dir::Cache=$work/cache" -o "Debug::NoLocking=1"
  -o "APT::Get::AllowUnauthenticated=false" -o "Acquire::Languages=none"
)
echo "make-aarch64-sysroot: reading Debian's arm64 package lists" >&2
apt-get "${apt_opts[@]}" -qq update
echo "make-aarch64-sysroot: downloading ${packages[*]} and what they need" >&2
apt-get "${apt_opts[@]}" -qq -y --no-install-recommends --download-only install "${packages[@]}" >/dev/null

rm -rf "$sysroot.new"
mkdir -p "$sysroot.new/usr/lib" "$sysroot.new/usr/bin" "$sysroot.new/usr/sbin"
# Debian 12 is merged-/usr: /lib is usr/lib. Packages still ship some files
# under /lib, so the same links make them land in one place.
ln -s usr/lib "$sysroot.new/lib"
ln -s usr/bin "$sysroot.new/bin"
ln -s usr/sbin "$sysroot.new/sbin"
count=0
for deb in "$work"/cache/archives/*.deb; do
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$sysroot.new" --keep-directory-symlink \
    --exclude='./usr/share/doc*' --exclude='./usr/share/man*' --exclude='./usr/share/locale*'
  count=$((count + 1))
done
# Absolute links (libfoo.so -> /lib/aarch64-linux-gnu/libfoo.so.1) would
# point into the host: make them relative to the sysroot.
while IFS= read -r link; do
  target=$(readlink "$link")
  case "$target" in
    /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$sysroot.new$target")" "$link" ;;
  esac
done < <(find "$sysroot.new" -type l)
printf '%s' "$stamp_text" > "$sysroot.new/.effbench-sysroot"
rm -rf "$sysroot"
mv "$sysroot.new" "$sysroot"
echo "make-aarch64-sysroot: $count packages in $sysroot ($(du -sh "$sysroot" | cut -f1))" >&2
