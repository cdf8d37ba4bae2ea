// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the benchmark module (bench/kmod, /sys/kernel/debug/cma_bulk_bench)
 * on the default CMA area: that each peer does what the benchmark says it
 * does (the fast loop, the vendor chunk strategy, the cma_alloc() loop), that
 * the floors move and copy what they report, that the counting probes count
 * only while armed, and that every invalid argument gets its errno.
 * `make bench-check` runs it in the bench kernel's VM.
 *
 * Every test checks at teardown, through the kernel's test driver, that the
 * area's free count and bitmap are what they were before it.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cma_bulk_fill.h"
#include "cma_bulk_bench.h"

#define BENCH_PATH	"/sys/kernel/debug/cma_bulk_bench"

FIXTURE(bench) {
	struct leak_check lc;
	int bfd;
	struct helper h;
};

FIXTURE_SETUP(bench)
{
	const char *why;

	memset(&self->h, 0, sizeof(self->h));
	self->bfd = -1;
	if (leak_check_setup(&self->lc, &why))
		SKIP(return, "%s", why);
	self->bfd = open(BENCH_PATH, O_RDWR);
	if (self->bfd < 0)
		SKIP(return, "no %s: load cma_bulk_bench.ko", BENCH_PATH);
}

FIXTURE_TEARDOWN(bench)
{
	helper_stop(&self->h);
	/* Closing the file gives its chunks back and removes its probes. */
	if (self->bfd >= 0)
		close(self->bfd);
	if (self->lc.fd >= 0)
		ioctl(self->lc.fd, CMA_BULK_TEST_UNDO);
	leak_check_teardown(_metadata, &self->lc);
}

static void req(struct cma_bulk_bench_alloc *a, unsigned int method,
		__u64 nr_pages, __u64 total, __u64 *pfns)
{
	memset(a, 0, sizeof(*a));
	set_name(a->area, DEFAULT_AREA);
	a->method = method;
	a->nr_pages = nr_pages;
	a->total_pages = total;
	a->flags = CMA_BULK_BENCH_NOWARN;
	a->pfns = (uintptr_t)pfns;
}

static int count(int bfd, unsigned int op, struct cma_bulk_bench_count *c)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	return ioctl(bfd, CMA_BULK_BENCH_COUNT, c) ? -errno : 0;
}

/* Run @a with the counting probes armed around it alone. */
static int counted_alloc(int bfd, struct cma_bulk_bench_alloc *a,
			 struct cma_bulk_bench_count *c)
{
	int ret = count(bfd, CMA_BULK_BENCH_COUNT_START, c);

	if (ret)
		return ret;
	ret = ioctl(bfd, CMA_BULK_BENCH_ALLOC, a) ? -errno : 0;
	if (count(bfd, CMA_BULK_BENCH_COUNT_STOP, c))
		return -EIO;
	return ret;
}

TEST_F_TIMEOUT(bench, fast_loop_takes_aligned_ranges_in_order_draining_once, 120)
{
	const __u64 nr = 64, first = (self->lc.a.st.base_pfn + 15) & ~15ULL;
	struct cma_bulk_bench_alloc a;
	struct cma_bulk_bench_count c;
	struct area now = { 0 };
	__u64 pfns[64], i;

	req(&a, CMA_BULK_BENCH_FAST_LOOP, 16, 16 * nr, pfns);
	a.align = 4;
	ASSERT_EQ(0, counted_alloc(self->bfd, &a, &c));
	EXPECT_EQ(0, a.error);
	ASSERT_EQ(nr, a.allocated);
	EXPECT_LT(0, a.elapsed_ns);
	/* Held: the bitmap marks them. */
	ASSERT_EQ(0, cbt_state(self->lc.fd, DEFAULT_AREA, &now));
	EXPECT_EQ(self->lc.a.st.free_pages - 16 * nr, now.st.free_pages);
	/* Ascending, aligned, distinct, and all in the area. */
	for (i = 0; i < nr; i++) {
		EXPECT_EQ(0, pfns[i] & 15);
		EXPECT_TRUE(pfn_in(pfns[i], self->lc.a.st.base_pfn,
				   self->lc.a.st.count));
		if (i)
			EXPECT_LT(pfns[i - 1], pfns[i]);
	}
	EXPECT_LE(first, pfns[0]);
	/* One drain of each kind, then no more: FAST never drains. */
	EXPECT_EQ(1, c.pcp_drains);
	EXPECT_EQ(1, c.lru_drains);
	ASSERT_EQ(0, ioctl(self->bfd, CMA_BULK_BENCH_RELEASE));
	ASSERT_EQ(0, cbt_state(self->lc.fd, DEFAULT_AREA, &now));
	EXPECT_EQ(self->lc.a.st.free_pages, now.st.free_pages);
}

