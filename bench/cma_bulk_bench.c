// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of cma_alloc_bulk() against repeated cma_alloc() and against
 * the floors of the work it does. The benchmark module bench/kmod/
 * (/sys/kernel/debug/cma_bulk_bench) runs and times the methods and the
 * floors; the kernel's test driver (/sys/kernel/debug/cma_bulk_test) makes
 * the busy pages, describes the area and shows a dma-buf's layout.
 *
 * Scenario S1 is the secure-video request: 4800 chunks of order 4 (300 MiB)
 * from an area that is at least half full of movable pages with known
 * contents, with a busy page in every 8th pageblock (an unmovable kernel
 * page and a pinned user page in turn, at the first page of the pageblock:
 * the same PFNs in every state). Every method starts from the same
 * state, rebuilt before each measurement: cma_alloc() in three sizes with
 * the alignment real callers pass, fast_loop (one drain, then a FAST
 * alloc_contig_range() per chunk, the loop a driver would write if
 * cma_alloc() took a mode), vendor_chunk (the strategy of Android vendors'
 * chunk heaps: pageblock-sized ranges, fail-fast then blocking, then half
 * the size down to 64 KiB), cma_alloc_bulk() in each mode, the floors of
 * the work, and a 300 MiB buffer from the dma-buf chunk heap and from the
 * CMA heap of the area (skipped where a heap does not exist). The floors:
 * migrate_limit, the time bulk_fast's call spent in migrate_pages() on
 * the state it faced (from its counting run, below); oracle_limit,
 * migrate_pages() alone on the fewest pages any allocator must move, on a
 * state built the same way; and
 * copy_limit, copy_highpage() of as many pages as bulk_fast moved. Every
 * allocating method runs as a driver calls it: nothing is drained for it
 * beforehand, and nothing the benchmark adds runs while it is timed. Its
 * pages migrated are the pgmigrate_success delta around the timed call;
 * its drains, its time in migrate_pages(), the clean pages it reclaimed,
 * the pageblocks it claimed and its huge-page migrations come from a
 * counting run: the same state built again and the same method run
 * untimed, with the benchmark module's counting probes and the
 * tracepoints armed around it alone. Scenario S3 makes the same request, with the same methods and
 * busy pages, of an area of scattered occupancy: filled to 85 %, then
 * thinned out to the pages at offsets below 4, 8 or 12 of every order-4
 * chunk (param 25, 50 or 75), so that almost no chunk is free. Scenario
 * S2 makes it of an area half full of the page cache of files on the file
 * system mounted at -d DIR (bench/make-s2-image.py makes its disk): clean,
 * dirty and under writeback; the files are checked against their known
 * contents at the end. Scenario
 * THP makes it of an area half full of transparent huge pages. The sweeps
 * vary the number of chunks, the occupancy and the order, with movable
 * pages only.
 *
 * Not a pass/fail test: it prints one CSV line per measurement,
 *   run,scenario,param,method,rep,requested,allocated,obtainable,time_ms,
 *   migrated_pages,pcp_drains,lru_drains,data_intact,capped,migrate_ms,
 *   reclaimed_pages
 * with requested, allocated and obtainable in order-4 units, migrate_ms
 * the time spent in migrate_pages() in the counting run (the benchmark
 * module times it there), pcp_drains, lru_drains and reclaimed_pages (the
 * clean page cache pages that the allocation dropped instead of migrating
 * them) from the counting run too, and
 *   skip,scenario,param,method,reason
 * for a measurement that could not be set up,
 *   oracle,scenario,param,method,rep,pages
 * before a measurement: the fewest pages any allocator must migrate for
 * the request from the state the method faces (-1 if unknown), and
 *   info,area,pages,pageblock_pages
 *   info,busy,kernel_pages,pinned_pages
 *   info,scattered,param,held_pages,area_pages,empty_chunks,chunks
 *   info,thp,param,thp_pages,held_pages
 *   info,pagecache,param,held_pages,file_pages,dirty_pages,writeback_pages
 * to describe the area, and the busy pages, S3's thinned fill, the
 * huge pages of the THP scenario (thp_pages: the helper's pages that are
 * part of a transparent huge page) and S2's page cache (the pages of the
 * area on a file LRU list, dirty and under writeback, from kpageflags) in the
 * state built for the measurement whose oracle line comes next
 * (empty_chunks: order-4 chunks with no page in use), and
 *   claims,scenario,param,method,rep,unmovable,movable,reclaimable,tasks
 * after each measurement: the pageblocks that allocations of each type
 * claimed from another type while its counting run ran (the mm_page_alloc_extfrag
 * tracepoint), with the tasks that made the unmovable claims, and
 *   thp,scenario,param,method,rep,migrated,failed,split,compact_stalls,
 *       reclaim_stalls,calls,failed_folios
 * after a THP measurement: the huge pages the method migrated whole, that
 * failed to migrate, and that were split to be migrated, the direct
 * compactions and direct reclaims of movable allocations that allocations
 * stalled in (/proc/vmstat), and the calls of
 * migrate_pages() for contiguous allocations and the folios they failed to
 * migrate (the mm_migrate_pages tracepoint; -1 without tracing), and
 *   info,files,nr_files,bad_pages
 * after S2: the pages of its files, read back from the disk, that do not
 * hold their known contents. Progress goes to stderr.
 *
 * Usage: cma_bulk_bench [-r reps] [-c cap_seconds] [-d dir] scenario...
 * where scenario is S1, S2, S3, THP, sweep_nr, sweep_occupancy,
 * sweep_order, all (S1, S2, S3, THP and the sweeps) or demo (S1 reduced to cma_alloc_order4,
 * bulk_fast, which gives migrate_limit too, and copy_limit).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <linux/dma-heap.h>
#include <linux/kernel-page-flags.h>

#include "cma_bulk_fill.h"
#include "cma_bulk_bench.h"

#define BENCH_PATH	"/sys/kernel/debug/cma_bulk_bench"
#define UNIT_ORDER	4		/* results are counted in order-4 chunks */
#define S1_CHUNKS	4800
#define S1_STRIDE	8		/* a busy page every 8th pageblock */
/*
 * S3's fill before it is thinned out, in percent of the area: 90 % ran out
 * of memory now and then.
 */
#define S3_FILL		85

enum method {
	/* Baselines first: BASELINE ioctls. */
	CMA_ALLOC_300M, CMA_ALLOC_ORDER4, CMA_ALLOC_2M, FAST_LOOP, VENDOR_CHUNK,
	BULK_NORMAL, BULK_FAST, BULK_HARD,
	MIGRATE_LIMIT, ORACLE_LIMIT, COPY_LIMIT,
	HEAP_CHUNK_300M, HEAP_CMA_300M,
	NR_METHODS
};

static const char * const method_name[NR_METHODS] = {
	"cma_alloc_300M", "cma_alloc_order4", "cma_alloc_2M", "fast_loop",
	"vendor_chunk",
	"bulk_normal", "bulk_fast", "bulk_hard",
	"migrate_limit", "oracle_limit", "copy_limit",
	"heap_chunk_300M", "heap_cma_300M",
};

