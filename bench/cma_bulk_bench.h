/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioctl ABI of /sys/kernel/debug/cma_bulk_bench, the benchmark module
 * (bench/kmod/), shared with the benchmark program bench/cma_bulk_bench.c.
 *
 * The module runs the methods the benchmark compares (cma_alloc_bulk(),
 * a cma_alloc() loop, the fast loop and the vendor chunk strategy), times
 * each around the method's own calls, and measures the floors. Nothing it
 * adds runs inside a timed window: the pages migrated come from
 * pgmigrate_success read before and after the window, and the drains and
 * the time in migrate_pages() from probes that exist only between
 * CMA_BULK_BENCH_COUNT_START and CMA_BULK_BENCH_COUNT_STOP, around an
 * untimed counting run of the same method on an identical state.
 *
 * Every ioctl returns 0 or -1 with errno set for invalid arguments:
 * ENODEV for an unknown area, EINVAL for an invalid method, mode, size,
 * alignment, flag or a non-zero reserved field, E2BIG for an absurd count,
 * EFAULT for a bad pointer, EBUSY for COUNT_START while counting. The
 * outcome of an allocation that was attempted (0, -EBUSY, -EINTR) is
 * returned in the structure. Chunks belong to the open file; closing it
 * gives them back.
 */
#ifndef __CMA_BULK_BENCH_H
#define __CMA_BULK_BENCH_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define CMA_BULK_BENCH_NAME_LEN		64

/* Methods of struct cma_bulk_bench_alloc. */
/* One cma_alloc_bulk() call for @total_pages / @nr_pages chunks. */
#define CMA_BULK_BENCH_BULK		0
/* cma_alloc() of @nr_pages until @total_pages are held or a call fails. */
#define CMA_BULK_BENCH_CMA_ALLOC	1
/*
 * The loop a driver would write if cma_alloc() took an alloc_contig_mode:
 * drain every CPU's lists once, then one ALLOC_CONTIG_FAST
 * alloc_contig_range() per free, aligned range of @nr_pages in PFN order,
 * reserved in the area's bitmap as cma_alloc() reserves it.
 */
#define CMA_BULK_BENCH_FAST_LOOP	2
/*
 * The strategy of the chunk heaps vendors ship on Android: ranges of a
 * pageblock, fail-fast first (FAST attempts as FAST_LOOP makes them, without
 * its drain), then blocking cma_alloc() calls of the same size until one
 * fails, then half the size, down to @nr_pages (a power of two). Every range
 * is held as chunks of @nr_pages.
 */
#define CMA_BULK_BENCH_VENDOR_CHUNK	3

/* enum alloc_contig_mode of CMA_BULK_BENCH_BULK, as ABI values. */
#define CMA_BULK_BENCH_MODE_NORMAL	0
#define CMA_BULK_BENCH_MODE_FAST	1
#define CMA_BULK_BENCH_MODE_HARD	2

/* __GFP_NOWARN for every allocation of the method. */
#define CMA_BULK_BENCH_NOWARN		0x1

/**
 * struct cma_bulk_bench_alloc - CMA_BULK_BENCH_ALLOC
 * @area: in: name of the CMA area, NUL-terminated
 * @method: in: CMA_BULK_BENCH_BULK, _CMA_ALLOC, _FAST_LOOP or _VENDOR_CHUNK
 * @mode: in: CMA_BULK_BENCH_MODE_* (BULK), else 0
 * @nr_pages: in: pages per chunk (BULK, VENDOR_CHUNK: a power of two) or
 *	per call (CMA_ALLOC, FAST_LOOP)
 * @total_pages: in: pages requested, a multiple of @nr_pages
 * @align: in: alignment order (CMA_ALLOC, FAST_LOOP, BULK), at most 31
 * @flags: in: CMA_BULK_BENCH_NOWARN
 * @pfns: in: user pointer to @total_pages / @nr_pages __u64 receiving the
 *	first PFN of each chunk obtained, or 0
 * @allocated: out: chunks of @nr_pages obtained, now held by the file
 * @error: out: 0, or what the method returned: -EBUSY when it got less
 *	than requested, -EINTR on a fatal signal (the cap of the benchmark)
 * @reserved: must be 0
 * @elapsed_ns: out: time of the method's own calls
 * @migrated: out: pgmigrate_success delta over them, read outside the
 *	timed window
 */