/*
 * vendor_chunk: pageblock-sized ranges while fail-fast attempts find them,
 * then half the size, down to the chunk; every range is held, and given
 * back, as chunks.
 */
TEST_F_TIMEOUT(bench, vendor_chunk_takes_pageblocks_then_halves_the_size, 120)
{
	const __u64 pb = pageblock_pages();
	struct cma_bulk_test_unmovable u;
	struct cma_bulk_bench_alloc a;
	struct cma_bulk_bench_count c;
	__u64 *pfns, *busy, i, nr;

	if (pb < 64)
		SKIP(return, "pageblocks of %llu pages", (unsigned long long)pb);
	nr = 2 * pb / 16 + 1;
	pfns = calloc(nr, sizeof(*pfns));
	busy = calloc(self->lc.a.st.count / pb + 1, sizeof(*busy));
	ASSERT_TRUE(pfns && busy);

	/* Two pageblocks and one chunk: two whole pageblocks, no drain. */
	req(&a, CMA_BULK_BENCH_VENDOR_CHUNK, 16, 16 * nr, pfns);
	ASSERT_EQ(0, counted_alloc(self->bfd, &a, &c));
	EXPECT_EQ(0, a.error);
	ASSERT_EQ(nr, a.allocated);
	EXPECT_EQ(0, c.pcp_drains);
	for (i = 0; i < nr - 1; i++) {
		EXPECT_TRUE(pfn_in(pfns[i], self->lc.a.st.base_pfn,
				   self->lc.a.st.count));
		/* Each pageblock's chunks in order, from its first page. */
		if (i % (pb / 16))
			EXPECT_EQ(pfns[i - 1] + 16, pfns[i]);
		if (!(i % (pb / 16)))
			EXPECT_EQ(0, pfns[i] % pb);
	}
	EXPECT_EQ(0, pfns[nr - 1] & 15);
	ASSERT_EQ(0, ioctl(self->bfd, CMA_BULK_BENCH_RELEASE));

	/*
	 * A kernel page at the start of every pageblock: no pageblock-sized
	 * range can be had, and 8 chunks come from the first free range of
	 * 8 chunks, aligned to its size, after a busy page.
	 */
	ASSERT_EQ(0, cbt_busy(self->lc.fd, CMA_BULK_TEST_PATTERN_PAGEBLOCKS,
			      CMA_BULK_TEST_KIND_KERNEL, 1, 0, 0, 0, NULL, 0,
			      busy, self->lc.a.st.count / pb + 1, &u));
	ASSERT_LT(0, u.nr_busy);
	req(&a, CMA_BULK_BENCH_VENDOR_CHUNK, 16, 16 * 8, pfns);
	ASSERT_EQ(0, ioctl(self->bfd, CMA_BULK_BENCH_ALLOC, &a));
	EXPECT_EQ(0, a.error);
	ASSERT_EQ(8, a.allocated);
	EXPECT_EQ(0, pfns[0] % 128);
	EXPECT_NE(0, pfns[0] % pb);
	for (i = 1; i < 8; i++)
		EXPECT_EQ(pfns[i - 1] + 16, pfns[i]);
	for (i = 0; i < u.nr_busy; i++)
		EXPECT_FALSE(pfn_in_chunks(busy[i], pfns, 8, 16));
	ASSERT_EQ(0, ioctl(self->bfd, CMA_BULK_BENCH_RELEASE));
	ASSERT_EQ(0, ioctl(self->lc.fd, CMA_BULK_TEST_UNDO));
	free(pfns);
	free(busy);
}

struct cma_counters {
	long success_pages, fail_pages, vm_success, vm_fail;
};

static int read_counters(struct cma_counters *c)
{
	c->success_pages = cma_sysfs("alloc_pages_success");
	c->fail_pages = cma_sysfs("alloc_pages_fail");
	c->vm_success = vmstat_value("cma_alloc_success");
	c->vm_fail = vmstat_value("cma_alloc_fail");
	return c->success_pages < 0 || c->vm_success < 0 ? -1 : 0;
}