/* The starting state and the request of one measurement. */
struct setup {
	const char *scenario;
	unsigned int param;
	unsigned int occupancy;	/* percent of the area held by the helper */
	bool busy;		/* S1's busy pages */
	unsigned int order;
	__u64 units;		/* requested, in order-4 chunks */
	/* S3: pages kept per order-4 chunk after the fill, 0: all kept */
	__u64 keep;
	bool thp;		/* fill with transparent huge pages */
	bool file;		/* fill with the page cache of fill_dir */
};

struct result {
	__u64 allocated, obtainable, migrated, pcp, lru, reclaimed;
	double ms, migrate_ms;
	bool intact, capped;
};

static int fd;				/* the test driver */
static int bfd;				/* the benchmark module */
static struct area area;
static struct helper helper;
static bool have_helper;
static unsigned int reps = 3, cap_s = 120;
static __u64 *busy_pfns, nr_busy;
/* Pages of this process put where a pin goes, see claim_page(). */
static char **claimed;
static __u64 nr_claimed;
static __u64 *chunk_pfns;		/* chunks obtained by the last run */
/* Pages the last bulk_fast run migrated, for copy_limit. */
static __u64 fast_migrated;
/* The dma-buf of the last heap measurement, freed after the check. */
static int heap_fd = -1;
/* A state held page cache, which reset() writes back and drops. */
static bool cache_used;

/* What a measured ioctl shares with the parent across fork(). */
struct job {
	struct cma_bulk_bench_alloc alloc;
	int ret;
	bool done;
};

static struct job *job;

static void die(const char *what)
{
	fprintf(stderr, "cma_bulk_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void progress(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "cma_bulk_bench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static __u64 chunk_pages(unsigned int order)
{
	return 1ULL << order;
}

/* Write the page cache back and drop it, and the slab caches with it. */
static void drop_page_cache(void)
{
	int f = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (f < 0 || write(f, "3", 1) != 1)
		die("drop_caches");
	close(f);
}

/*
 * Drop whatever the previous measurement left: chunks, busy pages, helper,
 * page cache.
 */
static void reset(void)
{
	if (ioctl(bfd, CMA_BULK_BENCH_RELEASE))
		die("release");
	if (ioctl(fd, CMA_BULK_TEST_UNDO))
		die("undo");
	if (have_helper)
		helper_stop(&helper);
	have_helper = false;
	nr_busy = 0;
	while (nr_claimed)
		munmap(claimed[--nr_claimed], PAGE_SZ);
	if (cache_used)
		drop_page_cache();
	cache_used = false;
}

/*
 * The /proc/kpageflags flags of the @nr pages from @pfn, in an array the
 * caller frees; NULL if they cannot be read.
 */
static __u64 *read_kpageflags(__u64 pfn, __u64 nr)
{
	__u64 *flags = calloc(nr, sizeof(*flags));
	int kpf = open("/proc/kpageflags", O_RDONLY);
	bool ok = kpf >= 0 && flags &&
		  pread(kpf, flags, nr * sizeof(*flags), pfn * sizeof(*flags)) ==
		  (ssize_t)(nr * sizeof(*flags));

	if (kpf >= 0)
		close(kpf);
	if (!ok) {
		free(flags);
		return NULL;
	}
	return flags;
}

/* The flags of @pfn in /proc/kpageflags, 0 if they cannot be read. */
static __u64 page_flags(__u64 pfn)
{
	__u64 *flags = read_kpageflags(pfn, 1), f = flags ? *flags : 0;

	free(flags);
	return f;
}

/*
 * Take @pfn out of the page allocator as a kernel page (whatever used it is
 * migrated) and give it back to this CPU's per-cpu list: with @timed, by
 * the driver's timed drop, a work item queued on this CPU, waited for;
 * else by UNDO, which some versions of the driver follow with a drain of
 * every per-cpu list. False if @pfn could not be taken.
 */
static bool take_and_give_back(__u64 pfn, bool timed)
{
	struct cma_bulk_test_unmovable u;
	struct area now = { 0 };
	int ms;

	if (cbt_busy(fd, CMA_BULK_TEST_PATTERN_PFNS, CMA_BULK_TEST_KIND_KERNEL,
		     0, 0, 0, timed ? 1 : 0, &pfn, 1, NULL, 0, &u))
		die("claim");
	if (!timed) {
		if (ioctl(fd, CMA_BULK_TEST_UNDO))
			die("claim");
		return u.nr_busy;
	}
	for (ms = 0; u.nr_busy && ms < 1000; ms++) {
		if (cbt_state(fd, DEFAULT_AREA, &now))
			die("state");
		if (!now.st.busy_pages)
			break;
		usleep(1000);
	}
	return u.nr_busy;
}

/*
 * Put a page of this process at @pfn, for a pin to go there: take @pfn out
 * of the page allocator, give it back to this CPU's per-cpu list, and
 * fault a page in on the same CPU: the page allocator takes it from the
 * head of that list, where @pfn went. Tried a few times, with the timed
 * drop first; false if it did not land there.
 */
static bool claim_page(__u64 pfn, int pm)
{
	int try;

	for (try = 0; try < 8; try++) {
		char *p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		bool taken;

		if (p == MAP_FAILED)
			die("mmap");
		taken = take_and_give_back(pfn, try < 4);
		memset(p, 0x5a, PAGE_SZ);
		if (taken && pagemap_pfn(pm, p) == pfn) {
			claimed[nr_claimed++] = p;
			return true;
		}
		munmap(p, PAGE_SZ);
	}
	return false;
}

/*
 * S1's busy pages, at the same PFNs in every state: the first page of
 * every 8th pageblock, an unmovable kernel page and a pinned user page in
 * turn. The pin goes on the in-use movable page there, or, where there is
 * none (a pageblock the fill left empty), on a page of this process put
 * there first. Every method thus faces the same busy pages. @report: print
 * the info,busy line (not for a counting run's state).
 */
static void place_busy(bool report)
{
	const __u64 pb = pageblock_pages();
	const __u64 end = area.st.base_pfn + area.st.count;
	const __u64 max = pb ? area.st.count / pb / S1_STRIDE + 1 : 0;
	const unsigned int kind[2] = {
		CMA_BULK_TEST_KIND_KERNEL, CMA_BULK_TEST_KIND_PIN
	};
	__u64 pfn = pb ? (area.st.base_pfn + pb - 1) / pb * pb : 0;
	__u64 *want = calloc(2 * max, sizeof(*want)), n[2] = { 0 }, i;
	struct cma_bulk_test_unmovable u;
	unsigned int k = 0, placed[2];
	int pm = open("/proc/self/pagemap", O_RDONLY);
	cpu_set_t all, one;

	if (!pb || !want || pm < 0 || sched_getaffinity(0, sizeof(all), &all))
		die("busy pages");
	for (; pfn + pb <= end; pfn += S1_STRIDE * pb, k ^= 1)
		want[k * max + n[k]++] = pfn;
	/*
	 * Claim the empty places first (an UNDO drops every busy page), on
	 * one CPU, whose per-cpu list hands the freed page out again.
	 */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		die("affinity");
	for (i = 0; i < n[1]; i++)
		if (!(page_flags(want[max + i]) & (1ULL << KPF_LRU)) &&
		    !claim_page(want[max + i], pm))
			progress("could not put a page at PFN %#llx for a pin",
				 (unsigned long long)want[max + i]);
	if (sched_setaffinity(0, sizeof(all), &all))
		die("affinity");
	close(pm);
	/* Kernel pages first: taking them drains the LRU caches for pins. */
	for (k = 0; k < 2; k++) {
		if (cbt_busy(fd, CMA_BULK_TEST_PATTERN_PFNS, kind[k], 0, 0, 0,
			     0, want + k * max, n[k], busy_pfns + nr_busy, n[k],
			     &u))
			die("unmovable");
		nr_busy += u.nr_busy;
		placed[k] = u.nr_busy;
	}
	free(want);
	qsort(busy_pfns, nr_busy, sizeof(*busy_pfns), cmp_u64);
	progress("busy pages: %u unmovable kernel pages, %u pinned user pages (%llu put in place)",
		 placed[0], placed[1], (unsigned long long)nr_claimed);
	if (report)
		printf("info,busy,%u,%u\n", placed[0], placed[1]);
}

/*
 * Build the starting state: the helper fills the area up to the occupancy,
 * then S1's busy pages go in (see place_busy() for @report). Returns NULL
 * or why it could not be built.
 */
static const char *build_state(const struct setup *s, bool report)
{
	__u64 target = area.st.count * s->occupancy / 100;
	/* A large fill runs out of memory now and then: start it again. */
	int tries = 3;

	reset();
	cache_used = s->file;
	while (s->occupancy) {
		if (!helper_start_thin(&helper, &area, target, target, fd,
				       UNIT_ORDER, s->keep,
				       (s->thp ? FILL_THP : 0) |
				       (s->file ? FILL_FILE : 0))) {
			have_helper = true;
			break;
		}
		if (!--tries) {
			static char why[320];

			snprintf(why, sizeof(why),
				 "could not fill the area to the occupancy: %s",
				 helper_why(&helper));
			helper_stop(&helper);
			return why;
		}
		progress("%s", helper_why(&helper));
		helper_stop(&helper);
		if (s->file)
			drop_page_cache();
	}
	if (s->busy)
		place_busy(report);
	return NULL;
}

/* Order-4 chunks of the area that hold no busy page. */
static __u64 obtainable(void)
{
	__u64 i, hit = 0, prev = ~0ULL;

	for (i = 0; i < nr_busy; i++) {
		__u64 c = busy_pfns[i] >> UNIT_ORDER;

		hit += c != prev;
		prev = c;
	}
	return area_chunks(&area, UNIT_ORDER) - hit;
}

static bool is_busy(__u64 pfn)
{
	return bsearch(&pfn, busy_pfns, nr_busy, sizeof(pfn), cmp_u64);
}

/*
 * Run the benchmark module's ALLOC in a child that shares our file, so that
 * what it obtains stays held by the file, and stop it with SIGKILL at the
 * cap. The module sees the fatal signal, stops and still reports what it
 * held.
 */
static bool run_capped(bool *capped)
{
	__u64 start = now_ns(), cap = cap_s * 1000000000ULL;
	int status;
	pid_t pid;

	job->done = false;
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		/* The pages put in place for pins stay mapped once only. */
		while (nr_claimed)
			munmap(claimed[--nr_claimed], PAGE_SZ);
		job->ret = ioctl(bfd, CMA_BULK_BENCH_ALLOC, &job->alloc) ?
			   errno : 0;
		job->done = true;
		_exit(0);
	}
	*capped = false;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ns() - start > cap && !*capped) {
			kill(pid, SIGKILL);
			*capped = true;
		}
		usleep(10000);
	}
	/* Killed at the cap, the child still got the driver's report. */
	if (*capped)
		return true;
	if (!job->done || job->ret) {
		errno = job->done ? job->ret : EIO;
		return false;
	}
	return true;
}

