/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Movable memory with known contents in the CMA area, for the benchmark
 * (bench/cma_bulk_bench.c): a filler that puts anonymous and shmem pages,
 * transparent huge pages or the page cache of files into CMA, and a helper
 * process that holds them and checks them on request. Built with the
 * kernel's tools/testing/selftests/cma_bulk/ on the include path, for
 * cma_bulk_util.h.
 */
#ifndef __CMA_BULK_FILL_H
#define __CMA_BULK_FILL_H

#include "cma_bulk_util.h"

#include <signal.h>
#include <sys/wait.h>

/* Known contents: every 8-byte word of page @i holds this value. */
static inline __u64 fill_word(__u64 seed, __u64 i)
{
	return (seed ^ (i * 0x9e3779b97f4a7c15ULL)) | 1;
}

#define FILL_REGION_PAGES	1024	/* 4 MiB */
#define FILL_THP_BYTES		(2UL << 20)

/* Flags of helper_start_thin(). */
#define FILL_THP	0x1	/* anonymous memory only, in huge pages */
#define FILL_FILE	0x2	/* the page cache of the files in fill_dir */

/*
 * FILL_FILE: the files "f000", "f001" ... of fill_dir, FILL_REGION_PAGES
 * pages each, where every 8-byte word of page p of file n holds
 * fill_word(FILL_FILE_SEED, n * FILL_REGION_PAGES + p), little-endian
 * (bench/make-s2-image.py writes them).
 */
#define FILL_FILE_SEED	0x5eed5eedULL
static const char *fill_dir;

/*
 * Movable memory with known contents, anonymous and shmem in turn, of which
 * only the pages that landed in CMA are kept: the others are given back,
 * so that migration targets outside CMA stay available.
 */
struct fill {
	__u64 base, count;		/* the area */
	__u64 seed;
	bool thp;			/* in: FILL_THP, set by the caller */
	bool file;			/* in: FILL_FILE, set by the caller */
	unsigned int next_file;		/* FILL_FILE: the next file to map */
	bool in_cma;			/* FILL_FILE: new pages go to CMA */
	size_t nr_regions;
	struct fill_region {
		char *addr;
		size_t pages;
		int memfd;		/* -1 for anonymous memory */
		bool file;		/* memfd is a file of fill_dir */
		bool kept[FILL_REGION_PAGES];	/* ours: in the area when filled */
	} region[512];
	/* Pages kept: address, PFN when filled, and the value of its words. */
	size_t nr_pages, max_pages;
	char **page;
	__u64 *pfn, *val;
	char why[256];		/* why the fill failed */
	/* /proc/meminfo when fill_region() last found no room, in kB */
	long stop_memfree, stop_cmafree;
};

static inline void fill_free(struct fill *f)
{
	size_t i;

	for (i = 0; i < f->nr_regions; i++) {
		munmap(f->region[i].addr, f->region[i].pages * PAGE_SZ);
		if (f->region[i].memfd >= 0)
			close(f->region[i].memfd);
	}
	f->nr_regions = 0;
	free(f->page);
	free(f->pfn);
	free(f->val);
	f->page = NULL;
	f->pfn = NULL;
	f->val = NULL;
	f->nr_pages = 0;
}

/* Give back pages [first, first + nr) of a region. */
static inline void fill_drop(struct fill_region *reg, size_t first, size_t nr)
{
	if (!nr)
		return;
	if (reg->memfd >= 0 && !reg->file)
		fallocate(reg->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  first * PAGE_SZ, nr * PAGE_SZ);
	else
		madvise(reg->addr + first * PAGE_SZ, nr * PAGE_SZ, MADV_DONTNEED);
	/* Unmapped and clean, a file's page cache goes with the fadvise(). */
	if (reg->file)
		posix_fadvise(reg->memfd, first * PAGE_SZ, nr * PAGE_SZ,
			      POSIX_FADV_DONTNEED);
}

static inline __u64 cma_free_pages(void)
{
	return (__u64)meminfo_kb("CmaFree") * 1024 / PAGE_SZ;
}

