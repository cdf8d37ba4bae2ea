// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark module for cma_alloc_bulk(): /sys/kernel/debug/cma_bulk_bench.
 *
 * Runs the methods the benchmark compares, as their real callers run them
 * (cma_alloc_bulk() once, cma_alloc() in a loop, the fast loop, the vendor
 * chunk strategy), each timed around its own calls, and measures the floors
 * (copy_highpage() and migrate_pages() alone). See bench/cma_bulk_bench.h
 * for the ioctl ABI and bench/cma_bulk_bench.c for its user.
 *
 * The kernel exports none of the functions the methods call: they are
 * looked up at load time with kallsyms_lookup_name(), found through a
 * kprobe that is registered and removed again at once. The counting probes
 * (drains, time in migrate_pages(), reclaimed clean pages) exist only
 * between CMA_BULK_BENCH_COUNT_START and _STOP, around an untimed run.
 */
#include <linux/bitmap.h>
#include <linux/cma.h>
#include <linux/debugfs.h>
#include <linux/highmem.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/page-isolation.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>

#include "cma.h"
#include "internal.h"
#include "../cma_bulk_bench.h"

/* Copy at most this many distinct page pairs for COPY_LIMIT. */
#define CBB_COPY_PAIRS		8192
#define CBB_MAX_ALIGN		31

/* What the methods call, none of it exported: see cbb_resolve(). */
static typeof(cma_for_each_area) *cbb_cma_for_each_area;
static typeof(cma_alloc) *cbb_cma_alloc;
static typeof(cma_release) *cbb_cma_release;
static typeof(cma_alloc_bulk_noprof) *cbb_cma_alloc_bulk;
static typeof(alloc_contig_range_noprof) *cbb_alloc_contig_range;
static typeof(drain_all_pages) *cbb_drain_all_pages;
static typeof(lru_add_drain_all) *cbb_lru_add_drain_all;
static typeof(migrate_pages) *cbb_migrate_pages;
static typeof(alloc_migration_target) *cbb_alloc_migration_target;
static typeof(putback_movable_pages) *cbb_putback_movable_pages;
static typeof(isolate_folio_to_list) *cbb_isolate_folio_to_list;
static typeof(start_isolate_page_range) *cbb_start_isolate_page_range;
static typeof(undo_isolate_page_range) *cbb_undo_isolate_page_range;
/* NULL without CONFIG_CMA_SYSFS. */
static void (*cbb_account_success)(struct cma *cma, unsigned long nr_pages);

#define CBB_SYM(name, ptr) { name, (void **)&(ptr) }

static const struct {
	const char *name;
	void **ptr;
} cbb_syms[] = {
	CBB_SYM("cma_for_each_area", cbb_cma_for_each_area),
	CBB_SYM("cma_alloc", cbb_cma_alloc),
	CBB_SYM("cma_release", cbb_cma_release),
	CBB_SYM("cma_alloc_bulk_noprof", cbb_cma_alloc_bulk),
	CBB_SYM("alloc_contig_range_noprof", cbb_alloc_contig_range),
	CBB_SYM("drain_all_pages", cbb_drain_all_pages),
	CBB_SYM("lru_add_drain_all", cbb_lru_add_drain_all),
	CBB_SYM("migrate_pages", cbb_migrate_pages),
	CBB_SYM("alloc_migration_target", cbb_alloc_migration_target),
	CBB_SYM("putback_movable_pages", cbb_putback_movable_pages),
	CBB_SYM("isolate_folio_to_list", cbb_isolate_folio_to_list),
	CBB_SYM("start_isolate_page_range", cbb_start_isolate_page_range),
	CBB_SYM("undo_isolate_page_range", cbb_undo_isolate_page_range),
};

/*
 * Look up every symbol of cbb_syms[] with kallsyms_lookup_name(), whose
 * address a kprobe on it reveals (it is not exported either).
 */
