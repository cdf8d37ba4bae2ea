// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of an experiment on virtio-mem unplug under short-term pins:
 * how much of the device's memory the driver gives back, and how fast,
 * while a workload keeps taking short references on pages there.
 *
 * The host runs QEMU with a virtio-mem-pci device and changes its
 * requested size over QMP when this program asks on standard output:
 *
 *   vmem: ready plug BYTES      the host sets requested-size to BYTES
 *   vmem: ready unplug BYTES    the host sets requested-size to BYTES
 *
 * In between, the program waits for the plugged memory to come online in
 * ZONE_MOVABLE (memhp_default_state=online_movable), fills it with process
 * memory of known contents, and starts a thread that keeps pinning random
 * pages of the fill (with -T, pages that lie in the device's memory, as
 * long as some do): it splices a set of -n pages into a pipe with
 * vmsplice(), which takes a reference on each, holds them for -H
 * milliseconds, and reads the pipe to drop them. After
 * asking for the unplug it waits until MemTotal shows the memory gone, or
 * for -t seconds, stops the pins, checks the contents of the fill and
 * prints one line:
 *
 *   vmem: result key=value ...
 *
 * with the bytes asked for and unplugged, the time taken, and the calls
 * to alloc_contig_range() the kernel made meanwhile and how many failed,
 * counted with kprobe events on alloc_contig_range_noprof(); with -v,
 * also one line per call:
 *
 *   vmem: call pfn PFN pages N ret ERRNO MS ms at TIMESTAMP ms
 *
 * Exits 0 when the experiment ran (whatever the amount unplugged), 1 when
 * it could not be set up or the data of the fill changed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <linux/types.h>

#define PAGE_SZ		4096UL
#define MIB		(1024UL * 1024)
#define TRACING		"/sys/kernel/tracing"
#define MAX_RANGES	64
#define MAX_PINS	256

struct range {
	__u64 start, end;	/* PFNs, [start, end) */
};

static struct range ranges[MAX_RANGES];
static int nr_ranges;

static unsigned long long *fill;
static size_t fill_pages;
static int pagemap_fd = -1;