/* Pages per call (or per chunk) of a method run by the benchmark module. */
static __u64 method_pages(const struct setup *s, enum method m)
{
	return m == CMA_ALLOC_300M ? S1_CHUNKS << UNIT_ORDER :
	       m == CMA_ALLOC_2M ? 512 :
	       m <= VENDOR_CHUNK ? chunk_pages(UNIT_ORDER) :
	       chunk_pages(s->order);
}

/*
 * The alignment real callers pass: dma_alloc_contiguous() and the CMA heap
 * ask for min(get_order(size), CONFIG_CMA_ALIGNMENT), 8 by default. The
 * bulk methods and vendor_chunk take none.
 */
static unsigned int method_align(const struct setup *s, enum method m)
{
	unsigned int order = 0;

	if (m >= VENDOR_CHUNK)
		return 0;
	while ((1ULL << order) < method_pages(s, m))
		order++;
	return order < 8 ? order : 8;
}

/*
 * One run of @m by the benchmark module, as a driver calls it (nothing
 * drained beforehand): cma_alloc_bulk() once in the mode of @m; cma_alloc()
 * of method_pages() until the request is held; fast_loop, one drain and
 * then a FAST alloc_contig_range() per chunk; vendor_chunk, the vendor
 * strategy in 64 KiB chunks.
 */
static void measure_method(const struct setup *s, enum method m,
			   struct result *r)
{
	struct cma_bulk_bench_alloc *a = &job->alloc;
	static const unsigned int method[] = {
		[CMA_ALLOC_300M] = CMA_BULK_BENCH_CMA_ALLOC,
		[CMA_ALLOC_ORDER4] = CMA_BULK_BENCH_CMA_ALLOC,
		[CMA_ALLOC_2M] = CMA_BULK_BENCH_CMA_ALLOC,
		[FAST_LOOP] = CMA_BULK_BENCH_FAST_LOOP,
		[VENDOR_CHUNK] = CMA_BULK_BENCH_VENDOR_CHUNK,
		[BULK_NORMAL] = CMA_BULK_BENCH_BULK,
		[BULK_FAST] = CMA_BULK_BENCH_BULK,
		[BULK_HARD] = CMA_BULK_BENCH_BULK,
	};
	static const unsigned int mode[] = {
		[BULK_NORMAL] = CMA_BULK_BENCH_MODE_NORMAL,
		[BULK_FAST] = CMA_BULK_BENCH_MODE_FAST,
		[BULK_HARD] = CMA_BULK_BENCH_MODE_HARD,
	};

	memset(a, 0, sizeof(*a));
	set_name(a->area, DEFAULT_AREA);
	a->method = method[m];
	a->mode = m >= BULK_NORMAL ? mode[m] : 0;
	a->nr_pages = method_pages(s, m);
	a->total_pages = s->units << UNIT_ORDER;
	a->align = method_align(s, m);
	a->flags = CMA_BULK_BENCH_NOWARN;
	a->pfns = (uintptr_t)chunk_pfns;
	if (!run_capped(&r->capped))
		die("alloc");
	r->allocated = a->allocated * a->nr_pages >> UNIT_ORDER;
	r->migrated = a->migrated;
	r->ms = r->capped ? cap_s * 1000.0 : a->elapsed_ns / 1e6;
}