/* The cma_alloc() loop calls cma_alloc() once per chunk, and stops. */
TEST_F_TIMEOUT(bench, cma_alloc_loop_moves_sysfs_and_vmstat_per_call, 120)
{
	const unsigned int order = 9;
	__u64 obtainable = area_chunks(&self->lc.a, order);
	struct cma_bulk_bench_alloc a;
	struct cma_bulk_bench_count c;
	struct cma_counters c0, c1;

	if (read_counters(&c0))
		SKIP(return, "needs CONFIG_CMA_SYSFS and CONFIG_VM_EVENT_COUNTERS");

	req(&a, CMA_BULK_BENCH_CMA_ALLOC, 16, 16 * 8, NULL);
	ASSERT_EQ(0, counted_alloc(self->bfd, &a, &c));
	EXPECT_EQ(0, a.error);
	ASSERT_EQ(8, a.allocated);
	ASSERT_EQ(0, read_counters(&c1));
	EXPECT_EQ(16 * 8, c1.success_pages - c0.success_pages);
	EXPECT_EQ(8, c1.vm_success - c0.vm_success);
	EXPECT_EQ(0, c1.fail_pages - c0.fail_pages);
	EXPECT_EQ(0, c1.vm_fail - c0.vm_fail);
	/* Every call drains every CPU's lists. */
	EXPECT_EQ(8, c.pcp_drains);
	EXPECT_EQ(8, c.lru_drains);

	/* Exhaust the area, then one cma_alloc() fails and stops the loop. */
	req(&a, CMA_BULK_BENCH_BULK, 1ULL << order, obtainable << order, NULL);
	a.mode = CMA_BULK_BENCH_MODE_NORMAL;
	ASSERT_EQ(0, ioctl(self->bfd, CMA_BULK_BENCH_ALLOC, &a));
	ASSERT_EQ(0, read_counters(&c0));
	req(&a, CMA_BULK_BENCH_CMA_ALLOC, 1ULL << order, 4ULL << order, NULL);
	ASSERT_EQ(0, ioctl(self->bfd, CMA_BULK_BENCH_ALLOC, &a));
	EXPECT_EQ(-EBUSY, a.error);
	EXPECT_EQ(0, a.allocated);
	ASSERT_EQ(0, read_counters(&c1));
	EXPECT_EQ(0, c1.success_pages - c0.success_pages);
	EXPECT_EQ(1 << order, c1.fail_pages - c0.fail_pages);
	EXPECT_EQ(1, c1.vm_fail - c0.vm_fail);
}

/* FAST drains nothing, NORMAL as often for one chunk as for 64. */
TEST_F_TIMEOUT(bench, bulk_drains_fast_none_normal_constant, 120)
{
	struct cma_bulk_bench_count c1, c64;
	struct cma_bulk_bench_alloc a;

	req(&a, CMA_BULK_BENCH_BULK, 16, 16 * 64, NULL);
	a.mode = CMA_BULK_BENCH_MODE_FAST;
	ASSERT_EQ(0, counted_alloc(self->bfd, &a, &c1));
	ASSERT_EQ(64, a.allocated);
	EXPECT_EQ(0, c1.pcp_drains);
	EXPECT_EQ(0, c1.lru_drains);

	req(&a, CMA_BULK_BENCH_BULK, 16, 16, NULL);
	a.mode = CMA_BULK_BENCH_MODE_NORMAL;
	ASSERT_EQ(0, counted_alloc(self->bfd, &a, &c1));
	ASSERT_EQ(1, a.allocated);
	req(&a, CMA_BULK_BENCH_BULK, 16, 16 * 64, NULL);
	a.mode = CMA_BULK_BENCH_MODE_NORMAL;
	ASSERT_EQ(0, counted_alloc(self->bfd, &a, &c64));
	ASSERT_EQ(64, a.allocated);
	EXPECT_LT(0, c1.pcp_drains);
	EXPECT_LT(0, c1.lru_drains);
	EXPECT_EQ(c1.pcp_drains, c64.pcp_drains);
	EXPECT_EQ(c1.lru_drains, c64.lru_drains);
}