static unsigned int hold_ms = 100, gap_ms, nr_pins = 16;
static bool targeted, verbose;
static int stop_pins;
static unsigned long pin_sets, pins_in_device, pins_elsewhere;

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int write_file(const char *path, const char *s, bool append)
{
	int fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* A field of /proc/meminfo in bytes, or -1. */
static long long read_meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long long kb = -1;
	size_t len = strlen(key);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':') {
			kb = strtoll(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* Managed pages of ZONE_MOVABLE on all nodes, from /proc/zoneinfo. */
static long long movable_managed(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long long total = 0, v;
	bool in_movable = false;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node", 4))
			in_movable = strstr(line, "zone  Movable") ||
				     strstr(line, "zone Movable");
		else if (in_movable && sscanf(line, " managed %lld", &v) == 1)
			total += v;
	}
	fclose(f);
	return total;
}

/* The PFN ranges the virtio-mem driver added, from /proc/iomem. */
static int read_ranges(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	unsigned long long s, e;

	if (!f)
		return -errno;
	nr_ranges = 0;
	while (fgets(line, sizeof(line), f) && nr_ranges < MAX_RANGES) {
		if (!strstr(line, "System RAM (virtio_mem)"))
			continue;
		if (sscanf(line, " %llx-%llx", &s, &e) != 2 || e <= s)
			continue;
		ranges[nr_ranges].start = s / PAGE_SZ;
		ranges[nr_ranges].end = (e + 1) / PAGE_SZ;
		nr_ranges++;
	}
	fclose(f);
	return nr_ranges;
}

static bool pfn_in_device(__u64 pfn)
{
	int i;

	for (i = 0; i < nr_ranges; i++)
		if (pfn >= ranges[i].start && pfn < ranges[i].end)
			return true;
	return false;
}

/* PFN of fill page @i, 0 if not present (or pagemap hides PFNs). */
static __u64 fill_pfn(size_t i)
{
	__u64 e;
	off_t off = ((uintptr_t)fill / PAGE_SZ + i) * sizeof(e);

	if (pread(pagemap_fd, &e, sizeof(e), off) != sizeof(e))
		return 0;
	if (!(e & (1ULL << 63)))
		return 0;
	return e & ((1ULL << 55) - 1);
}

static unsigned long long pattern(size_t page, size_t word)
{
	return (page << 9 | word) * 0x9e3779b97f4a7c15ULL;
}

static void fill_memory(void)
{
	size_t i, w;

	for (i = 0; i < fill_pages; i++)
		for (w = 0; w < PAGE_SZ / sizeof(*fill); w++)
			fill[i * (PAGE_SZ / sizeof(*fill)) + w] = pattern(i, w);
}

static size_t check_memory(void)
{
	size_t i, w, bad = 0;

	for (i = 0; i < fill_pages; i++)
		for (w = 0; w < PAGE_SZ / sizeof(*fill); w++)
			if (fill[i * (PAGE_SZ / sizeof(*fill)) + w] !=
			    pattern(i, w)) {
				bad++;
				break;
			}
	return bad;
}

/*
 * Keep references on random pages of the fill that lie in the device's
 * memory: vmsplice() takes one per page, reading the pipe drops them.
 */
static void *pinner(void *arg)
{
	struct iovec iov[MAX_PINS];
	unsigned int seed = 1;
	char *buf;
	int p[2];

	(void)arg;
	buf = malloc(nr_pins * PAGE_SZ);
	if (!buf || pipe(p)) {
		perror("vmem: pin thread setup");
		exit(1);
	}
	if (nr_pins > 16 &&
	    fcntl(p[1], F_SETPIPE_SZ, (int)(nr_pins * PAGE_SZ)) < 0) {
		perror("vmem: F_SETPIPE_SZ");
		exit(1);
	}
	while (!__atomic_load_n(&stop_pins, __ATOMIC_RELAXED)) {
		size_t left, got = 0;
		unsigned int k;
		ssize_t n;

		for (k = 0; k < nr_pins; k++) {
			size_t page = 0;
			bool dev = false;
			int tries;

			/*
			 * Any page of the fill, or with -T, a page in the
			 * device's memory if one is left.
			 */
			for (tries = 0; tries < (targeted ? 64 : 1) && !dev;
			     tries++) {
				page = rand_r(&seed) % fill_pages;
				dev = pfn_in_device(fill_pfn(page));
			}
			pins_in_device += dev;
			pins_elsewhere += !dev;
			iov[k].iov_base = (char *)fill + page * PAGE_SZ;
			iov[k].iov_len = PAGE_SZ;
		}
		left = nr_pins * PAGE_SZ;
		for (k = 0; got < left; ) {
			n = vmsplice(p[1], iov + k, nr_pins - k, 0);
			if (n <= 0) {
				perror("vmem: vmsplice");
				exit(1);
			}
			got += n;
			/* A short splice: go on after what was taken. */
			while (n > 0 && (size_t)n >= iov[k].iov_len)
				n -= iov[k++].iov_len;
			if (n) {
				iov[k].iov_base = (char *)iov[k].iov_base + n;
				iov[k].iov_len -= n;
			}
		}
		pin_sets++;
		sleep_ms(hold_ms);
		while (left) {
			n = read(p[0], buf, left);
			if (n <= 0) {
				perror("vmem: read pipe");
				exit(1);
			}
			left -= n;
		}
		if (gap_ms)
			sleep_ms(gap_ms);
	}
	free(buf);
	close(p[0]);
	close(p[1]);
	return NULL;
}

static const char * const probes =
	"p:vmem/acr_call alloc_contig_range_noprof start=%di:u64 end=%si:u64\n"
	"r:vmem/acr_ret alloc_contig_range_noprof ret=$retval:s32\n";

static int trace_setup(void)
{
	int ret;

	write_file(TRACING "/events/vmem/enable", "0", false);
	write_file(TRACING "/kprobe_events", "-:vmem/acr_call\n", true);
	write_file(TRACING "/kprobe_events", "-:vmem/acr_ret\n", true);
	ret = write_file(TRACING "/kprobe_events", probes, true);
	if (!ret)
		ret = write_file(TRACING "/buffer_size_kb", "8192", false);
	if (!ret)
		ret = write_file(TRACING "/trace", "", false);
	if (!ret)
		ret = write_file(TRACING "/events/vmem/enable", "1", false);
	if (!ret)
		ret = write_file(TRACING "/tracing_on", "1", false);
	return ret;
}

struct acr_stats {
	unsigned long calls, fails, ebusy, eintr, enomem, other, unmatched;
	unsigned long block_calls, block_fails;	/* more than 512 pages */
	double total_ms, max_ms;
	unsigned long long lost;
};

/* Count alloc_contig_range() calls and failures in the trace buffer. */
static int trace_collect(struct acr_stats *s)
{
	char line[512];
	FILE *f;
	int pid_open[64] = { 0 };
	double t_open[64];
	unsigned long long pages_open[64], pfn_open[64];
	unsigned long long in_buf, written;

	memset(s, 0, sizeof(*s));
	write_file(TRACING "/tracing_on", "0", false);
	f = fopen(TRACING "/trace", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *ev, *p, *dash;
		double t;
		int pid, slot;
		long long a, b;

		if (sscanf(line, "# entries-in-buffer/entries-written: %llu/%llu",
			   &in_buf, &written) == 2) {
			s->lost = written - in_buf;
			continue;
		}
		if (line[0] == '#')
			continue;
		ev = strstr(line, ": acr_call:");
		if (!ev)
			ev = strstr(line, ": acr_ret:");
		if (!ev)
			continue;
		/* "comm-pid [cpu] flags timestamp: event: ..." */
		p = ev;
		while (p > line && p[-1] != ' ')
			p--;
		t = strtod(p, NULL) * 1000.0;
		dash = line;
		while (*dash == ' ')
			dash++;
		dash = strchr(dash, ' ');
		if (!dash)
			continue;
		while (dash > line && dash[-1] != '-')
			dash--;
		pid = atoi(dash);
		slot = pid % 64;
		if (strstr(ev, "acr_call:")) {
			p = strstr(ev, "start=");
			if (!p || sscanf(p, "start=%lld end=%lld", &a, &b) != 2)
				continue;
			pid_open[slot] = pid;
			t_open[slot] = t;
			pages_open[slot] = b - a;
			pfn_open[slot] = a;
			continue;
		}
		p = strstr(ev, "ret=");
		if (!p)
			continue;
		a = strtoll(p + 4, NULL, 10);
		if (pid_open[slot] != pid) {
			s->unmatched++;
			continue;
		}
		pid_open[slot] = 0;
		s->calls++;
		if (pages_open[slot] > 512)
			s->block_calls++;
		t -= t_open[slot];
		if (verbose)
			printf("vmem: call pfn %#llx pages %llu ret %lld %.1f ms at %.1f ms\n",
			       (unsigned long long)pfn_open[slot],
			       pages_open[slot], a, t, t_open[slot]);
		s->total_ms += t;
		if (t > s->max_ms)
			s->max_ms = t;
		if (!a)
			continue;
		s->fails++;
		if (pages_open[slot] > 512)
			s->block_fails++;
		if (a == -EBUSY)
			s->ebusy++;
		else if (a == -EINTR)
			s->eintr++;
		else if (a == -ENOMEM)
			s->enomem++;
		else
			s->other++;
	}
	fclose(f);
	write_file(TRACING "/events/vmem/enable", "0", false);
	return 0;
}

static int wait_memtotal(long long target, bool up, unsigned int timeout_s,
			 __u64 *reached_ms)
{
	__u64 t0 = now_ms();

	for (;;) {
		long long m = read_meminfo("MemTotal");

		if (m < 0)
			return -1;
		if (up ? m >= target : m <= target) {
			*reached_ms = now_ms() - t0;
			return 0;
		}
		if (now_ms() - t0 > timeout_s * 1000ULL)
			return 1;
		sleep_ms(20);
	}
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-p plug_MiB] [-f fill_MiB] [-u unplug_to_MiB]\n"
		"       [-H hold_ms] [-g gap_ms] [-n pages_per_set] [-t timeout_s] [-T] [-v]\n",
		prog);
	exit(1);
}

