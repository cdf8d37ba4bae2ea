# cma_alloc_bulk for Linux 6.12: build, boot and test the patch series.
# See README.md. Targets: all (demo), check, bench, vmem, tree, export, lint.

CACHE_DIR ?= $(HOME)/.cache/cma-bulk
export CCACHE_DIR ?= $(CACHE_DIR)/ccache
JOBS ?= $(shell nproc)

B := build

# ARCH=arm64 cross-builds both kernels and the selftests with Debian's
# aarch64 toolchain and boots them on QEMU's virt machine (TCG); its objects
# and results go under build/arm64 (build/arm64-16k with ARM64_PAGES=16K).
# The default is the host's x86-64.
ARCH ?= x86_64
ARM64_PAGES ?= 4K
ARM64_TOOLCHAIN := gcc-aarch64-linux-gnu libc6-dev-arm64-cross
ifeq ($(ARCH),arm64)
KARCH := arm64
CROSS_COMPILE := aarch64-linux-gnu-
IMAGE := arch/arm64/boot/Image
ARCH_DEPS := $(ARM64_TOOLCHAIN) qemu-system-arm
ARCH_FRAGMENTS := configs/arch-arm64.config
# The guest's busybox: Debian's busybox-static for arm64, downloaded (not
# installed) by vm/fetch-busybox.sh.
BUSYBOX := $(CACHE_DIR)/arm64/busybox
BUSYBOX_DEP := $(BUSYBOX)
ifeq ($(ARM64_PAGES),16K)
ARCH_FRAGMENTS += configs/arch-arm64-16k.config
AB := $(B)/arm64-16k
else ifeq ($(ARM64_PAGES),4K)
AB := $(B)/arm64
else
$(error ARM64_PAGES=$(ARM64_PAGES): use 4K or 16K)
endif
else ifneq ($(filter x86_64 x86,$(ARCH)),)
KARCH := x86
CROSS_COMPILE :=
IMAGE := arch/x86/boot/bzImage
ARCH_DEPS := qemu-system-x86
ARCH_FRAGMENTS := configs/arch-x86.config
BUSYBOX := /bin/busybox
BUSYBOX_DEP :=
AB := $(B)
else
$(error ARCH=$(ARCH): the harness supports x86_64 and arm64)
endif
# Every script below, and kbuild, see these.
override ARCH := $(KARCH)
export ARCH CROSS_COMPILE
export VM_ARCH := $(KARCH)
# Another tree (a git worktree, say) can be tested with
# `make check SRC=... OBJ=... RES=... TREE=`; TREE= skips assembling build/src.
SRC ?= $(B)/src
OBJ ?= $(AB)/obj
RES ?= $(AB)/results
TREE ?= tree-for-build
TARBALL := $(B)/base/linux-source.tar.xz
# The series' selftests, and the dma-buf heap tests its chunk heap must pass.
KSELFTESTS := cma_bulk dmabuf-heaps
# Fragments for both kernels; the series' own selftest fragment comes last.
FRAGMENTS = configs/base.config $(ARCH_FRAGMENTS) configs/$*.config \
	$(wildcard $(SRC)/tools/testing/selftests/cma_bulk/config)

# The VM for `make check` and for the demo/bench.
CHECK_MEM ?= 1536
CHECK_CMA ?= 384M
CHECK_TIMEOUT ?= $(if $(filter arm64,$(KARCH)),4800,2400)
KSFT_TIMEOUT ?= $(if $(filter arm64,$(KARCH)),2400)
BENCH_MEM ?= 2048
BENCH_CMA ?= 512M
BENCH_TIMEOUT ?= 3600

DEPS := gcc make flex bison bc libelf-dev libssl-dev cpio busybox-static \
	ccache gnuplot-nox python3 git xz-utils perl rsync e2fsprogs \
	$(ARCH_DEPS)

# Run kbuild without our own command-line variables (FORCE=1 and friends).
KMAKE = env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES -u MAKELEVEL \
	make -C $(SRC) O=$(abspath $(OBJ)-$*) CC="ccache $(CROSS_COMPILE)gcc" -j$(JOBS)