static inline bool fill_enough(const struct fill *f, __u64 target,
			       __u64 occupied)
{
	return f->nr_pages >= target &&
	       (!occupied || cma_free_pages() + occupied <= f->count);
}

/*
 * Give back the pages of every region that were outside the area when they
 * were filled, and unmap the regions left without a page, so that their
 * slots can be used again. The pages kept are exactly the ones recorded,
 * with known contents, wherever compaction may have moved them since.
 */
static inline void fill_drop_outside(struct fill *f)
{
	size_t r, i, kept = 0;

	for (r = 0; r < f->nr_regions; r++) {
		struct fill_region *reg = &f->region[r];
		size_t run = 0, in = 0;

		for (i = 0; i < reg->pages; i++) {
			if (reg->kept[i]) {
				fill_drop(reg, run, i - run);
				run = i + 1;
				in++;
			}
		}
		fill_drop(reg, run, reg->pages - run);
		if (in) {
			f->region[kept++] = *reg;
		} else {
			munmap(reg->addr, reg->pages * PAGE_SZ);
			if (reg->memfd >= 0)
				close(reg->memfd);
		}
	}
	f->nr_regions = kept;
}

/* Free memory outside CMA that a fill leaves for everything else. */
#define FILL_RESERVE_KB		(32 * 1024)

/*
 * FILL_FILE: map the next file of fill_dir, shared, and read it in, unless
 * movable pages still go outside CMA (the last region landed mostly
 * outside): then anonymous memory takes that room, as the file's pages
 * are wanted in the area. Returns the page cache index of the file's first
 * page in the fill's numbering, -1 for anonymous memory, -2 on failure
 * (f->why says why).
 */
static inline long long fill_map_file(struct fill *f, struct fill_region *reg)
{
	size_t len = FILL_REGION_PAGES * PAGE_SZ;
	char name[256];

	if (!f->in_cma) {
		reg->addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				 -1, 0);
		return reg->addr == MAP_FAILED ? -2 : -1;
	}
	snprintf(name, sizeof(name), "%s/f%03u", fill_dir ? fill_dir : ".",
		 f->next_file);
	reg->memfd = open(name, O_RDWR);
	if (reg->memfd < 0) {
		snprintf(f->why, sizeof(f->why), "cannot open file f%03u: %s",
			 f->next_file, strerror(errno));
		return -2;
	}
	reg->file = true;
	reg->addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, reg->memfd, 0);
	if (reg->addr == MAP_FAILED)
		return -2;
	return (long long)f->next_file++ * FILL_REGION_PAGES;
}

/*
 * Map and populate one more region, and record the pages that landed in
 * the area, writing their known contents (a file's are on disk already);
 * false when out of room. Pages outside the area are given back later, so
 * they are not written.
 */