/* The probes exist only between START and STOP, for one file at a time. */
TEST_F(bench, probes_count_only_while_armed)
{
	struct cma_bulk_bench_alloc a;
	struct cma_bulk_bench_count c;
	int other;

	ASSERT_EQ(0, count(self->bfd, CMA_BULK_BENCH_COUNT_START, &c));
	EXPECT_EQ(-EBUSY, count(self->bfd, CMA_BULK_BENCH_COUNT_START, &c));
	other = open(BENCH_PATH, O_RDWR);
	ASSERT_LE(0, other);
	EXPECT_EQ(-EBUSY, count(other, CMA_BULK_BENCH_COUNT_START, &c));
	EXPECT_EQ(-EINVAL, count(other, CMA_BULK_BENCH_COUNT_STOP, &c));
	ASSERT_EQ(0, count(self->bfd, CMA_BULK_BENCH_COUNT_STOP, &c));
	EXPECT_EQ(-EINVAL, count(self->bfd, CMA_BULK_BENCH_COUNT_STOP, &c));

	/* Drains while nothing is armed are not counted later. */
	req(&a, CMA_BULK_BENCH_CMA_ALLOC, 16, 16 * 4, NULL);
	ASSERT_EQ(0, ioctl(self->bfd, CMA_BULK_BENCH_ALLOC, &a));
	ASSERT_EQ(4, a.allocated);
	ASSERT_EQ(0, count(self->bfd, CMA_BULK_BENCH_COUNT_START, &c));
	ASSERT_EQ(0, count(self->bfd, CMA_BULK_BENCH_COUNT_STOP, &c));
	EXPECT_EQ(0, c.pcp_drains);
	EXPECT_EQ(0, c.lru_drains);
	EXPECT_EQ(0, c.migrate_calls);

	/* Closing the file that armed them removes them. */
	ASSERT_EQ(0, count(other, CMA_BULK_BENCH_COUNT_START, &c));
	close(other);
	ASSERT_EQ(0, count(self->bfd, CMA_BULK_BENCH_COUNT_START, &c));
	ASSERT_EQ(0, count(self->bfd, CMA_BULK_BENCH_COUNT_STOP, &c));
}

TEST_F(bench, copy_limit_copies_and_verifies_the_pages_it_reports)
{
	struct cma_bulk_bench_floor fl = { .nr_pages = 3000 };

	ASSERT_EQ(0, ioctl(self->bfd, CMA_BULK_BENCH_COPY_LIMIT, &fl));
	EXPECT_EQ(3000, fl.done);
	EXPECT_LT(0, fl.elapsed_ns);
}

TEST_F_TIMEOUT(bench, migrate_limit_moves_the_given_pages_out_of_their_pageblocks, 300)
{
	struct cma_bulk_bench_floor fl = { 0 };
	struct cma_bulk_bench_count c;
	const __u64 pb = pageblock_pages();
	__u64 *blocks, n, i;

	if (helper_start(&self->h, &self->lc.a, self->lc.a.st.count / 8, 0,
			 self->lc.fd))
		SKIP(return, "could not fill the CMA area with movable pages: %s",
		     helper_why(&self->h));
	n = self->h.sh->nr_pages;
	set_name(fl.area, DEFAULT_AREA);
	fl.nr_pages = n;
	fl.pfns = (uintptr_t)self->h.sh->pfns;
	ASSERT_EQ(0, count(self->bfd, CMA_BULK_BENCH_COUNT_START, &c));
	ASSERT_EQ(0, ioctl(self->bfd, CMA_BULK_BENCH_MIGRATE_LIMIT, &fl));
	ASSERT_EQ(0, count(self->bfd, CMA_BULK_BENCH_COUNT_STOP, &c));
	TH_LOG("%llu pages: %llu isolated, %llu migrated in %llu ms, probe %llu ms",
	       (unsigned long long)n, (unsigned long long)fl.isolated,
	       (unsigned long long)fl.done,
	       (unsigned long long)fl.elapsed_ns / 1000000,
	       (unsigned long long)c.migrate_ns / 1000000);
	EXPECT_EQ(n, fl.isolated);
	EXPECT_EQ(fl.isolated, fl.done);
	/* The timed part is that one migrate_pages() call, and little else. */
	EXPECT_EQ(1, c.migrate_calls);
	EXPECT_GE(fl.elapsed_ns, c.migrate_ns);
	EXPECT_LE(fl.elapsed_ns / 2, c.migrate_ns);

	/* Never into the pageblocks the pages were in: they were isolated. */
	blocks = calloc(n, sizeof(*blocks));
	ASSERT_NE(NULL, blocks);
	for (i = 0; i < n; i++)
		blocks[i] = self->h.sh->pfns[i] & ~(pb - 1);
	ASSERT_EQ(0, helper_check(&self->h, blocks, n, pb));
	free(blocks);
	EXPECT_EQ(0, self->h.sh->bad);
	EXPECT_EQ(n, self->h.sh->moved);
	EXPECT_EQ(0, self->h.sh->in_chunks_now);
}