.PHONY: all demo check check-all bench bench-check vmem base tree tree-for-build export lint bisect-build deps clean
.DELETE_ON_ERROR:
.SECONDARY:

all: demo

deps:
	@scripts/install-deps.sh $(DEPS)

# Debian's linux-source-6.12 at the version pinned in scripts/fetch-base.sh
# (BASE_VERSION=... overrides the pin) while the archive serves it or the
# cache holds it, else the newest 6.12.y the archive serves. Checked on
# every run; TARBALL links to the tarball of that version, extracted once.
base: | deps
	@scripts/fetch-base.sh "$(CACHE_DIR)" $(TARBALL)

# Reassembles only when patches/ and build/src disagree, or build/src is
# on another base; refuses to throw away unexported work unless FORCE=1.
tree: base
	@scripts/assemble-tree.sh $(TARBALL) $(SRC) patches

# The build targets use build/src as it is when it holds unexported work.
tree-for-build: base
	@KEEP_WORK=1 scripts/assemble-tree.sh $(TARBALL) $(SRC) patches

$(CACHE_DIR)/%/busybox: | deps
	@vm/fetch-busybox.sh $* $@

export:
	@scripts/export-series.sh $(SRC) patches

$(OBJ)-%/.config: $(TREE) configs/base.config $(ARCH_FRAGMENTS) configs/%.config \
		$(wildcard $(SRC)/tools/testing/selftests/cma_bulk/config)
	@scripts/configure-kernel.sh $(SRC) $(OBJ)-$* $(FRAGMENTS)

kernel-%: $(OBJ)-%/.config
	@echo "build: $* kernel (ccache in $(CCACHE_DIR))"
	@$(KMAKE) -s $(notdir $(IMAGE))

kselftest-%: $(OBJ)-%/.config
	@$(KMAKE) -s headers >/dev/null
	@$(KMAKE) -s TARGETS="$(KSELFTESTS)" USERLDFLAGS=-static \
		INSTALL_PATH=$(abspath $(OBJ)-$*/kselftest_install) kselftest-install >/dev/null

initramfs-%: kselftest-% $(BUSYBOX_DEP)
	@vm/build-initramfs.sh $(BUSYBOX) $(SRC) $(OBJ)-$* $(OBJ)-$*/kselftest_install $(OBJ)-$*/initramfs.cpio

# CHECK_ARGS=-t,cma_bulk:cma_bulk_busy runs part of the selftests (the
# arguments of run_kselftest.sh, comma-separated); KUnit always runs.
# vm/expected-tests.txt lists the tests the check expects.
CHECK_ARGS ?=
# KSFT_TIMEOUT, if set, overrides the kselftests' 900 s per program
# (run_kselftest.sh -o): under TCG an arm64 guest runs cma_bulk_busy about
# twice as slowly as an x86-64 one.
comma := ,
CHECK_RUN_ARGS = $(CHECK_ARGS)$(if $(KSFT_TIMEOUT),$(if $(CHECK_ARGS),$(comma))-o$(comma)$(KSFT_TIMEOUT))
check: kernel-test initramfs-test
	@rc=0; VM_APPEND="$(if $(CHECK_RUN_ARGS),harness.check=$(CHECK_RUN_ARGS))" VM_MEM=$(CHECK_MEM) VM_CMA=$(CHECK_CMA) VM_TIMEOUT=$(CHECK_TIMEOUT) \
		vm/run-vm.sh $(OBJ)-test/$(IMAGE) $(OBJ)-test/initramfs.cpio \
		check $(RES)/console-check.log $(RES)/results-check.log || rc=$$?; \
	CHECK_ARGS="$(CHECK_ARGS)" vm/collect-results.py $(abspath $(SRC)) $(RES)/console-check.log \
		$(RES)/results-check.log $(RES)/check.ktap check $$rc

# Both architectures, one after the other: x86-64 (build/results) and
# arm64 (build/arm64/results).
check-all:
	@$(MAKE) --no-print-directory check ARCH=x86_64
	@$(MAKE) --no-print-directory check ARCH=arm64