static inline bool fill_region(struct fill *f, int pm)
{
	struct fill_region *reg = &f->region[f->nr_regions];
	size_t len = FILL_REGION_PAGES * PAGE_SZ, i, j;
	__u64 pfn[FILL_REGION_PAGES];
	long long index = -1;

	if (f->nr_regions == ARRAY_SIZE(f->region))
		return false;
	/* Leave room for migration targets and the rest of the test. */
	f->stop_memfree = meminfo_kb("MemFree");
	f->stop_cmafree = meminfo_kb("CmaFree");
	if (f->stop_memfree - f->stop_cmafree < FILL_RESERVE_KB)
		return false;

	reg->memfd = -1;
	reg->file = false;
	if (f->file) {
		index = fill_map_file(f, reg);
		if (index == -2)
			reg->addr = MAP_FAILED;
	} else if (f->thp) {
		/* Aligned to a huge page, which is faulted in whole. */
		char *p = mmap(NULL, len + FILL_THP_BYTES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t head;

		if (p == MAP_FAILED)
			return false;
		head = -(uintptr_t)p & (FILL_THP_BYTES - 1);
		if (head)
			munmap(p, head);
		munmap(p + head + len, FILL_THP_BYTES - head);
		reg->addr = p + head;
		if (madvise(reg->addr, len, MADV_HUGEPAGE)) {
			munmap(reg->addr, len);
			return false;
		}
		for (i = 0; i < len; i += PAGE_SZ)
			reg->addr[i] = 1;
	} else if (f->nr_regions & 1) {
		reg->memfd = memfd_create("cma_bulk_fill", 0);
		if (reg->memfd < 0)
			return false;
		if (ftruncate(reg->memfd, len)) {
			close(reg->memfd);
			return false;
		}
		reg->addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, reg->memfd, 0);
	} else {
		reg->addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				 -1, 0);
	}
	if (reg->addr == MAP_FAILED) {
		if (reg->memfd >= 0)
			close(reg->memfd);
		return false;
	}
	reg->pages = FILL_REGION_PAGES;
	memset(reg->kept, 0, sizeof(reg->kept));
	f->nr_regions++;

	if (pagemap_pfns(pm, reg->addr, reg->pages, pfn))
		return false;
	for (i = 0, j = 0; i < reg->pages; i++)
		j += pfn[i] && pfn_in(pfn[i], f->base, f->count);
	f->in_cma = j >= reg->pages / 2;
	for (i = 0; i < reg->pages; i++) {
		__u64 *w = (__u64 *)(reg->addr + i * PAGE_SZ);
		__u64 v = fill_word(f->seed, (uintptr_t)w / PAGE_SZ);

		/* Anonymous memory of a file fill only takes room. */
		if (!pfn[i] || !pfn_in(pfn[i], f->base, f->count) ||
		    f->nr_pages == f->max_pages || (f->file && !reg->file))
			continue;
		if (reg->file) {
			v = fill_word(FILL_FILE_SEED, index + i);
			if (*w != v) {
				snprintf(f->why, sizeof(f->why),
					 "page %zu of file f%03llu does not hold its known contents",
					 i, index / FILL_REGION_PAGES);
				return false;
			}
		} else {
			for (j = 0; j < PAGE_SZ / sizeof(*w); j++)
				w[j] = v;
		}
		reg->kept[i] = true;
		f->page[f->nr_pages] = (char *)w;
		f->val[f->nr_pages] = v;
		f->pfn[f->nr_pages++] = pfn[i];
	}
	return true;
}

/*
 * FILL_FILE: dirty every 16th page kept, writing its first word again (the
 * same value), and start writeback of every other one of those, so that
 * the area holds clean, dirty and writeback pages. Writeback is slow on a
 * throttled disk.
 * Returns the pages put under writeback, or -1 on a failure.
 */
static inline long fill_dirty(struct fill *f, __u64 *dirtied)
{
	size_t r, i, n = 0;
	long wb = 0;

	*dirtied = 0;
	for (r = 0; r < f->nr_regions; r++) {
		struct fill_region *reg = &f->region[r];

		for (i = 0; reg->file && i < reg->pages; i++) {
			__u64 w = *(__u64 *)(reg->addr + i * PAGE_SZ);

			if (!reg->kept[i] || n++ % 16)
				continue;
			if (pwrite(reg->memfd, &w, sizeof(w), i * PAGE_SZ) !=
			    sizeof(w))
				return -1;
			(*dirtied)++;
			if (n % 32 != 1)
				continue;
			if (sync_file_range(reg->memfd, i * PAGE_SZ, PAGE_SZ,
					    SYNC_FILE_RANGE_WRITE))
				return -1;
			wb++;
		}
	}
	return wb;
}

/*
 * Fill memory until at least @target pages of the area hold our data and,
 * if @occupied is not 0, until /proc/meminfo CmaFree says that at least
 * @occupied pages of the area are in use; then give back every page that
 * landed outside the area, so that migration targets remain free. The page
 * allocator only uses CMA for movable pages once less than half of the
 * zone's free memory is outside it, hence the detour. Giving pages back
 * can flush CMA pages off the per-cpu lists and raise CmaFree again, so
 * this is repeated a few times if needed. Returns 0, or -1 if memory ran
 * low first or PFNs cannot be read (the caller skips).
 */