/*
 * Mark in @held the @nr chunks of @size pages from PFN @first that cannot
 * be had: those with a busy page, and those of a huge page that holds one,
 * since the pin or reference keeps all of it in place. @flags: the
 * /proc/kpageflags flags of those chunks' pages.
 */
static void held_chunks(const __u64 *flags, __u64 first, __u64 size,
			__u64 nr, bool *held)
{
	__u64 i, j;

	for (i = 0; i < nr_busy; i++) {
		__u64 lo = busy_pfns[i] - first, hi = lo;

		if (busy_pfns[i] < first || lo / size >= nr)
			continue;
		if (flags[lo] & (1ULL << KPF_THP)) {
			while (lo && !(flags[lo] & (1ULL << KPF_COMPOUND_HEAD)))
				lo--;
			while (hi + 1 < nr * size &&
			       flags[hi + 1] & (1ULL << KPF_COMPOUND_TAIL))
				hi++;
		}
		for (j = lo / size; j <= hi / size; j++)
			held[j] = true;
	}
}

/* migrate_pages() alone on every in-use page of the given chunks. */
static void migrate_chunks(const __u64 *chunks, __u64 nr, unsigned int order,
			   struct result *r)
{
	struct cma_bulk_bench_floor fl = { 0 };
	__u64 *pfns = calloc(area.st.count, sizeof(*pfns));
	__u64 i, j, n = 0;

	if (!pfns)
		die("calloc");
	for (i = 0; i < nr; i++)
		for (j = 0; j < chunk_pages(order); j++)
			if (!is_busy(chunks[i] + j) && n < area.st.count)
				pfns[n++] = chunks[i] + j;
	set_name(fl.area, DEFAULT_AREA);
	fl.nr_pages = n;
	fl.pfns = (uintptr_t)pfns;
	if (n && ioctl(bfd, CMA_BULK_BENCH_MIGRATE_LIMIT, &fl))
		die("oracle_limit");
	free(pfns);
	r->allocated = nr << order >> UNIT_ORDER;
	r->migrated = fl.done;
	r->ms = fl.elapsed_ns / 1e6;
	r->migrate_ms = r->ms;
}

/*
 * oracle_limit: migrate_pages() alone on the @want chunks of order
 * @s->order that need the fewest migrations: among those that hold no busy
 * page, the ones the helper occupies least. These are the fewest pages any
 * allocator must move for the request from this state. (migrate_limit, the
 * same floor for the pages bulk_fast chose, is measured inside bulk_fast's
 * own call: see measure().)
 */
static void measure_least_occupied(const struct setup *s, __u64 want,
				   struct result *r)
{
	const __u64 size = chunk_pages(s->order);
	const __u64 first = (area.st.base_pfn + size - 1) & ~(size - 1);
	__u64 nr = area_chunks(&area, s->order), i, n = 0, k;
	unsigned int *used = calloc(nr, sizeof(*used));
	__u64 *chunks = calloc(nr, sizeof(*chunks));
	__u64 *flags = read_kpageflags(first, nr * size);
	bool *held = calloc(nr, sizeof(*held));

	if (!used || !chunks || !flags || !held)
		die("calloc");
	for (i = 0; have_helper && i < helper.sh->nr_pages; i++) {
		__u64 pfn = helper.sh->pfns[i];

		if (pfn >= first && (pfn - first) / size < nr)
			used[(pfn - first) / size]++;
	}
	/* As for the oracle: no chunk with a busy page, nor of its huge page. */
	held_chunks(flags, first, size, nr, held);
	for (i = 0; i < nr; i++)
		if (held[i])
			used[i] = UINT_MAX;
	/* Occupancy is at most @size: take the chunks by increasing count. */
	for (k = 0; k <= size; k++) {
		for (i = 0; i < nr; i++) {
			if (n == want)
				goto done;
			if (used[i] == k)
				chunks[n++] = first + i * size;
		}
	}
done:
	migrate_chunks(chunks, n, s->order, r);
	free(used);
	free(chunks);
	free(flags);
	free(held);
}

static void measure_copy(struct result *r)
{
	struct cma_bulk_bench_floor fl = { 0 };

	fl.nr_pages = fast_migrated;
	if (ioctl(bfd, CMA_BULK_BENCH_COPY_LIMIT, &fl))
		die("copy_limit");
	r->allocated = 0;
	r->migrated = fl.done;
	r->ms = fl.elapsed_ns / 1e6;
}

/*
 * A 300 MiB buffer from a dma-buf heap of the area: the chunk heap (order-4
 * chunks from cma_alloc_bulk()) or the CMA heap (one cma_alloc()). The
 * buffer's layout, from the test driver, tells which pages it holds; it is
 * freed once the helper has checked its pages. Pages migrated come from
 * /proc/vmstat, read outside the timed window. With @held NULL (a counting
 * run), the buffer is freed at once.
 * Returns NULL, or why the heap cannot be measured.
 */
static const char *measure_heap(enum method m, struct result *r,
				__u64 *held)
{
	const char *path = m == HEAP_CHUNK_300M ?
			   "/dev/dma_heap/chunk-" DEFAULT_AREA :
			   "/dev/dma_heap/" DEFAULT_AREA;
	struct dma_heap_allocation_data d = {
		.len = S1_CHUNKS * chunk_pages(UNIT_ORDER) * PAGE_SZ,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	struct cma_bulk_test_dmabuf_sg sg = { 0 };
	long mig = vmstat_value("pgmigrate_success");
	static struct cma_bulk_test_seg segs[S1_CHUNKS];
	int heap = open(path, O_RDONLY | O_CLOEXEC);
	__u64 start, i, off;
	int ret;

	if (held)
		*held = 0;
	if (heap < 0)
		return "no such dma-buf heap";
	start = now_ns();
	ret = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d);
	r->ms = (now_ns() - start) / 1e6;
	close(heap);
	r->migrated = vmstat_value("pgmigrate_success") - mig;
	if (ret)
		return NULL;	/* nothing obtained */
	if (!held) {
		close(d.fd);
		return NULL;
	}

	sg.fd = d.fd;
	sg.max_segs = ARRAY_SIZE(segs);
	sg.segs = (uintptr_t)segs;
	if (ioctl(fd, CMA_BULK_TEST_DMABUF_SG, &sg))
		die("dmabuf_sg");
	/* The buffer's pages, in order-4 units, for the helper's check. */
	for (i = 0; i < sg.nr_segs && i < ARRAY_SIZE(segs); i++)
		for (off = 0; off < segs[i].len && *held < area.st.count;
		     off += chunk_pages(UNIT_ORDER) * PAGE_SZ)
			chunk_pfns[(*held)++] = (segs[i].addr + off) / PAGE_SZ;
	r->allocated = S1_CHUNKS;
	heap_fd = d.fd;
	return NULL;
}