static int cbb_resolve(void)
{
	unsigned long (*lookup)(const char *name);
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned int i;
	int ret;

	ret = register_kprobe(&kp);
	if (ret) {
		pr_err("cma_bulk_bench: no kprobe on kallsyms_lookup_name: %d\n",
		       ret);
		return ret;
	}
	lookup = (void *)kp.addr;
	unregister_kprobe(&kp);

	for (i = 0; i < ARRAY_SIZE(cbb_syms); i++) {
		*cbb_syms[i].ptr = (void *)lookup(cbb_syms[i].name);
		if (!*cbb_syms[i].ptr) {
			pr_err("cma_bulk_bench: no symbol %s\n", cbb_syms[i].name);
			return -ENOENT;
		}
	}
	if (IS_ENABLED(CONFIG_CMA_SYSFS))
		cbb_account_success = (void *)lookup("cma_sysfs_account_success_pages");
	return 0;
}

struct cbb_chunk {
	struct cma *cma;
	unsigned long pfn;
	unsigned long nr_pages;
};

struct cbb_file {
	struct mutex lock;	/* protects the chunks */
	struct cbb_chunk *chunks;
	unsigned long nr_chunks;
	unsigned long max_chunks;
};

static bool cbb_in_area(struct cma *cma, unsigned long pfn)
{
	return pfn >= cma->base_pfn && pfn - cma->base_pfn < cma->count;
}

struct cbb_find {
	const char *name;
	struct cma *cma;
};

static int cbb_match(struct cma *cma, void *data)
{
	struct cbb_find *find = data;

	if (!cma->count || !cma->bitmap || strcmp(cma->name, find->name))
		return 0;
	find->cma = cma;
	return 1;
}

/* The area named @name (a NUL-terminated field of the ABI), or an ERR_PTR. */
static struct cma *cbb_area(const char *name)
{
	struct cbb_find find = { .name = name };

	if (!memchr(name, '\0', CMA_BULK_BENCH_NAME_LEN))
		return ERR_PTR(-EINVAL);
	cbb_cma_for_each_area(cbb_match, &find);
	return find.cma ?: ERR_PTR(-ENODEV);
}

/* pgmigrate_success so far, exactly: the per-cpu counts summed. */
static u64 cbb_migrated(unsigned long *evbuf)
{
	all_vm_events(evbuf);
	return evbuf[PGMIGRATE_SUCCESS];
}

/*
 * The counting probes: drains of every CPU's per-cpu page lists and LRU
 * caches (every drain_all_pages() and zone_pcp_disable() goes through
 * __drain_all_pages(); lru_add_drain_all() and lru_cache_disable() are the
 * two entries of __lru_add_drain_all()), the time in migrate_pages() for
 * contiguous allocations, and the clean pages alloc_contig_range()'s
 * migration step reclaims. Registered by COUNT_START, removed by COUNT_STOP:
 * they never exist while a method is timed.
 */
enum {
	CBB_PCP,
	CBB_LRU,
	CBB_MIGRATE_CALLS,
	CBB_MIGRATE_NS,
	CBB_RECLAIMED,
	CBB_NR_COUNTS
};

static atomic64_t cbb_counts[CBB_NR_COUNTS];
static DEFINE_MUTEX(cbb_count_lock);
static struct cbb_file *cbb_counting;	/* the file that armed them */

struct cbb_probe {
	struct kprobe kp;
	unsigned int what;
};

static int cbb_count_drain(struct kprobe *kp, struct pt_regs *regs)
{
	atomic64_inc(&cbb_counts[container_of(kp, struct cbb_probe, kp)->what]);
	return 0;
}

static const struct {
	const char *fn;
	unsigned int what;
} cbb_drain_fns[] = {
	{ "__drain_all_pages", CBB_PCP },
	{ "lru_add_drain_all", CBB_LRU },
	{ "lru_cache_disable", CBB_LRU },
};

static struct cbb_probe cbb_drain_probes[ARRAY_SIZE(cbb_drain_fns)];

static int cbb_migrate_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	/* migrate_pages(from, get, put, private, mode, reason, succeeded) */
	if (regs_get_kernel_argument(regs, 5) != MR_CONTIG_RANGE)
		return 1;	/* not counted: no return handler */
	*(u64 *)ri->data = ktime_get_ns();
	return 0;
}