static inline int fill_cma(struct fill *f, __u64 base, __u64 count,
			   __u64 target, __u64 occupied)
{
	int pm = open("/proc/self/pagemap", O_RDONLY);
	/* Aim a little higher, for what giving pages back lets out of PCP. */
	__u64 aim = occupied ? occupied + count / 64 : 0;
	int round, ret = -1;

	f->base = base;
	f->count = count;
	f->seed = now_ns();
	f->nr_regions = 0;
	f->nr_pages = 0;
	f->max_pages = count;
	f->page = calloc(count, sizeof(*f->page));
	f->pfn = calloc(count, sizeof(*f->pfn));
	f->val = calloc(count, sizeof(*f->val));
	snprintf(f->why, sizeof(f->why), "cannot read /proc/self/pagemap");
	if (pm < 0 || !f->page || !f->pfn || !f->val)
		goto out;
	if (aim > count)
		aim = occupied;

	for (round = 0; round < 8; round++) {
		bool room = true;

		f->why[0] = 0;
		f->in_cma = false;
		while (!fill_enough(f, target, aim) &&
		       (room = fill_region(f, pm)))
			;
		fill_drop_outside(f);
		if (f->why[0])
			break;		/* a file fill failed, see f->why */
		if (fill_enough(f, target, occupied)) {
			ret = 0;
			break;
		}
		snprintf(f->why, sizeof(f->why),
			 "%s after %d rounds: %zu pages of the area held, CmaFree %llu of %llu pages; when the fill stopped MemFree %ld kB, CmaFree %ld kB",
			 room ? "the area is still too free" : "memory ran low",
			 round + 1, f->nr_pages,
			 (unsigned long long)cma_free_pages(),
			 (unsigned long long)count, f->stop_memfree,
			 f->stop_cmafree);
		if (!room)
			break;
	}
out:
	if (pm >= 0)
		close(pm);
	return ret;
}

/* Pages whose contents changed; every byte of every kept page is read. */
static inline size_t fill_verify(const struct fill *f)
{
	size_t i, j, bad = 0;

	for (i = 0; i < f->nr_pages; i++) {
		const __u64 *w = (const __u64 *)f->page[i];

		for (j = 0; j < PAGE_SZ / sizeof(*w); j++) {
			if (w[j] != f->val[i]) {
				bad++;
				break;
			}
		}
	}
	return bad;
}

/*
 * Give back pages [first, first + nr) of a region for good: unmapped, as
 * madvise() may not exist (CONFIG_ADVISE_SYSCALLS=n).
 */
static inline void fill_unmap(struct fill_region *reg, size_t first, size_t nr)
{
	if (!nr)
		return;
	if (reg->memfd >= 0)
		fill_drop(reg, first, nr);
	else
		munmap(reg->addr + first * PAGE_SZ, nr * PAGE_SZ);
}

/*
 * Thin a fill out: give back every page kept whose PFN, read again from
 * /proc/self/pagemap, lies at offset @keep or above inside its aligned
 * chunk of 1 << @order pages, so that the pages left are scattered over
 * (almost) every chunk. The record keeps the pages left, with their PFNs
 * as they are now. Returns 0, or -1 if PFNs cannot be read.
 */