static void print_run(const struct setup *s, enum method m, unsigned int rep,
		      const struct result *r)
{
	printf("run,%s,%u,%s,%u,%llu,%llu,%llu,%.3f,%llu,%llu,%llu,%d,%d,%.3f,%llu\n",
	       s->scenario, s->param, method_name[m], rep,
	       (unsigned long long)s->units, (unsigned long long)r->allocated,
	       (unsigned long long)r->obtainable, r->ms,
	       (unsigned long long)r->migrated, (unsigned long long)r->pcp,
	       (unsigned long long)r->lru, r->intact, r->capped, r->migrate_ms,
	       (unsigned long long)r->reclaimed);
	fflush(stdout);
}

/*
 * The fewest pages any allocator must migrate (or, clean page cache,
 * reclaim) to get @want chunks of @order from the area as it is now: the
 * pages in use in the @want least occupied chunks that hold no busy page,
 * nor part of a huge page that holds one (it cannot move). A page is in
 * use when /proc/kpageflags shows it is not a free buddy block and has
 * some flag set: free pages inside a buddy block and on a per-cpu list
 * have none.
 * -1 if the flags cannot be read or too few chunks are free of busy pages.
 * *@empty: the chunks with no page in use at all.
 */
static long long oracle_pages(unsigned int order, __u64 want, __u64 *empty)
{
	const __u64 size = chunk_pages(order), buddy = 1ULL << KPF_BUDDY;
	const __u64 first = (area.st.base_pfn + size - 1) & ~(size - 1);
	__u64 nr = area_chunks(&area, order), i, j, k;
	__u64 *hist = calloc(size + 1, sizeof(*hist));
	__u64 *flags = read_kpageflags(first, nr * size);
	bool *held = calloc(nr, sizeof(*held));
	long long sum = -1;

	*empty = 0;
	if (!flags || !hist || !held)
		goto out;
	held_chunks(flags, first, size, nr, held);
	for (i = 0; i < nr; i++) {
		__u64 used = 0;

		if (held[i])
			continue;
		for (j = 0; j < size; j++) {
			__u64 f = flags[i * size + j];

			used += f && !(f & buddy);
		}
		hist[used]++;
	}
	/* The least occupied chunks first. */
	*empty = hist[0];
	sum = 0;
	for (k = 0; k <= size && want; k++) {
		__u64 take = hist[k] < want ? hist[k] : want;

		sum += take * k;
		want -= take;
	}
	if (want)
		sum = -1;
out:
	free(flags);
	free(hist);
	free(held);
	return sum;
}

/*
 * The helper's pages that are part of a transparent huge page, from
 * /proc/kpageflags; 0 if it cannot be read.
 */
static __u64 thp_pages(void)
{
	__u64 *flags = read_kpageflags(area.st.base_pfn, area.st.count);
	__u64 i, n = 0;

	for (i = 0; flags && have_helper && i < helper.sh->nr_pages; i++)
		n += !!(flags[helper.sh->pfns[i] - area.st.base_pfn] &
			(1ULL << KPF_THP));
	free(flags);
	return n;
}

/*
 * S2's state: the page cache in the area (pages on a file LRU list), and
 * how much of it is dirty and under writeback, from /proc/kpageflags.
 */
static void page_cache_info(const struct setup *s)
{
	const __u64 anon = 1ULL << KPF_ANON | 1ULL << KPF_SWAPBACKED;
	__u64 *flags = read_kpageflags(area.st.base_pfn, area.st.count);
	__u64 i, n[3] = { 0 };

	for (i = 0; flags && i < area.st.count; i++) {
		if (!(flags[i] & (1ULL << KPF_LRU)) || flags[i] & anon)
			continue;
		n[0]++;
		n[1] += !!(flags[i] & (1ULL << KPF_DIRTY));
		n[2] += !!(flags[i] & (1ULL << KPF_WRITEBACK));
	}
	free(flags);
	printf("info,pagecache,%u,%llu,%llu,%llu,%llu\n", s->param,
	       (unsigned long long)helper.sh->nr_pages,
	       (unsigned long long)n[0], (unsigned long long)n[1],
	       (unsigned long long)n[2]);
}

/*
 * Pageblocks of every zone that are MIGRATE_UNMOVABLE and MIGRATE_MOVABLE,
 * from the "Number of blocks type" table of /proc/pagetypeinfo; false if
 * it cannot be read.
 */
static bool count_pageblocks(__u64 *unmovable, __u64 *movable)
{
	char line[512], *tok, *save;
	int col, unmov_col = -1, mov_col = -1;
	bool in_table = false;
	FILE *f = fopen("/proc/pagetypeinfo", "r");

	*unmovable = *movable = 0;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Number of blocks type", 21)) {
			in_table = true;
			col = 0;
			for (tok = strtok_r(line + 21, "\n ", &save); tok;
			     tok = strtok_r(NULL, "\n ", &save), col++) {
				if (!strcmp(tok, "Unmovable"))
					unmov_col = col;
				else if (!strcmp(tok, "Movable"))
					mov_col = col;
			}
			continue;
		}
		if (!in_table || strncmp(line, "Node", 4))
			continue;
		/* "Node 0, zone   Normal   n0 n1 ...": counts after the name. */
		tok = strtok_r(line, "\n ", &save);
		for (col = -4; tok; tok = strtok_r(NULL, "\n ", &save), col++) {
			if (col == unmov_col)
				*unmovable += strtoull(tok, NULL, 10);
			else if (col == mov_col)
				*movable += strtoull(tok, NULL, 10);
		}
	}
	fclose(f);
	return in_table && unmov_col >= 0 && mov_col >= 0;
}

#define TRACING		"/sys/kernel/tracing/"
#define EXTFRAG		TRACING "events/kmem/mm_page_alloc_extfrag/enable"
#define MIGRATE		TRACING "events/migrate/mm_migrate_pages/enable"

static bool write_file(const char *file, const char *val)
{
	int f = open(file, O_WRONLY | O_TRUNC);
	bool ok = f >= 0 && write(f, val, strlen(val)) == (ssize_t)strlen(val);

	if (f >= 0)
		close(f);
	return ok;
}

/*
 * Trace pageblock claims (steals) from now on, and calls of migrate_pages()
 * if @migrate; false without tracefs.
 */
static bool claims_start(bool migrate)
{
	return write_file(TRACING "trace", "") && write_file(EXTFRAG, "1") &&
	       (!migrate || write_file(MIGRATE, "1"));
}

/*
 * Count the pageblocks claimed since claims_start(), per migratetype of
 * the allocation (0 unmovable, 1 movable, 2 reclaimable): a pageblock
 * changes to the allocation's type when change_ownership=1. Only an
 * unmovable allocation can make a pageblock unmovable: the tasks that did
 * are listed. @calls: the calls of migrate_pages() for contiguous
 * allocations, and the folios they failed to migrate, if traced.
 */