static int cbb_migrate_return(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	atomic64_inc(&cbb_counts[CBB_MIGRATE_CALLS]);
	atomic64_add(ktime_get_ns() - *(u64 *)ri->data,
		     &cbb_counts[CBB_MIGRATE_NS]);
	return 0;
}

static int cbb_reclaim_return(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	atomic64_add((unsigned int)regs_return_value(regs),
		     &cbb_counts[CBB_RECLAIMED]);
	return 0;
}

static struct kretprobe cbb_migrate_probe, cbb_reclaim_probe;

static void cbb_count_disarm(void)
{
	unsigned int i;

	lockdep_assert_held(&cbb_count_lock);
	for (i = 0; i < ARRAY_SIZE(cbb_drain_probes); i++)
		unregister_kprobe(&cbb_drain_probes[i].kp);
	unregister_kretprobe(&cbb_migrate_probe);
	unregister_kretprobe(&cbb_reclaim_probe);
	cbb_counting = NULL;
}

/* Register the counting probes afresh, the counts at 0. */
static int cbb_count_arm(struct cbb_file *f)
{
	unsigned int i;
	int ret;

	lockdep_assert_held(&cbb_count_lock);
	for (i = 0; i < CBB_NR_COUNTS; i++)
		atomic64_set(&cbb_counts[i], 0);
	memset(cbb_drain_probes, 0, sizeof(cbb_drain_probes));
	memset(&cbb_migrate_probe, 0, sizeof(cbb_migrate_probe));
	memset(&cbb_reclaim_probe, 0, sizeof(cbb_reclaim_probe));
	cbb_migrate_probe.kp.symbol_name = "migrate_pages";
	cbb_migrate_probe.entry_handler = cbb_migrate_entry;
	cbb_migrate_probe.handler = cbb_migrate_return;
	cbb_migrate_probe.data_size = sizeof(u64);
	cbb_migrate_probe.maxactive = 2 * num_possible_cpus();
	cbb_reclaim_probe.kp.symbol_name = "reclaim_clean_pages_from_list";
	cbb_reclaim_probe.handler = cbb_reclaim_return;
	cbb_reclaim_probe.maxactive = 2 * num_possible_cpus();

	ret = register_kretprobe(&cbb_migrate_probe);
	if (ret)
		return ret;
	ret = register_kretprobe(&cbb_reclaim_probe);
	if (ret) {
		unregister_kretprobe(&cbb_migrate_probe);
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(cbb_drain_probes); i++) {
		cbb_drain_probes[i].kp.symbol_name = cbb_drain_fns[i].fn;
		cbb_drain_probes[i].kp.pre_handler = cbb_count_drain;
		cbb_drain_probes[i].what = cbb_drain_fns[i].what;
		ret = register_kprobe(&cbb_drain_probes[i].kp);
		if (ret) {
			while (i--)
				unregister_kprobe(&cbb_drain_probes[i].kp);
			unregister_kretprobe(&cbb_migrate_probe);
			unregister_kretprobe(&cbb_reclaim_probe);
			return ret;
		}
	}
	cbb_counting = f;
	return 0;
}

static long cbb_ioctl_count(struct cbb_file *f, void __user *argp)
{
	struct cma_bulk_bench_count c;
	long ret = 0;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (c.reserved || c.op > CMA_BULK_BENCH_COUNT_STOP)
		return -EINVAL;

	mutex_lock(&cbb_count_lock);
	if (c.op == CMA_BULK_BENCH_COUNT_START) {
		ret = cbb_counting ? -EBUSY : cbb_count_arm(f);
	} else if (cbb_counting != f) {
		ret = -EINVAL;
	} else {
		cbb_count_disarm();
		c.pcp_drains = atomic64_read(&cbb_counts[CBB_PCP]);
		c.lru_drains = atomic64_read(&cbb_counts[CBB_LRU]);
		c.migrate_calls = atomic64_read(&cbb_counts[CBB_MIGRATE_CALLS]);
		c.migrate_ns = atomic64_read(&cbb_counts[CBB_MIGRATE_NS]);
		c.reclaimed = atomic64_read(&cbb_counts[CBB_RECLAIMED]);
	}
	mutex_unlock(&cbb_count_lock);
	if (!ret && copy_to_user(argp, &c, sizeof(c)))
		ret = -EFAULT;
	return ret;
}