static unsigned long arg_ul(const char *s, unsigned long max, const char *prog)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > max)
		print_usage(prog);
	return v;
}

int main(int argc, char **argv)
{
	unsigned long plug_mib = 512, fill_mib = 448, unplug_to_mib = 0;
	unsigned int timeout_s = 180;
	long long base, plugged, after, movable;
	__u64 plug_ms = 0, unplug_ms = 0, t0;
	size_t i, in_device = 0, bad;
	struct acr_stats st;
	pthread_t thread;
	int opt, reached;

	while ((opt = getopt(argc, argv, "p:f:u:H:g:n:t:Tv")) != -1) {
		switch (opt) {
		case 'p':
			plug_mib = arg_ul(optarg, 1UL << 20, argv[0]);
			break;
		case 'f':
			fill_mib = arg_ul(optarg, 1UL << 20, argv[0]);
			break;
		case 'u':
			unplug_to_mib = arg_ul(optarg, 1UL << 20, argv[0]);
			break;
		case 'H':
			hold_ms = arg_ul(optarg, 60000, argv[0]);
			break;
		case 'g':
			gap_ms = arg_ul(optarg, 60000, argv[0]);
			break;
		case 'n':
			nr_pins = arg_ul(optarg, MAX_PINS, argv[0]);
			break;
		case 't':
			timeout_s = arg_ul(optarg, 3600, argv[0]);
			break;
		case 'T':
			targeted = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (optind != argc || !plug_mib || plug_mib % 2 || unplug_to_mib % 2 ||
	    unplug_to_mib >= plug_mib || !fill_mib || !nr_pins || !timeout_s)
		print_usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (trace_setup()) {
		printf("vmem: error: cannot set up kprobe events on alloc_contig_range_noprof\n");
		return 1;
	}
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap_fd < 0) {
		perror("vmem: /proc/self/pagemap");
		return 1;
	}

	base = read_meminfo("MemTotal");
	printf("vmem: MemTotal %lld, ZONE_MOVABLE managed %lld pages\n",
	       base, movable_managed());
	printf("vmem: ready plug %lu\n", plug_mib * MIB);
	if (wait_memtotal(base + plug_mib * MIB, true, 120, &plug_ms)) {
		printf("vmem: error: MemTotal %lld after 120 s, expected %lld\n",
		       read_meminfo("MemTotal"), base + (long long)(plug_mib * MIB));
		return 1;
	}
	plugged = read_meminfo("MemTotal") - base;
	movable = movable_managed();
	if (read_ranges() <= 0 || plugged > movable * (long long)PAGE_SZ) {
		printf("vmem: error: %d device ranges, %lld pages in ZONE_MOVABLE for %lld bytes\n",
		       nr_ranges, movable, plugged);
		return 1;
	}
	printf("vmem: plugged %lld bytes in %llu ms, %d ranges, %lld pages in ZONE_MOVABLE\n",
	       plugged, (unsigned long long)plug_ms, nr_ranges, movable);

	fill_pages = fill_mib * MIB / PAGE_SZ;
	fill = mmap(NULL, fill_pages * PAGE_SZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fill == MAP_FAILED) {
		perror("vmem: mmap");
		return 1;
	}
	madvise(fill, fill_pages * PAGE_SZ, MADV_NOHUGEPAGE);
	fill_memory();
	for (i = 0; i < fill_pages; i++)
		in_device += pfn_in_device(fill_pfn(i));
	printf("vmem: fill %zu pages, %zu in the device's memory\n",
	       fill_pages, in_device);
	if (in_device < fill_pages / 2) {
		printf("vmem: error: less than half of the fill is in the device's memory\n");
		return 1;
	}

	if (pthread_create(&thread, NULL, pinner, NULL)) {
		printf("vmem: error: cannot start the pinning thread\n");
		return 1;
	}
	sleep_ms(500);
	write_file(TRACING "/trace", "", false);
	t0 = now_ms();
	printf("vmem: ready unplug %lu\n", unplug_to_mib * MIB);
	reached = !wait_memtotal(base + unplug_to_mib * MIB, false, timeout_s,
				 &unplug_ms);
	if (!reached)
		unplug_ms = now_ms() - t0;
	__atomic_store_n(&stop_pins, 1, __ATOMIC_RELAXED);
	pthread_join(thread, NULL);
	after = read_meminfo("MemTotal");
	if (trace_collect(&st)) {
		printf("vmem: error: cannot read the trace buffer\n");
		return 1;
	}
	bad = check_memory();

	printf("vmem: result hold_ms=%u gap_ms=%u pins_per_set=%u targeted=%d plugged=%lld",
	       hold_ms, gap_ms, nr_pins, targeted, plugged);
	printf(" requested_unplug=%lld unplugged=%lld reached=%d time_ms=%llu",
	       plugged - (long long)(unplug_to_mib * MIB),
	       base + plugged - after, reached, (unsigned long long)unplug_ms);
	printf(" acr_calls=%lu acr_fails=%lu acr_ebusy=%lu", st.calls, st.fails,
	       st.ebusy);
	printf(" acr_eintr=%lu acr_enomem=%lu acr_other=%lu", st.eintr,
	       st.enomem, st.other);
	printf(" block_calls=%lu block_fails=%lu acr_total_ms=%.1f acr_max_ms=%.1f",
	       st.block_calls, st.block_fails, st.total_ms, st.max_ms);
	printf(" trace_lost=%llu trace_unmatched=%lu pin_sets=%lu pins_in_device=%lu",
	       st.lost, st.unmatched, pin_sets, pins_in_device);
	printf(" pins_elsewhere=%lu fill_pages=%zu fill_in_device=%zu bad_pages=%zu\n",
	       pins_elsewhere, fill_pages, in_device, bad);
	if (bad) {
		printf("vmem: error: %zu pages of the fill changed\n", bad);
		return 1;
	}
	return 0;
}