static void claims_report(const struct setup *s, enum method m,
			  unsigned int rep, long long calls[2])
{
	char line[512], task[64], tasks[256] = "", *p;
	unsigned long claims[3] = { 0 }, failed;
	int type, own;
	FILE *f;

	write_file(EXTFRAG, "0");
	write_file(MIGRATE, "0");
	f = fopen(TRACING "trace", "r");
	if (!f)
		return;
	calls[0] = 0;
	calls[1] = 0;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "nr_failed=");
		if (p && strstr(line, "reason=contig_range") &&
		    sscanf(p, "nr_failed=%lu", &failed) == 1) {
			calls[0]++;
			calls[1] += failed;
			continue;
		}
		p = strstr(line, "alloc_migratetype=");
		if (!p || sscanf(p, "alloc_migratetype=%d", &type) != 1 ||
		    type < 0 || type > 2)
			continue;
		p = strstr(line, "change_ownership=");
		if (!p || sscanf(p, "change_ownership=%d", &own) != 1 || !own)
			continue;
		claims[type]++;
		/* "  task-pid  [cpu] ...": the task without its pid */
		if (type || sscanf(line, " %63s", task) != 1)
			continue;
		p = strrchr(task, '-');
		if (p)
			*p = 0;
		if (!strstr(tasks, task) &&
		    strlen(tasks) + strlen(task) + 2 < sizeof(tasks))
			snprintf(tasks + strlen(tasks), sizeof(tasks) - strlen(tasks),
				 "%s%s", tasks[0] ? " " : "", task);
	}
	fclose(f);
	printf("claims,%s,%u,%s,%u,%lu,%lu,%lu,%s\n", s->scenario, s->param,
	       method_name[m], rep, claims[0], claims[1], claims[2], tasks);
}

/* The methods that allocate: each has a counting run. */
static bool counted(enum method m)
{
	return m <= BULK_HARD || m == HEAP_CHUNK_300M || m == HEAP_CMA_300M;
}

/*
 * Run @m once on the state built: timed, or with @count as a counting run.
 * *@allocated: the entries of chunk_pfns it filled. Returns NULL, or why
 * it cannot be measured.
 */
static const char *run_method(const struct setup *s, enum method m,
			      struct result *r, __u64 *allocated, bool count)
{
	*allocated = 0;
	switch (m) {
	case ORACLE_LIMIT:
		measure_least_occupied(s, s->units << UNIT_ORDER >> s->order,
				       r);
		return NULL;
	case COPY_LIMIT:
		measure_copy(r);
		return NULL;
	case HEAP_CHUNK_300M:
	case HEAP_CMA_300M:
		return measure_heap(m, r, count ? NULL : allocated);
	case MIGRATE_LIMIT:
	case NR_METHODS:
		return "not a method of its own";
	default:
		measure_method(s, m, r);
		*allocated = job->alloc.allocated;
		return NULL;
	}
}

/*
 * The counting run of @m: the state built again as for the timed run, and
 * the same method run untimed, with the benchmark module's counting probes
 * and the tracepoints armed around it alone. Sets @r's drains, time in
 * migrate_pages() and reclaimed pages, and prints the pageblocks, claims
 * and (THP) huge-page lines; false if the state could not be built again.
 */
static bool count_run(const struct setup *s, enum method m, unsigned int rep,
		      struct result *r)
{
	static const char * const thp_stat[5] = {
		"thp_migration_success", "thp_migration_fail",
		"thp_migration_split", "compact_stall", "allocstall_movable",
	};
	struct cma_bulk_bench_count c = { .op = CMA_BULK_BENCH_COUNT_START };
	long long thp[5], calls[2] = { -1, -1 };
	struct result cr = { 0 };
	__u64 pb[4], allocated;
	bool have_pb, tracing;
	const char *why;
	int i;

	why = build_state(s, false);
	if (why) {
		progress("%s %u %s #%u: no counting run: %s", s->scenario,
			 s->param, method_name[m], rep, why);
		return false;
	}
	if (s->file && helper_writeback(&helper))
		die("writeback");
	for (i = 0; i < 5; i++)
		thp[i] = vmstat_value(thp_stat[i]);
	have_pb = count_pageblocks(&pb[0], &pb[2]);
	tracing = claims_start(s->thp);
	if (ioctl(bfd, CMA_BULK_BENCH_COUNT, &c))
		die("count start");
	run_method(s, m, &cr, &allocated, true);
	c.op = CMA_BULK_BENCH_COUNT_STOP;
	if (ioctl(bfd, CMA_BULK_BENCH_COUNT, &c))
		die("count stop");

	/*
	 * Where the pages migrated out of the area went: a method whose
	 * migration targets are not movable turns pageblocks unmovable.
	 */
	if (have_pb && count_pageblocks(&pb[1], &pb[3]))
		printf("pageblocks,%s,%u,%s,%u,%llu,%llu,%llu,%llu\n",
		       s->scenario, s->param, method_name[m], rep,
		       (unsigned long long)pb[0], (unsigned long long)pb[1],
		       (unsigned long long)pb[2], (unsigned long long)pb[3]);
	if (tracing)
		claims_report(s, m, rep, calls);
	if (s->thp) {
		for (i = 0; i < 5; i++)
			thp[i] = vmstat_value(thp_stat[i]) - thp[i];
		printf("thp,%s,%u,%s,%u,%lld,%lld,%lld,%lld,%lld,%lld,%lld\n",
		       s->scenario, s->param, method_name[m], rep, thp[0],
		       thp[1], thp[2], thp[3], thp[4], calls[0], calls[1]);
	}
	r->pcp = c.pcp_drains;
	r->lru = c.lru_drains;
	r->migrate_ms = c.migrate_ns / 1e6;
	r->reclaimed = c.reclaimed;
	progress("%s %u %s #%u: counted %.1f ms in %llu migrate_pages(), drains %llu PCP %llu LRU",
		 s->scenario, s->param, method_name[m], rep, r->migrate_ms,
		 (unsigned long long)c.migrate_calls,
		 (unsigned long long)c.pcp_drains,
		 (unsigned long long)c.lru_drains);
	return true;
}