static void cbb_release_chunk(const struct cbb_chunk *c)
{
	WARN_ON_ONCE(!cbb_cma_release(c->cma, pfn_to_page(c->pfn), c->nr_pages));
}

/*
 * Keep @nr chunks of @nr_pages in the file and report their PFNs; on
 * failure they are released again.
 */
static int cbb_keep(struct cbb_file *f, struct cma *cma, struct page **pages,
		    unsigned long nr, unsigned long nr_pages, u64 upfns)
{
	u64 __user *up = u64_to_user_ptr(upfns);
	unsigned long i;
	int ret = 0;

	for (i = 0; up && i < nr && !ret; i++)
		if (put_user((u64)page_to_pfn(pages[i]), up + i))
			ret = -EFAULT;

	mutex_lock(&f->lock);
	if (!ret && f->nr_chunks + nr > f->max_chunks) {
		unsigned long max = max3(f->nr_chunks + nr, 2 * f->max_chunks,
					 64UL);
		struct cbb_chunk *chunks;

		chunks = kvmalloc_array(max, sizeof(*chunks), GFP_KERNEL);
		if (chunks) {
			if (f->nr_chunks)
				memcpy(chunks, f->chunks,
				       f->nr_chunks * sizeof(*chunks));
			kvfree(f->chunks);
			f->chunks = chunks;
			f->max_chunks = max;
		} else {
			ret = -ENOMEM;
		}
	}
	for (i = 0; i < nr; i++) {
		struct cbb_chunk c = {
			.cma = cma,
			.pfn = page_to_pfn(pages[i]),
			.nr_pages = nr_pages,
		};

		if (ret)
			cbb_release_chunk(&c);
		else
			f->chunks[f->nr_chunks++] = c;
	}
	mutex_unlock(&f->lock);
	return ret;
}

static void cbb_release_all(struct cbb_file *f)
{
	mutex_lock(&f->lock);
	while (f->nr_chunks) {
		cbb_release_chunk(&f->chunks[--f->nr_chunks]);
		cond_resched();
	}
	mutex_unlock(&f->lock);
}

/* Drain every CPU's LRU caches and the per-cpu lists of the area's zone. */
static void cbb_drain(struct cma *cma)
{
	cbb_lru_add_drain_all();
	cbb_drain_all_pages(page_zone(pfn_to_page(cma->base_pfn)));
}

/*
 * One allocation of CMA_BULK_BENCH_FAST_LOOP: the next free range of
 * @nr_pages at or after *@next, aligned to @align, that one FAST attempt
 * frees up. Its bits are set in the bitmap, as cma_alloc() sets them, so
 * cma_release() gives it back. NULL once the area is exhausted or on a
 * fatal signal.
 */
static struct page *cbb_fast_loop_one(struct cma *cma, unsigned long nr_pages,
				      unsigned int align, gfp_t gfp,
				      unsigned long *next)
{
	const unsigned long end = cma->base_pfn + cma->count;
	unsigned long pfn;

	for (pfn = ALIGN(*next, 1UL << align); pfn + nr_pages <= end;
	     pfn += 1UL << align) {
		unsigned long bit = (pfn - cma->base_pfn) >> cma->order_per_bit;
		unsigned long nbits = nr_pages >> cma->order_per_bit;
		bool free;

		if (fatal_signal_pending(current))
			return NULL;
		spin_lock_irq(&cma->lock);
		free = find_next_bit(cma->bitmap, bit + nbits, bit) >= bit + nbits;
		if (free)
			bitmap_set(cma->bitmap, bit, nbits);
		spin_unlock_irq(&cma->lock);
		if (!free)
			continue;
		if (!cbb_alloc_contig_range(pfn, pfn + nr_pages, MIGRATE_CMA,
					    gfp, ALLOC_CONTIG_FAST)) {
			if (cbb_account_success)
				cbb_account_success(cma, nr_pages);
			*next = pfn + nr_pages;
			return pfn_to_page(pfn);
		}
		spin_lock_irq(&cma->lock);
		bitmap_clear(cma->bitmap, bit, nbits);
		spin_unlock_irq(&cma->lock);
		cond_resched();
	}
	*next = end;
	return NULL;
}