struct cma_bulk_bench_alloc {
	char area[CMA_BULK_BENCH_NAME_LEN];
	__u32 method;
	__u32 mode;
	__u64 nr_pages;
	__u64 total_pages;
	__u32 align;
	__u32 flags;
	__u64 pfns;
	__u64 allocated;
	__s32 error;
	__u32 reserved;
	__u64 elapsed_ns;
	__u64 migrated;
};

/* Operations of struct cma_bulk_bench_count. */
#define CMA_BULK_BENCH_COUNT_START	0	/* arm the probes, from 0 */
#define CMA_BULK_BENCH_COUNT_STOP	1	/* remove them, report */

/**
 * struct cma_bulk_bench_count - CMA_BULK_BENCH_COUNT
 * @op: in: CMA_BULK_BENCH_COUNT_START or _STOP
 * @reserved: must be 0
 * @pcp_drains: out (STOP): calls of __drain_all_pages() (drain_all_pages()
 *	and zone_pcp_disable()) while armed, by anyone
 * @lru_drains: out (STOP): calls of lru_add_drain_all() and
 *	lru_cache_disable()
 * @migrate_calls: out (STOP): calls of migrate_pages() for contiguous
 *	allocations (MR_CONTIG_RANGE)
 * @migrate_ns: out (STOP): nanoseconds spent in them
 * @reclaimed: out (STOP): clean page cache pages that contiguous
 *	allocations dropped instead of migrating them
 *	(reclaim_clean_pages_from_list())
 */
struct cma_bulk_bench_count {
	__u32 op;
	__u32 reserved;
	__u64 pcp_drains;
	__u64 lru_drains;
	__u64 migrate_calls;
	__u64 migrate_ns;
	__u64 reclaimed;
};

/**
 * struct cma_bulk_bench_floor - CMA_BULK_BENCH_COPY_LIMIT, _MIGRATE_LIMIT
 * @area: in: name of the CMA area (MIGRATE_LIMIT)
 * @nr_pages: in: COPY_LIMIT: pages to copy; MIGRATE_LIMIT: entries of @pfns
 * @pfns: in: MIGRATE_LIMIT: user pointer to @nr_pages PFNs in the area
 * @done: out: pages copied, or pages migrated out of the area
 * @isolated: out: MIGRATE_LIMIT: pages isolated for migration
 * @elapsed_ns: out: time of the copies, or of migrate_pages() alone
 */
struct cma_bulk_bench_floor {
	char area[CMA_BULK_BENCH_NAME_LEN];
	__u64 nr_pages;
	__u64 pfns;
	__u64 done;
	__u64 isolated;
	__u64 elapsed_ns;
};

#define CMA_BULK_BENCH_MAGIC	0xCC
#define CMA_BULK_BENCH_ALLOC	_IOWR(CMA_BULK_BENCH_MAGIC, 1, struct cma_bulk_bench_alloc)
/* Give back every chunk the file holds. */
#define CMA_BULK_BENCH_RELEASE	_IO(CMA_BULK_BENCH_MAGIC, 2)
#define CMA_BULK_BENCH_COUNT	_IOWR(CMA_BULK_BENCH_MAGIC, 3, struct cma_bulk_bench_count)
#define CMA_BULK_BENCH_COPY_LIMIT	_IOWR(CMA_BULK_BENCH_MAGIC, 4, struct cma_bulk_bench_floor)
#define CMA_BULK_BENCH_MIGRATE_LIMIT	_IOWR(CMA_BULK_BENCH_MAGIC, 5, struct cma_bulk_bench_floor)

#endif /* __CMA_BULK_BENCH_H */
