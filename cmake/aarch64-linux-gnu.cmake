# Cross build for 64-bit Arm Linux (edge boards: Raspberry Pi 5, Jetson, Arm
# servers) with Debian's g++-aarch64-linux-gnu against the sysroot that
# scripts/make-aarch64-sysroot.sh makes from Debian's arm64 packages:
#
#   cmake -S . -B build-aarch64 --toolchain cmake/aarch64-linux-gnu.cmake \
#         -DEFFBENCH_SYSROOT=build-aarch64/sysroot
#
# (`make agent-aarch64` does both.) Tests run the binaries through
# qemu-aarch64 with the sysroot as its library prefix (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(EFFBENCH_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build-aarch64/sysroot" CACHE PATH
    "aarch64 sysroot made by scripts/make-aarch64-sysroot.sh")
get_filename_component(EFFBENCH_SYSROOT "${EFFBENCH_SYSROOT}" ABSOLUTE
                       BASE_DIR "${CMAKE_CURRENT_LIST_DIR}/..")
# CMake's own compiler checks configure projects of their own: hand them the sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EFFBENCH_SYSROOT)
if(NOT EXISTS "${EFFBENCH_SYSROOT}/.effbench-sysroot")
  message(FATAL_ERROR "no aarch64 sysroot at ${EFFBENCH_SYSROOT}: run scripts/make-aarch64-sysroot.sh "
                      "(or make agent-aarch64, which runs it)")
endif()

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_SYSROOT "${EFFBENCH_SYSROOT}")
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Look for libraries and headers only in the sysroot, and for programs
# (protoc, python) only on the host.
set(CMAKE_FIND_ROOT_PATH "${EFFBENCH_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# An aarch64 program starts on this machine only through qemu, with the
# sysroot's loader and libraries (never qemu's -L /usr/aarch64-linux-gnu next
# to the sysroot's libc: two glibc builds in one process hang). The CPU model
# is what tests override with QEMU_CPU.
find_program(EFFBENCH_QEMU_AARCH64 qemu-aarch64)
if(EFFBENCH_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${EFFBENCH_QEMU_AARCH64};-L;${EFFBENCH_SYSROOT}")
endif()