/*
 * CMA_BULK_BENCH_CMA_ALLOC, or with @fast_loop CMA_BULK_BENCH_FAST_LOOP:
 * one call per @nr_pages until @nr_calls succeeded or one failed. Returns
 * the calls that succeeded; *@error as in struct cma_bulk_bench_alloc.
 */
static unsigned long cbb_call_loop(struct cma *cma, bool fast_loop,
				   unsigned long nr_pages,
				   unsigned long nr_calls, unsigned int align,
				   gfp_t gfp, struct page **pages, int *error)
{
	unsigned long i, next = cma->base_pfn;

	*error = 0;
	/* The fast loop drains once, timed: it must, for FAST to succeed. */
	if (fast_loop)
		cbb_drain(cma);
	for (i = 0; i < nr_calls; i++) {
		if (fatal_signal_pending(current)) {
			*error = -EINTR;
			break;
		}
		if (fast_loop)
			pages[i] = cbb_fast_loop_one(cma, nr_pages, align, gfp,
						     &next);
		else
			pages[i] = cbb_cma_alloc(cma, nr_pages, align,
						 gfp & __GFP_NOWARN);
		if (!pages[i]) {
			*error = fatal_signal_pending(current) ? -EINTR : -EBUSY;
			break;
		}
		cond_resched();
	}
	return i;
}

/*
 * CMA_BULK_BENCH_VENDOR_CHUNK: from pageblock-sized ranges down to @chunk
 * pages, halving the size each time: fail-fast attempts first (one
 * ALLOC_CONTIG_FAST alloc_contig_range() per free, aligned range of the
 * area), then blocking cma_alloc() calls of the same size until one fails.
 * Every range obtained is cut into chunks of @chunk pages in @pages, which
 * cma_release() gives back one by one. Returns the chunks obtained.
 */
static unsigned long cbb_vendor_chunk(struct cma *cma, unsigned long chunk,
				      unsigned long nr_chunks, gfp_t gfp,
				      struct page **pages, int *error)
{
	const unsigned int min_order = ilog2(chunk);
	unsigned int order = max_t(unsigned int, pageblock_order, min_order);
	unsigned long n = 0, i;

	*error = 0;
	for (; n < nr_chunks && order >= min_order; order--) {
		unsigned long size = 1UL << order, next = cma->base_pfn;
		bool blocking = false;
		struct page *page;

		while ((nr_chunks - n) * chunk >= size) {
			if (fatal_signal_pending(current)) {
				*error = -EINTR;
				return n;
			}
			if (!blocking) {
				page = cbb_fast_loop_one(cma, size, order, gfp,
							 &next);
				blocking = !page;
				if (!page)
					continue;
			} else {
				page = cbb_cma_alloc(cma, size, order,
						     gfp & __GFP_NOWARN);
				if (!page)
					break;
			}
			for (i = 0; i < size; i += chunk)
				pages[n++] = page + i;
			cond_resched();
		}
	}
	if (n < nr_chunks)
		*error = fatal_signal_pending(current) ? -EINTR : -EBUSY;
	return n;
}