static inline int fill_thin(struct fill *f, unsigned int order, __u64 keep)
{
	const __u64 mask = (1ULL << order) - 1;
	int pm = open("/proc/self/pagemap", O_RDONLY);
	__u64 *pfn = calloc(f->nr_regions * FILL_REGION_PAGES, sizeof(*pfn));
	size_t r, i, run, n = 0;
	int ret = -1;

	if (pm < 0 || !pfn)
		goto out;
	for (r = 0; r < f->nr_regions; r++) {
		struct fill_region *reg = &f->region[r];
		__u64 *p = pfn + r * FILL_REGION_PAGES;

		if (pagemap_pfns(pm, reg->addr, reg->pages, p))
			goto out;
		/* Give back runs of pages: one call per run. */
		for (i = 0, run = 0; i <= reg->pages; i++) {
			if (i < reg->pages && reg->kept[i] &&
			    (p[i] & mask) >= keep) {
				reg->kept[i] = false;
				continue;
			}
			fill_unmap(reg, run, i - run);
			run = i + 1;
		}
	}
	/* The record follows the regions' order: look on when it leaves one. */
	for (i = 0, r = 0; i < f->nr_pages && f->nr_regions; i++) {
		struct fill_region *reg = &f->region[r];
		size_t idx, seen;

		for (seen = 0; seen <= f->nr_regions; seen++) {
			reg = &f->region[r];
			if (f->page[i] >= reg->addr &&
			    f->page[i] < reg->addr + reg->pages * PAGE_SZ)
				break;
			r = (r + 1) % f->nr_regions;
		}
		idx = (f->page[i] - reg->addr) / PAGE_SZ;
		if (seen > f->nr_regions || !reg->kept[idx])
			continue;
		f->page[n] = f->page[i];
		f->val[n] = f->val[i];
		f->pfn[n++] = pfn[r * FILL_REGION_PAGES + idx];
	}
	f->nr_pages = n;
	ret = 0;
out:
	if (pm >= 0)
		close(pm);
	free(pfn);
	return ret;
}

/*
 * A helper process that fills memory with fill_cma() and, when told to,
 * checks its pages: contents, and where they are now compared with where
 * they were and with the chunks the test obtained.
 */
struct helper_shared {
	int status;			/* 0 filled, -1 could not fill */
	char why[256];			/* why not */
	__u64 nr_pages;		/* pages kept in the area */
	__u64 dirtied;			/* FILL_FILE: see fill_dirty() */
	long long writeback;
	/* Verification results. */
	__u64 bad;			/* pages whose contents changed */
	__u64 moved;			/* pages with a new PFN */
	__u64 in_chunks_before;	/* pages that were inside a chunk */
	__u64 in_chunks_before_moved;
	__u64 in_chunks_now;		/* pages inside a chunk now */
	__u64 in_area_now;		/* pages inside the area now */
	/* From the test: the chunks it obtained, sorted. */
	__u64 nr_chunks, chunk_pages;
	__u64 *chunks;		/* area->count entries */
	__u64 *pfns;			/* area->count entries: kept PFNs */
};

struct helper {
	pid_t pid;
	int to, from;
	struct helper_shared *sh;
	size_t sh_size;
};

static inline void helper_verify(struct helper_shared *sh, struct fill *f)
{
	int pm = open("/proc/self/pagemap", O_RDONLY);
	__u64 i;

	sh->bad = fill_verify(f);
	sh->moved = 0;
	sh->in_chunks_before = 0;
	sh->in_chunks_before_moved = 0;
	sh->in_chunks_now = 0;
	sh->in_area_now = 0;
	for (i = 0; i < f->nr_pages; i++) {
		__u64 pfn = pagemap_pfn(pm, f->page[i]);
		bool before = pfn_in_chunks(f->pfn[i], sh->chunks,
					    sh->nr_chunks, sh->chunk_pages);

		sh->moved += pfn != f->pfn[i];
		sh->in_chunks_before += before;
		sh->in_chunks_before_moved += before && pfn != f->pfn[i];
		sh->in_chunks_now += pfn_in_chunks(pfn, sh->chunks,
						   sh->nr_chunks,
						   sh->chunk_pages);
		sh->in_area_now += pfn_in(pfn, f->base, f->count);
	}
	close(pm);
}

/*
 * Start a helper that fills @target pages of the area, and makes sure
 * @occupied pages are in use (0: no check), see fill_cma(), with transparent
 * huge pages if @flags has FILL_THP, with the page cache of fill_dir's files
 * if it has FILL_FILE, then, if @keep is not 0, thins the
 * fill out with fill_thin(@order, @keep); 0 once done. @driver_fd is closed
 * in the helper.
 */