/* One measurement of @m from a freshly built state; false if skipped. */
static bool measure(const struct setup *s, enum method m, unsigned int rep)
{
	struct result r = { 0 };
	const char *why;
	__u64 allocated = 0, empty;
	long long least = -1;

	if (m == COPY_LIMIT && !fast_migrated) {
		printf("skip,%s,%u,%s,bulk_fast migrated nothing\n",
		       s->scenario, s->param, method_name[m]);
		return false;
	}
	if (m == COPY_LIMIT) {
		reset();		/* copies need no fill */
		why = NULL;
	} else {
		why = build_state(s, true);
	}
	if (why) {
		printf("skip,%s,%u,%s,%s\n", s->scenario, s->param,
		       method_name[m], why);
		fflush(stdout);
		return false;
	}
	r.obtainable = obtainable();
	/* S2: writeback starts now, to be in flight when the method starts. */
	if (s->file && helper_writeback(&helper))
		die("writeback");
	/* What the method must migrate at least, from the state it faces. */
	if (m != COPY_LIMIT) {
		least = oracle_pages(s->order, s->units << UNIT_ORDER >> s->order,
				     &empty);

		if (s->file)
			page_cache_info(s);
		if (s->thp)
			printf("info,thp,%u,%llu,%llu\n", s->param,
			       (unsigned long long)thp_pages(),
			       (unsigned long long)helper.sh->nr_pages);
		if (s->keep)
			printf("info,scattered,%u,%llu,%llu,%llu,%llu\n",
			       s->param,
			       (unsigned long long)helper.sh->nr_pages,
			       (unsigned long long)area.st.count,
			       (unsigned long long)empty,
			       (unsigned long long)area_chunks(&area, s->order));
		printf("oracle,%s,%u,%s,%u,%lld\n", s->scenario, s->param,
		       method_name[m], rep, least);
		fflush(stdout);
	}

	why = run_method(s, m, &r, &allocated, false);
	if (why) {
		printf("skip,%s,%u,%s,%s\n", s->scenario, s->param,
		       method_name[m], why);
		return false;
	}
	if (m == BULK_FAST)
		fast_migrated = r.migrated;

	/* The helper checks every byte, and that none of its pages is held. */
	r.intact = true;
	if (have_helper) {
		__u64 size = chunk_pages(s->order);

		if (m <= BULK_HARD)
			size = method_pages(s, m);
		else if (m == HEAP_CHUNK_300M || m == HEAP_CMA_300M)
			size = chunk_pages(UNIT_ORDER);	/* see measure_heap() */

		if (helper_check(&helper, chunk_pfns, allocated, size))
			die("helper");
		r.intact = !helper.sh->bad && !helper.sh->in_chunks_now;
		if (!r.intact)
			progress("DATA: %llu pages changed, %llu inside a chunk",
				 (unsigned long long)helper.sh->bad,
				 (unsigned long long)helper.sh->in_chunks_now);
	}
	if (heap_fd >= 0)
		close(heap_fd);
	heap_fd = -1;
	/* A capped method is not run again to be counted. */
	if (counted(m) && !r.capped)
		count_run(s, m, rep, &r);
	print_run(s, m, rep, &r);
	/*
	 * migrate_limit: the part of bulk_fast's call spent in migrate_pages(),
	 * moving the pages it had to move out of its chunks, on the state it
	 * faced (its counting run's). The rest of its time is the scan,
	 * isolation and the taking of the free pages.
	 */
	if (m == BULK_FAST && !r.capped) {
		struct result lim = r;

		lim.ms = r.migrate_ms;
		lim.pcp = 0;
		lim.lru = 0;
		printf("oracle,%s,%u,%s,%u,%lld\n", s->scenario, s->param,
		       method_name[MIGRATE_LIMIT], rep, least);
		print_run(s, MIGRATE_LIMIT, rep, &lim);
	}
	progress("%s %u %s #%u: %llu of %llu in %.1f ms, %llu migrated%s",
		 s->scenario, s->param, method_name[m], rep,
		 (unsigned long long)r.allocated, (unsigned long long)s->units,
		 r.ms, (unsigned long long)r.migrated,
		 r.capped ? " (capped)" : "");
	/* A capped method is not repeated. */
	return !r.capped;
}

static void run(const struct setup *s, const enum method *m, size_t nr)
{
	size_t i;
	unsigned int rep;

	for (i = 0; i < nr; i++)
		for (rep = 0; rep < reps; rep++)
			if (!measure(s, m[i], rep))
				break;
}

static void scenario_s1(bool demo)
{
	static const enum method all[] = {
		BULK_FAST, ORACLE_LIMIT, COPY_LIMIT,
		BULK_NORMAL, BULK_HARD, FAST_LOOP, VENDOR_CHUNK,
		CMA_ALLOC_ORDER4, CMA_ALLOC_2M, CMA_ALLOC_300M,
		HEAP_CHUNK_300M, HEAP_CMA_300M,
	};
	static const enum method reduced[] = {
		BULK_FAST, COPY_LIMIT, CMA_ALLOC_ORDER4,
	};
	struct setup s = { "S1", S1_CHUNKS, 50, true, UNIT_ORDER, S1_CHUNKS };

	if (demo)
		run(&s, reduced, ARRAY_SIZE(reduced));
	else
		run(&s, all, ARRAY_SIZE(all));
}

/*
 * S3: S1's request and busy pages on an area of scattered occupancy. The
 * helper fills the area to 85 %, then keeps in every order-4 chunk only its
 * pages at offsets below 4, 8 or 12 (25, 50 or 75 % of the fill), so that
 * almost no chunk is free and every chunk costs migrations.
 */
static void scenario_s3(void)
{
	static const enum method all[] = {
		BULK_FAST, ORACLE_LIMIT, COPY_LIMIT,
		BULK_NORMAL, BULK_HARD, FAST_LOOP, VENDOR_CHUNK,
		CMA_ALLOC_ORDER4, CMA_ALLOC_2M, CMA_ALLOC_300M,
		HEAP_CHUNK_300M, HEAP_CMA_300M,
	};
	static const unsigned int occ[] = { 25, 50, 75 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(occ); i++) {
		struct setup s = { "S3", occ[i], S3_FILL, true, UNIT_ORDER,
				   S1_CHUNKS,
				   chunk_pages(UNIT_ORDER) * occ[i] / 100 };

		fast_migrated = 0;	/* the limits follow this state's */
		run(&s, all, ARRAY_SIZE(all));
	}
}

/*
 * Read S2's files back from the disk, the page cache dropped, and count the
 * pages that do not hold their known contents.
 */
static void check_files(void)
{
	const size_t len = FILL_REGION_PAGES * PAGE_SZ;
	__u64 *buf = malloc(len), bad = 0, p, j;
	unsigned int n;
	char name[PATH_MAX];

	if (!buf)
		die("memory");
	drop_page_cache();
	for (n = 0; ; n++) {
		int f;

		snprintf(name, sizeof(name), "%s/f%03u", fill_dir, n);
		f = open(name, O_RDONLY);
		if (f < 0)
			break;
		if (pread(f, buf, len, 0) != (ssize_t)len)
			memset(buf, 0, len);	/* short: every page is bad */
		close(f);
		for (p = 0; p < FILL_REGION_PAGES; p++) {
			__u64 v = fill_word(FILL_FILE_SEED,
					    (__u64)n * FILL_REGION_PAGES + p);

			for (j = 0; j < PAGE_SZ / sizeof(v); j++) {
				if (buf[p * PAGE_SZ / sizeof(v) + j] != v) {
					bad++;
					break;
				}
			}
		}
	}
	free(buf);
	progress("S2 files: %u read back from the disk, %llu pages changed",
		 n, (unsigned long long)bad);
	printf("info,files,%u,%llu\n", n, (unsigned long long)bad);
	fflush(stdout);
}

/*
 * S2: S1's request and busy pages on an area half full of the page cache of
 * the files in fill_dir, on an ext2 file system on a virtio-blk disk whose
 * writes QEMU throttles: every 16th page kept is dirty, every 32nd under
 * writeback when the method starts. Then the files are checked.
 */