/* The checks of struct cma_bulk_bench_alloc's comment in the ABI header. */
static int cbb_alloc_valid(struct cma *cma, const struct cma_bulk_bench_alloc *a)
{
	const unsigned long bit_pages = 1UL << cma->order_per_bit;

	if (a->method > CMA_BULK_BENCH_VENDOR_CHUNK || a->reserved ||
	    (a->flags & ~CMA_BULK_BENCH_NOWARN) || a->align > CBB_MAX_ALIGN ||
	    !a->nr_pages || a->total_pages % a->nr_pages)
		return -EINVAL;
	if (a->nr_pages > cma->count || a->total_pages > cma->count)
		return -E2BIG;
	if (a->method != CMA_BULK_BENCH_BULK && a->mode)
		return -EINVAL;
	switch (a->method) {
	case CMA_BULK_BENCH_BULK:
		if (a->mode > CMA_BULK_BENCH_MODE_HARD ||
		    !is_power_of_2(a->nr_pages) ||
		    a->nr_pages > (1UL << MAX_PAGE_ORDER))
			return -EINVAL;
		break;
	case CMA_BULK_BENCH_FAST_LOOP:
		/* Ranges are reserved in whole bits, as cma_alloc() does. */
		if ((a->nr_pages | (1UL << a->align)) & (bit_pages - 1))
			return -EINVAL;
		break;
	case CMA_BULK_BENCH_VENDOR_CHUNK:
		/* Chunks of a power-of-two size, aligned to it. */
		if (!is_power_of_2(a->nr_pages) || a->align ||
		    a->nr_pages > (1UL << MAX_PAGE_ORDER) ||
		    (a->nr_pages & (bit_pages - 1)))
			return -EINVAL;
		break;
	}
	return 0;
}

static long cbb_ioctl_alloc(struct cbb_file *f, void __user *argp)
{
	static const enum alloc_contig_mode modes[] = {
		[CMA_BULK_BENCH_MODE_NORMAL] = ALLOC_CONTIG_NORMAL,
		[CMA_BULK_BENCH_MODE_FAST] = ALLOC_CONTIG_FAST,
		[CMA_BULK_BENCH_MODE_HARD] = ALLOC_CONTIG_HARD,
	};
	struct cma_bulk_bench_alloc a;
	unsigned long nr_calls, n = 0;
	unsigned long *evbuf;
	struct page **pages;
	gfp_t gfp = GFP_KERNEL;
	struct cma *cma;
	u64 start, migrated;
	size_t nr = 0;
	int ret;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	cma = cbb_area(a.area);
	if (IS_ERR(cma))
		return PTR_ERR(cma);
	ret = cbb_alloc_valid(cma, &a);
	if (ret)
		return ret;
	if (a.flags & CMA_BULK_BENCH_NOWARN)
		gfp |= __GFP_NOWARN;

	nr_calls = a.total_pages / a.nr_pages;
	pages = kvmalloc_array(max(nr_calls, 1UL), sizeof(*pages), GFP_KERNEL);
	evbuf = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*evbuf), GFP_KERNEL);
	if (!pages || !evbuf) {
		kvfree(pages);
		kfree(evbuf);
		return -ENOMEM;
	}

	migrated = cbb_migrated(evbuf);
	start = ktime_get_ns();
	switch (a.method) {
	case CMA_BULK_BENCH_BULK:
		a.error = cbb_cma_alloc_bulk(cma, a.align, gfp, modes[a.mode],
					     ilog2(a.nr_pages), nr_calls, pages,
					     &nr);
		n = nr;
		break;
	case CMA_BULK_BENCH_CMA_ALLOC:
	case CMA_BULK_BENCH_FAST_LOOP:
		n = cbb_call_loop(cma, a.method == CMA_BULK_BENCH_FAST_LOOP,
				  a.nr_pages, nr_calls, a.align, gfp, pages,
				  &a.error);
		break;
	case CMA_BULK_BENCH_VENDOR_CHUNK:
		n = cbb_vendor_chunk(cma, a.nr_pages, nr_calls, gfp, pages,
				     &a.error);
		break;
	}
	a.elapsed_ns = ktime_get_ns() - start;
	a.migrated = cbb_migrated(evbuf) - migrated;
	kfree(evbuf);

	a.allocated = n;
	ret = cbb_keep(f, cma, pages, n, a.nr_pages, a.pfns);
	kvfree(pages);
	if (!ret && copy_to_user(argp, &a, sizeof(a)))
		ret = -EFAULT;
	return ret;
}