# The benchmark lives in bench/, outside the series: an out-of-tree module
# (bench/kmod, built with kbuild's M= against the bench kernel of SRC) that
# runs and times the methods and the floors, the program that drives it
# (bench/cma_bulk_bench.c) and the virtio-mem experiment's guest program,
# both static. Kbuild of 6.12 writes an external module's objects beside its
# sources, so the module is built from a copy under OBJ-<kernel>/bench-src;
# what the guest gets goes to OBJ-<kernel>/bench and lands in /bench.
BENCH_KERNELS := bench vmem vmem-debug
BENCH_CC = $(CROSS_COMPILE)gcc -static -O2 -Wall \
	-isystem $(abspath $(OBJ)-$*)/usr/include \
	-I$(abspath $(SRC))/tools/testing/selftests/cma_bulk
$(addprefix bench-,$(BENCH_KERNELS)): bench-%: kernel-% kselftest-%
	@rm -rf $(OBJ)-$*/bench $(OBJ)-$*/bench-src
	@mkdir -p $(OBJ)-$*/bench $(OBJ)-$*/bench-src/kmod
	@$(BENCH_CC) -o $(OBJ)-$*/bench/cma_bulk_bench bench/cma_bulk_bench.c
	@$(BENCH_CC) -o $(OBJ)-$*/bench/cma_bulk_bench_test bench/cma_bulk_bench_test.c
	@$(BENCH_CC) -o $(OBJ)-$*/bench/virtio_mem_unplug bench/virtio_mem_unplug.c -lpthread
	@if grep -q '^CONFIG_MODULES=y' $(OBJ)-$*/.config; then \
		cp bench/cma_bulk_bench.h $(OBJ)-$*/bench-src/ && \
		cp bench/kmod/Kbuild bench/kmod/*.c $(OBJ)-$*/bench-src/kmod/ && \
		$(KMAKE) -s modules && \
		$(KMAKE) -s M=$(abspath $(OBJ)-$*/bench-src/kmod) modules && \
		cp $(OBJ)-$*/bench-src/kmod/cma_bulk_bench.ko $(OBJ)-$*/bench/; \
	fi

$(addprefix initramfs-,$(BENCH_KERNELS)): initramfs-%: kselftest-% bench-% $(BUSYBOX_DEP)
	@vm/build-initramfs.sh $(BUSYBOX) $(SRC) $(OBJ)-$* $(OBJ)-$*/kselftest_install \
		$(OBJ)-$*/initramfs.cpio $(OBJ)-$*/bench

# The guest loads the module and runs bench/cma_bulk_bench with these
# arguments (comma-separated); bench/bench-report.py makes the tables.
# A 30 s cap per method (marked capped when reached) bounds a slow state:
# no method reached it on 2026-12-03, the slowest took 12 s.
# On arm64 (TCG, about half as fast) the default is S1, S2 and S3, one
# repetition.
ifeq ($(KARCH),arm64)
BENCH_ARGS ?= -r,1,-c,30,-d,/mnt/s2,S1,S2,S3
else
BENCH_ARGS ?= -r,3,-c,30,-d,/mnt/s2,all
endif
DEMO_ARGS ?= -r,1,-c,30,demo
# `make bench` writes its tables to BENCH_DOCS, named after the guest:
# bench.md/.csv/.png (x86-64), bench-arm64.*, bench-arm64-16k.*.
BENCH_DOCS ?= docs/results
BENCH_NAME := bench$(subst $(B),,$(subst $(B)/,-,$(AB)))
# Scenario S2's disk: ext2 with files of known contents (768 MiB), its
# writes throttled to 4 MiB/s so that writeback is in flight when a method
# starts. The guest mounts it at /mnt/s2.
S2_IMAGE := $(B)/s2.img
S2_FILES ?= 192
S2_WRITE_BPS ?= 4194304
BENCH_VM = VM_MEM=$(BENCH_MEM) VM_CMA=$(BENCH_CMA) VM_TIMEOUT=$(BENCH_TIMEOUT) \
	vm/run-vm.sh $(OBJ)-bench/$(IMAGE) $(OBJ)-bench/initramfs.cpio bench