static inline int helper_start_thin(struct helper *h, const struct area *a,
				    __u64 target, __u64 occupied,
				    int driver_fd, unsigned int order,
				    __u64 keep, unsigned int flags)
{
	int to[2], from[2];
	char c;

	h->sh_size = sizeof(*h->sh) + 2 * a->st.count * sizeof(__u64);
	h->sh = mmap(NULL, h->sh_size, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h->sh == MAP_FAILED || pipe(to) || pipe(from))
		return -1;
	h->sh->chunks = (__u64 *)(h->sh + 1);
	h->sh->pfns = h->sh->chunks + a->st.count;
	h->pid = fork();
	if (h->pid < 0)
		return -1;
	if (!h->pid) {
		static struct fill f;

		close(to[1]);
		close(from[0]);
		close(driver_fd);	/* the test's file must not outlive it */
		f.thp = flags & FILL_THP;
		f.file = flags & FILL_FILE;
		h->sh->status = fill_cma(&f, a->st.base_pfn, a->st.count, target,
					 occupied);
		if (!h->sh->status && keep && fill_thin(&f, order, keep)) {
			snprintf(f.why, sizeof(f.why), "cannot thin the fill out");
			h->sh->status = -1;
		}
		memcpy(h->sh->why, f.why, sizeof(h->sh->why));
		h->sh->nr_pages = f.nr_pages;
		memcpy(h->sh->pfns, f.pfn, f.nr_pages * sizeof(__u64));
		if (write(from[1], "r", 1) != 1)
			_exit(1);
		while (read(to[0], &c, 1) == 1 && (c == 'v' || c == 'w')) {
			if (c == 'v')
				helper_verify(h->sh, &f);
			else
				h->sh->writeback = fill_dirty(&f, &h->sh->dirtied);
			if (write(from[1], "d", 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	h->to = to[1];
	h->from = from[0];
	if (read(h->from, &c, 1) != 1)
		return -1;
	return h->sh->status;
}

/* A helper that fills the area as above, without thinning. */
static inline int helper_start(struct helper *h, const struct area *a,
			       __u64 target, __u64 occupied, int driver_fd)
{
	return helper_start_thin(h, a, target, occupied, driver_fd, 0, 0, 0);
}

/* Why helper_start() failed, for the test's skip message. */
static inline const char *helper_why(const struct helper *h)
{
	if (!h->sh || h->sh == MAP_FAILED)
		return "cannot start a helper process";
	return h->sh->why[0] ? h->sh->why : "the helper process died";
}

/*
 * FILL_FILE: have the helper dirty part of its page cache and start its
 * writeback, see fill_dirty(); 0, or -1 if it could not.
 */
static inline int helper_writeback(struct helper *h)
{
	char c;

	if (write(h->to, "w", 1) != 1 || read(h->from, &c, 1) != 1)
		return -1;
	return h->sh->writeback < 0 ? -1 : 0;
}

/* Tell the helper which chunks were obtained; it verifies its pages. */
static inline int helper_check(struct helper *h, const __u64 *chunks,
			       __u64 nr, __u64 chunk_pages)
{
	char c;

	memcpy(h->sh->chunks, chunks, nr * sizeof(__u64));
	qsort(h->sh->chunks, nr, sizeof(__u64), cmp_u64);
	h->sh->nr_chunks = nr;
	h->sh->chunk_pages = chunk_pages;
	if (write(h->to, "v", 1) != 1 || read(h->from, &c, 1) != 1)
		return -1;
	return 0;
}

static inline void helper_stop(struct helper *h)
{
	if (h->pid > 0) {
		close(h->to);
		close(h->from);
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		h->pid = 0;
	}
	if (h->sh && h->sh != MAP_FAILED)
		munmap(h->sh, h->sh_size);
	h->sh = NULL;
}

#endif /* __CMA_BULK_FILL_H */