/* Time copy_highpage() over nr_pages pages, cycling over pages we own. */
static long cbb_ioctl_copy_limit(void __user *argp)
{
	struct cma_bulk_bench_floor fl;
	unsigned long i, nr_pairs = 0;
	struct page **src, **dst;
	long ret = 0;
	u64 start;

	if (copy_from_user(&fl, argp, sizeof(fl)))
		return -EFAULT;
	if (fl.pfns || !fl.nr_pages)
		return -EINVAL;
	if (fl.nr_pages > totalram_pages())
		return -E2BIG;

	src = kvcalloc(CBB_COPY_PAIRS, sizeof(*src), GFP_KERNEL);
	dst = kvcalloc(CBB_COPY_PAIRS, sizeof(*dst), GFP_KERNEL);
	if (!src || !dst) {
		ret = -ENOMEM;
		goto out;
	}
	while (nr_pairs < min_t(u64, fl.nr_pages, CBB_COPY_PAIRS)) {
		src[nr_pairs] = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		dst[nr_pairs] = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!src[nr_pairs] || !dst[nr_pairs])
			break;
		memset(page_address(src[nr_pairs]), nr_pairs & 0xff, PAGE_SIZE);
		nr_pairs++;
	}
	if (!nr_pairs) {
		ret = -ENOMEM;
		goto out;
	}

	start = ktime_get_ns();
	for (i = 0; i < fl.nr_pages; i++) {
		copy_highpage(dst[i % nr_pairs], src[i % nr_pairs]);
		if (!(i % 1024))
			cond_resched();
	}
	fl.elapsed_ns = ktime_get_ns() - start;
	fl.done = fl.nr_pages;

	for (i = 0; i < nr_pairs && !ret; i++)
		if (memcmp(page_address(src[i]), page_address(dst[i]), PAGE_SIZE))
			ret = -EIO;
	if (!ret && copy_to_user(argp, &fl, sizeof(fl)))
		ret = -EFAULT;
out:
	for (i = 0; src && dst && i <= nr_pairs && i < CBB_COPY_PAIRS; i++) {
		if (src[i])
			__free_page(src[i]);
		if (dst[i])
			__free_page(dst[i]);
	}
	kvfree(src);
	kvfree(dst);
	return ret;
}

/*
 * Isolate, or with @undo give back, the pageblocks of @cma that hold a PFN
 * of @pfns and whose bit in @blocks is clear, or set with @undo, as an
 * allocator isolates the pageblocks it frees up: migration targets then
 * land outside them.
 */
static void cbb_isolate_blocks(struct cma *cma, const u64 *pfns,
			       unsigned long nr, unsigned long *blocks,
			       bool undo)
{
	const unsigned long base = pageblock_start_pfn(cma->base_pfn);
	unsigned long i, b, pfn;

	for (i = 0; i < nr; i++) {
		if (!cbb_in_area(cma, pfns[i]))
			continue;
		pfn = pageblock_start_pfn(pfns[i]);
		b = (pfn - base) / pageblock_nr_pages;
		if (undo && test_and_clear_bit(b, blocks))
			cbb_undo_isolate_page_range(pfn, pfn + pageblock_nr_pages,
						    MIGRATE_CMA);
		else if (!undo && !test_bit(b, blocks) &&
			 !cbb_start_isolate_page_range(pfn,
						       pfn + pageblock_nr_pages,
						       MIGRATE_CMA, 0, GFP_KERNEL))
			__set_bit(b, blocks);
	}
}

/*
 * Time migrate_pages() alone on the given pages, isolated beforehand, to
 * movable targets outside their pageblocks, which are isolated too.
 */