demo: kernel-bench initramfs-bench
	@VM_APPEND="harness.bench=$(DEMO_ARGS)" $(BENCH_VM) \
		$(RES)/console-demo.log $(RES)/results-demo.log
	@bench/bench-report.py demo $(RES)/results-demo.log $(RES)

$(S2_IMAGE): bench/make-s2-image.py | deps
	@bench/make-s2-image.py $@ $(S2_FILES)

bench: kernel-bench initramfs-bench $(S2_IMAGE)
	@VM_APPEND="harness.bench=$(BENCH_ARGS)" VM_DISK=$(S2_IMAGE) \
		VM_DISK_WRITE_BPS=$(S2_WRITE_BPS) $(BENCH_VM) \
		$(RES)/console-bench.log $(RES)/results-bench.log
	@bench/bench-report.py bench $(RES)/results-bench.log $(BENCH_DOCS) $(BENCH_NAME)

# The benchmark module's own tests (bench/cma_bulk_bench_test.c) in the
# bench kernel's VM: the peers and floors do what the tables say they do,
# the counting probes count only while armed, bad arguments get errnos.
bench-check: kernel-bench initramfs-bench
	@VM_MEM=$(BENCH_MEM) VM_CMA=$(BENCH_CMA) VM_TIMEOUT=900 \
		vm/run-vm.sh $(OBJ)-bench/$(IMAGE) $(OBJ)-bench/initramfs.cpio benchcheck \
		$(RES)/console-bench-check.log $(RES)/results-bench-check.log
	@grep '^# Totals:' $(RES)/results-bench-check.log && \
		grep -q '^# Totals: pass:[0-9]* fail:0 ' $(RES)/results-bench-check.log && \
		grep -q 'harness: job benchcheck end' $(RES)/results-bench-check.log || \
		{ echo "bench-check: FAIL (see $(RES)/results-bench-check.log)" >&2; exit 1; }

# The virtio-mem unplug experiment: VMEM_RUNS boots of the vmem kernel
# built from SRC, each plugging 512 MiB into ZONE_MOVABLE, filling it and
# unplugging it under short-lived page references (bench/vmem-run.py; the
# guest runs bench/virtio_mem_unplug with VMEM_ARGS, comma-separated).
# VMEM_TAG names the kernel in the report, which tabulates every
# results-vmem-*.log in RES.
VMEM_ARGS ?= -p,512,-f,448,-H,300,-n,16,-t,120
VMEM_RUNS ?= 5
VMEM_TAG ?= $(shell git -C $(SRC) rev-parse --short HEAD 2>/dev/null || echo src)
VMEM_TIMEOUT ?= 900
# vmem-debug: the same kernel with lockdep and DEBUG_VM.
VMEM_KERNEL ?= vmem

# x86-64 only: bench/vmem-run.py drives QEMU's pc machine.
vmem: $(if $(filter x86,$(KARCH)),kernel-$(VMEM_KERNEL) initramfs-$(VMEM_KERNEL))
	@[ "$(KARCH)" = x86 ] || { echo "vmem: the experiment runs on x86-64 only" >&2; exit 2; }
	@rc=0; for i in $$(seq 1 $(VMEM_RUNS)); do \
		bench/vmem-run.py --tag "$(VMEM_TAG)" --args="$(VMEM_ARGS)" --timeout $(VMEM_TIMEOUT) \
			$(OBJ)-$(VMEM_KERNEL)/$(IMAGE) $(OBJ)-$(VMEM_KERNEL)/initramfs.cpio \
			$(RES)/console-vmem-$(VMEM_TAG)-$$i.log \
			$(RES)/results-vmem-$(VMEM_TAG)-$$i.log || rc=1; \
	done; \
	bench/vmem-report.py $(RES)/results-vmem-*.log || rc=1; \
	exit $$rc

# Checks x86-64 and arm64 whatever ARCH says.
lint: $(TREE)
	@scripts/install-deps.sh $(ARM64_TOOLCHAIN)
	@scripts/lint.sh $(SRC) patches $(abspath $(OBJ)-lint)

# Build every patch of the series on its own.
bisect-build: $(TREE)
	@scripts/build-each-patch.sh $(SRC) $(B)/bisect $(OBJ)-bisect

clean:
	rm -rf $(OBJ)-* $(RES)