/* Each invalid argument of ALLOC gets its errno, and allocates nothing. */
TEST_F(bench, alloc_rejects_each_invalid_argument_with_its_errno)
{
	static const struct {
		unsigned int method, mode, align, flags, reserved;
		__u64 nr_pages, total;
		int err;
	} bad[] = {
		{ 4, 0, 0, 1, 0, 16, 16, EINVAL },	/* method */
		{ 0, 3, 0, 1, 0, 16, 16, EINVAL },	/* mode */
		{ 1, 1, 0, 1, 0, 16, 16, EINVAL },	/* mode of a loop */
		{ 0, 0, 0, 1, 0, 0, 16, EINVAL },	/* no pages */
		{ 1, 0, 0, 1, 0, 16, 24, EINVAL },	/* not a multiple */
		{ 0, 0, 0, 1, 0, 24, 48, EINVAL },	/* bulk: not 2^n */
		{ 3, 0, 0, 1, 0, 24, 48, EINVAL },	/* vendor: not 2^n */
		{ 3, 0, 4, 1, 0, 16, 16, EINVAL },	/* vendor: align */
		{ 1, 0, 32, 1, 0, 16, 16, EINVAL },	/* align */
		{ 1, 0, 0, 2, 0, 16, 16, EINVAL },	/* flag */
		{ 1, 0, 0, 1, 1, 16, 16, EINVAL },	/* reserved */
		{ 1, 0, 0, 1, 0, 1ULL << 40, 1ULL << 40, E2BIG },
	};
	struct cma_bulk_bench_alloc a;
	struct area now = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		req(&a, bad[i].method, bad[i].nr_pages, bad[i].total, NULL);
		a.mode = bad[i].mode;
		a.align = bad[i].align;
		a.flags = bad[i].flags;
		a.reserved = bad[i].reserved;
		EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_ALLOC, &a))
			TH_LOG("case %zu", i);
		EXPECT_EQ(bad[i].err, errno) TH_LOG("case %zu", i);
	}
	req(&a, CMA_BULK_BENCH_CMA_ALLOC, 16, 16, NULL);
	set_name(a.area, "no such area");
	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_ALLOC, &a));
	EXPECT_EQ(ENODEV, errno);
	memset(a.area, 'x', sizeof(a.area));
	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_ALLOC, &a));
	EXPECT_EQ(EINVAL, errno);
	/* A bad PFN array: the chunks obtained are given back at once. */
	req(&a, CMA_BULK_BENCH_CMA_ALLOC, 16, 16 * 4, (__u64 *)8);
	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_ALLOC, &a));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_ALLOC, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, cbt_state(self->lc.fd, DEFAULT_AREA, &now));
	EXPECT_EQ(self->lc.a.st.free_pages, now.st.free_pages);
}

TEST_F(bench, other_ioctls_reject_each_invalid_argument_with_its_errno)
{
	struct cma_bulk_bench_floor fl = { 0 };
	struct cma_bulk_bench_count c = { .op = 2 };
	__u64 pfn = self->lc.a.st.base_pfn;

	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_COUNT, &c));
	EXPECT_EQ(EINVAL, errno);
	c.op = CMA_BULK_BENCH_COUNT_START;
	c.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_COUNT, &c));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_COPY_LIMIT, &fl));
	EXPECT_EQ(EINVAL, errno);
	fl.nr_pages = 1;
	fl.pfns = (uintptr_t)&pfn;
	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_COPY_LIMIT, &fl));
	EXPECT_EQ(EINVAL, errno);

	set_name(fl.area, DEFAULT_AREA);
	fl.nr_pages = 0;
	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_MIGRATE_LIMIT, &fl));
	EXPECT_EQ(EINVAL, errno);
	fl.nr_pages = self->lc.a.st.count + 1;
	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_MIGRATE_LIMIT, &fl));
	EXPECT_EQ(E2BIG, errno);
	fl.nr_pages = 1;
	fl.pfns = 8;
	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_MIGRATE_LIMIT, &fl));
	EXPECT_EQ(EFAULT, errno);
	set_name(fl.area, "no such area");
	EXPECT_EQ(-1, ioctl(self->bfd, CMA_BULK_BENCH_MIGRATE_LIMIT, &fl));
	EXPECT_EQ(ENODEV, errno);

	EXPECT_EQ(-1, ioctl(self->bfd, _IO(CMA_BULK_BENCH_MAGIC, 99)));
	EXPECT_EQ(ENOTTY, errno);
}

/* Killed in a long loop, the process leaves nothing behind. */
TEST_F_TIMEOUT(bench, killed_caller_leaves_nothing_allocated, 120)
{
	struct cma_bulk_bench_alloc a;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int bfd = open(BENCH_PATH, O_RDWR);

		req(&a, CMA_BULK_BENCH_CMA_ALLOC, 1, self->lc.a.st.count / 2,
		    NULL);
		ioctl(bfd, CMA_BULK_BENCH_ALLOC, &a);
		_exit(0);
	}
	usleep(200000);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
}

TEST_HARNESS_MAIN