static long cbb_ioctl_migrate_limit(void __user *argp)
{
	struct migration_target_control mtc = {
		.nid = NUMA_NO_NODE,
		.gfp_mask = GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL,
		.reason = MR_CONTIG_RANGE,
	};
	struct cma_bulk_bench_floor fl;
	unsigned int nr_succeeded = 0;
	unsigned long *blocks;
	LIST_HEAD(folios);
	unsigned long i;
	struct cma *cma;
	u64 *pfns, start;

	if (copy_from_user(&fl, argp, sizeof(fl)))
		return -EFAULT;
	cma = cbb_area(fl.area);
	if (IS_ERR(cma))
		return PTR_ERR(cma);
	if (!fl.nr_pages || !fl.pfns)
		return -EINVAL;
	if (fl.nr_pages > cma->count)
		return -E2BIG;

	pfns = kvmalloc_array(fl.nr_pages, sizeof(*pfns), GFP_KERNEL);
	blocks = bitmap_zalloc(cma->count / pageblock_nr_pages + 2, GFP_KERNEL);
	if (!pfns || !blocks) {
		kvfree(pfns);
		bitmap_free(blocks);
		return -ENOMEM;
	}
	if (copy_from_user(pfns, u64_to_user_ptr(fl.pfns),
			   fl.nr_pages * sizeof(*pfns))) {
		kvfree(pfns);
		bitmap_free(blocks);
		return -EFAULT;
	}

	/*
	 * Untimed: isolate the pageblocks, get their free pages off the
	 * area's zone's per-cpu lists, which would otherwise hand them out as
	 * targets, as alloc_contig_range() does, get the folios off the per-cpu
	 * LRU caches and isolate them.
	 */
	cbb_isolate_blocks(cma, pfns, fl.nr_pages, blocks, false);
	cbb_drain(cma);
	fl.isolated = 0;
	for (i = 0; i < fl.nr_pages; i++) {
		struct page *page;
		struct folio *folio;

		if (!cbb_in_area(cma, pfns[i]))
			continue;
		page = pfn_to_page(pfns[i]);
		folio = page_folio(page);
		if (!folio_try_get(folio))
			continue;
		if (page_folio(page) == folio &&
		    cbb_isolate_folio_to_list(folio, &folios))
			fl.isolated += folio_nr_pages(folio);
		folio_put(folio);
		cond_resched();
	}

	start = ktime_get_ns();
	if (!list_empty(&folios))
		cbb_migrate_pages(&folios, cbb_alloc_migration_target, NULL,
				  (unsigned long)&mtc, MIGRATE_SYNC,
				  MR_CONTIG_RANGE, &nr_succeeded);
	fl.elapsed_ns = ktime_get_ns() - start;
	cbb_putback_movable_pages(&folios);
	fl.done = nr_succeeded;
	cbb_isolate_blocks(cma, pfns, fl.nr_pages, blocks, true);
	kvfree(pfns);
	bitmap_free(blocks);

	if (copy_to_user(argp, &fl, sizeof(fl)))
		return -EFAULT;
	return 0;
}

static long cbb_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct cbb_file *f = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case CMA_BULK_BENCH_ALLOC:
		return cbb_ioctl_alloc(f, argp);
	case CMA_BULK_BENCH_RELEASE:
		cbb_release_all(f);
		return 0;
	case CMA_BULK_BENCH_COUNT:
		return cbb_ioctl_count(f, argp);
	case CMA_BULK_BENCH_COPY_LIMIT:
		return cbb_ioctl_copy_limit(argp);
	case CMA_BULK_BENCH_MIGRATE_LIMIT:
		return cbb_ioctl_migrate_limit(argp);
	}
	return -ENOTTY;
}

static int cbb_open(struct inode *inode, struct file *file)
{
	struct cbb_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

/* The last reference is gone: remove its probes, give its chunks back. */
static int cbb_release(struct inode *inode, struct file *file)
{
	struct cbb_file *f = file->private_data;

	mutex_lock(&cbb_count_lock);
	if (cbb_counting == f)
		cbb_count_disarm();
	mutex_unlock(&cbb_count_lock);
	cbb_release_all(f);
	kvfree(f->chunks);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations cbb_fops = {
	.owner = THIS_MODULE,
	.open = cbb_open,
	.release = cbb_release,
	.unlocked_ioctl = cbb_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct dentry *cbb_dentry;

static int __init cma_bulk_bench_init(void)
{
	int ret = cbb_resolve();

	if (ret)
		return ret;
	cbb_dentry = debugfs_create_file("cma_bulk_bench", 0600, NULL, NULL,
					 &cbb_fops);
	return 0;
}

static void __exit cma_bulk_bench_exit(void)
{
	debugfs_remove(cbb_dentry);
}

module_init(cma_bulk_bench_init);
module_exit(cma_bulk_bench_exit);
MODULE_DESCRIPTION("Benchmark of cma_alloc_bulk() against its peers and floors");
MODULE_LICENSE("GPL");