static void scenario_s2(void)
{
	static const enum method all[] = {
		BULK_FAST, ORACLE_LIMIT, BULK_NORMAL, BULK_HARD, FAST_LOOP,
		VENDOR_CHUNK, CMA_ALLOC_ORDER4, CMA_ALLOC_2M, HEAP_CHUNK_300M,
	};
	struct setup s = { "S2", 50, 50, true, UNIT_ORDER, S1_CHUNKS, 0, false,
			   true };
	size_t i;

	if (!fill_dir) {
		for (i = 0; i < ARRAY_SIZE(all); i++)
			printf("skip,S2,50,%s,no file system for the page cache: give -d DIR\n",
			       method_name[all[i]]);
		return;
	}
	fast_migrated = 0;
	run(&s, all, ARRAY_SIZE(all));
	reset();
	check_files();
	drop_page_cache();	/* what check_files() read */
}

/*
 * The first huge-page migrations of a boot cost several times the later
 * ones, whichever method makes them (bulk_normal first: 948 ms, then 234
 * and 229 ms). A discarded bulk_normal call on a state built like the
 * scenario's makes them before the first measurement.
 */
static void warm_up(const struct setup *s)
{
	struct result r = { 0 };
	const char *why = build_state(s, false);

	if (why) {
		progress("%s: no warm-up: %s", s->scenario, why);
		return;
	}
	measure_method(s, BULK_NORMAL, &r);
	progress("%s: warm-up bulk_normal, discarded: %.1f ms", s->scenario,
		 r.ms);
}

/*
 * THP: S1's request and busy pages on an area half full of transparent huge
 * pages (2 MiB, 32 chunks each): a chunk can only be had by moving the
 * whole huge page that covers it.
 */
static void scenario_thp(void)
{
	static const enum method all[] = {
		BULK_FAST, ORACLE_LIMIT, BULK_NORMAL, BULK_HARD, FAST_LOOP,
		VENDOR_CHUNK, CMA_ALLOC_ORDER4, CMA_ALLOC_2M, HEAP_CHUNK_300M,
	};
	struct setup s = { "THP", 50, 50, true, UNIT_ORDER, S1_CHUNKS, 0,
			   true };

	warm_up(&s);
	run(&s, all, ARRAY_SIZE(all));
}

static void sweep_nr(void)
{
	static const unsigned int nr[] = { 600, 1200, 2400, 4800, 7200 };
	static const enum method m[] = {
		BULK_FAST, BULK_NORMAL, FAST_LOOP, CMA_ALLOC_ORDER4,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nr); i++) {
		struct setup s = { "sweep_nr", nr[i], 50, false, UNIT_ORDER,
				   nr[i] };

		run(&s, m, ARRAY_SIZE(m));
	}
}

static void sweep_occupancy(void)
{
	static const unsigned int occ[] = { 0, 50, 90 };
	static const enum method m[] = {
		BULK_FAST, BULK_NORMAL, CMA_ALLOC_ORDER4,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(occ); i++) {
		struct setup s = { "sweep_occupancy", occ[i], occ[i], false,
				   UNIT_ORDER, S1_CHUNKS };

		run(&s, m, ARRAY_SIZE(m));
	}
}

static void sweep_order(void)
{
	static const unsigned int order[] = { 0, 4, 9 };
	static const enum method m[] = { BULK_FAST };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		struct setup s = { "sweep_order", order[i], 50, false, order[i],
				   S1_CHUNKS };

		run(&s, m, ARRAY_SIZE(m));
	}
}

int main(int argc, char **argv)
{
	const char *why;
	int opt, i;

	while ((opt = getopt(argc, argv, "r:c:d:")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'c':
			cap_s = atoi(optarg);
			break;
		case 'd':
			fill_dir = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind == argc || !reps || !cap_s)
		goto usage;
	for (i = optind; i < argc; i++) {
		static const char * const known[] = {
			"S1", "S2", "S3", "THP", "sweep_nr", "sweep_occupancy",
			"sweep_order", "all", "demo",
		};
		size_t k;

		for (k = 0; k < ARRAY_SIZE(known); k++)
			if (!strcmp(argv[i], known[k]))
				break;
		if (k == ARRAY_SIZE(known)) {
			fprintf(stderr, "cma_bulk_bench: unknown scenario \"%s\"\n",
				argv[i]);
			goto usage;
		}
	}

	fd = cbt_open_area(&area, &why);
	if (fd < 0) {
		fprintf(stderr, "cma_bulk_bench: %s\n", why);
		return 1;
	}
	bfd = open(BENCH_PATH, O_RDWR);
	if (bfd < 0) {
		fprintf(stderr, "cma_bulk_bench: no %s: load bench/kmod's %s first\n",
			BENCH_PATH, "cma_bulk_bench.ko");
		return 1;
	}
	job = mmap(NULL, sizeof(*job), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	busy_pfns = calloc(area.st.count, sizeof(__u64));
	claimed = calloc(area.st.count, sizeof(*claimed));
	/* Shared: the driver writes it from the child of run_capped(). */
	chunk_pfns = mmap(NULL, area.st.count * sizeof(__u64),
			  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			  -1, 0);
	if (job == MAP_FAILED || !busy_pfns || !claimed ||
	    chunk_pfns == MAP_FAILED)
		die("memory");
	if (area_chunks(&area, UNIT_ORDER) < S1_CHUNKS * 3 / 2) {
		fprintf(stderr, "cma_bulk_bench: the area is too small for S1: %s\n",
			"boot with cma=512M");
		return 1;
	}
	progress("area \"%s\": %llu pages at PFN %#llx", DEFAULT_AREA,
		 (unsigned long long)area.st.count,
		 (unsigned long long)area.st.base_pfn);
	printf("info,area,%llu,%lu\n", (unsigned long long)area.st.count,
	       pageblock_pages());

	for (i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "demo"))
			scenario_s1(true);
		if (!strcmp(argv[i], "S1") || !strcmp(argv[i], "all"))
			scenario_s1(false);
		if (!strcmp(argv[i], "S2") || !strcmp(argv[i], "all"))
			scenario_s2();
		if (!strcmp(argv[i], "S3") || !strcmp(argv[i], "all"))
			scenario_s3();
		if (!strcmp(argv[i], "THP") || !strcmp(argv[i], "all"))
			scenario_thp();
		if (!strcmp(argv[i], "sweep_nr") || !strcmp(argv[i], "all"))
			sweep_nr();
		if (!strcmp(argv[i], "sweep_occupancy") || !strcmp(argv[i], "all"))
			sweep_occupancy();
		if (!strcmp(argv[i], "sweep_order") || !strcmp(argv[i], "all"))
			sweep_order();
	}
	reset();
	close(bfd);
	close(fd);
	return 0;

usage:
	fprintf(stderr, "usage: %s [-r reps] [-c cap_seconds] [-d dir] scenario...\n%s\n",
		argv[0],
		"scenarios: S1 S2 S3 THP sweep_nr sweep_occupancy sweep_order all demo");
	return 2;
}
