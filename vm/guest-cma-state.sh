#!/bin/sh
# Print the state of every CMA area, as the guest sees it.
page_kb=$(($(getconf PAGESIZE 2>/dev/null || echo 4096) / 1024))
grep -E '^(MemTotal|MemFree|CmaTotal|CmaFree):' /proc/meminfo
for d in /sys/kernel/debug/cma/*/; do
	area=$(basename "$d")
	count=$(cat "$d/count")
	used=$(cat "$d/used")
	echo "area $area: base_pfn $(cat "$d/base_pfn"), $((count * page_kb / 1024)) MiB," \
		"$used of $count pages allocated, largest free run $(cat "$d/maxchunk") pages," \
		"sysfs alloc_pages_success $(cat /sys/kernel/mm/cma/$area/alloc_pages_success)" \
		"fail $(cat /sys/kernel/mm/cma/$area/alloc_pages_fail)"
done
ls /dev/dma_heap/ 2>/dev/null | sed 's/^/dma-buf heap: /'
