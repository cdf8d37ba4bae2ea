#!/usr/bin/env python3
"""Turn the benchmark's measurements into tables.

The guest's cma_bulk_bench prints one line per measurement:
  run,scenario,param,method,rep,requested,allocated,obtainable,time_ms,
      migrated_pages,pcp_drains,lru_drains,data_intact,capped,migrate_ms,
      reclaimed_pages
  skip,scenario,param,method,reason
  oracle,scenario,param,method,rep,pages
  info,area,pages,pageblock_pages
  info,busy,kernel_pages,pinned_pages
  info,scattered,param,held_pages,area_pages,empty_chunks,chunks
  info,thp,param,thp_pages,held_pages
  info,pagecache,param,held_pages,file_pages,dirty_pages,writeback_pages
  info,files,nr_files,bad_pages
  thp,scenario,param,method,rep,migrated,failed,split,compact_stalls,
      reclaim_stalls,calls,failed_folios
  claims,scenario,param,method,rep,unmovable,movable,reclaimable,tasks
  pageblocks,scenario,param,method,rep,unmovable_before,unmovable_after,
      movable_before,movable_after
(an info,busy, info,scattered, info,thp or info,pagecache line describes the
state built for the measurement whose oracle or run line comes next;
info,files counts the pages of S2's files that did not read back intact).
The times are those of the timed runs; pcp_drains, lru_drains, migrate_ms,
reclaimed_pages and the claims, pageblocks and thp lines come from each
method's untimed counting run on a state built the same way.
This writes, for `bench`, OUTDIR/NAME-runs.csv (every repetition),
OUTDIR/NAME.csv (the median of each method, docs/benchmark.md, with the sweep
parameter, min, max and repetitions appended) and OUTDIR/NAME.md, draws
OUTDIR/NAME.png with bench/bench-plot.gp from data files it leaves beside
RESULTS_LOG, and prints
the S1, S2, S3 and THP tables. For `demo` it prints the short
report of `make`. Either way it exits non-zero when a measurement lost
data (data_intact=0, or a page of S2's files changed) or the console log beside RESULTS_LOG holds a kernel
report (WARNING, BUG, KASAN..., as vm/collect-results.py finds them).

NAME is bench by default; `make bench` passes bench-arm64 and
bench-arm64-16k for those guests.

Usage: bench/bench-report.py bench|demo RESULTS_LOG OUTDIR [NAME]
"""
import csv
import importlib.util
import os
import statistics
import subprocess
import sys
import textwrap

RUN_FIELDS = ['scenario', 'param', 'method', 'rep', 'requested', 'allocated',
              'obtainable', 'time_ms', 'migrated_pages', 'pcp_drains',
              'lru_drains', 'data_intact', 'capped', 'migrate_ms', 'reclaimed_pages']
SPEC_FIELDS = ['scenario', 'method', 'requested', 'allocated', 'obtainable',
               'time_ms', 'migrated_pages', 'pcp_drains', 'lru_drains',
               'data_intact', 'capped']
EXTRA_FIELDS = ['param', 'time_min_ms', 'time_max_ms', 'reps', 'oracle_pages',
                'migrate_ms', 'reclaimed_pages']
INTS = ['param', 'rep', 'requested', 'allocated', 'obtainable',
        'migrated_pages', 'pcp_drains', 'lru_drains', 'data_intact', 'capped',
        'reclaimed_pages']
REFS = ['cma_alloc_order4', 'migrate_limit', 'oracle_limit', 'copy_limit']
DESCRIPTION = {
    'cma_alloc_300M': 'one cma_alloc() of 300 MiB',
    'cma_alloc_order4': 'cma_alloc() of 64 KiB, 4800 times',
    'cma_alloc_2M': 'cma_alloc() of 2 MiB until 300 MiB',
    'fast_loop': 'one drain, then FAST alloc_contig_range() per 64 KiB',
    'vendor_chunk': 'pageblocks fail-fast, then blocking, then halved',
    'bulk_normal': 'cma_alloc_bulk(), NORMAL mode',
    'bulk_fast': 'cma_alloc_bulk(), FAST mode',
    'bulk_hard': 'cma_alloc_bulk(), HARD mode',
    'migrate_limit': "bulk_fast's own time in migrate_pages()",
    'oracle_limit': 'migrate_pages() alone, fewest pages possible',
    'copy_limit': "copy_highpage() of bulk_fast's page count",
}


def fail(msg):
    print(f'bench: {msg}', file=sys.stderr)
    sys.exit(1)


def read_log(path):
    """The log's lines; `states` maps each scenario to the info,busy and
    info,scattered lines of the states built for it, in order, each as
    (param or None, values)."""
    runs, skips, info, blocks, oracle = [], [], {}, [], {}
    states, pending = {}, []
    try:
        lines = open(path, errors='replace').read().splitlines()
    except OSError as e:
        fail(f'cannot read {path}: {e.strerror}')
    for line in lines:
        line = line.strip('\r')
        if line.startswith('run,'):
            vals = line.split(',')[1:]
            if len(vals) != len(RUN_FIELDS):
                fail(f'malformed line in {path}: {line}')
            row = dict(zip(RUN_FIELDS, vals))
            for k in INTS:
                row[k] = int(row[k])
            row['time_ms'] = float(row['time_ms'])
            row['migrate_ms'] = float(row['migrate_ms'])
            runs.append(row)
            for kind, vals in pending:
                states.setdefault(row['scenario'], {}).setdefault(kind, []).append(vals)
            pending = []
        elif line.startswith('info,'):
            vals = line.split(',')
            info[vals[1]] = [int(v) for v in vals[2:]]
            if vals[1] in ('busy', 'scattered', 'thp', 'pagecache'):
                pending.append((vals[1], info[vals[1]]))
        elif line.startswith('skip,'):
            scen, param, method, reason = line.split(',', 4)[1:]
            skips.append((scen, int(param), method, reason))
        elif line.startswith('oracle,'):
            vals = line.split(',')[1:]
            if len(vals) != 5:
                fail(f'malformed line in {path}: {line}')
            oracle[(vals[0], int(vals[1]), vals[2], int(vals[3]))] = int(vals[4])
            for kind, ivals in pending:
                states.setdefault(vals[0], {}).setdefault(kind, []).append(ivals)
            pending = []
        elif line.startswith('claims,'):
            vals = line.split(',')[1:]
            if len(vals) != 8:
                fail(f'malformed line in {path}: {line}')
            states.setdefault(vals[0], {}).setdefault('claims', []).append(
                (vals[2],) + tuple(int(v) for v in vals[4:7]) + (vals[7],))
        elif line.startswith('thp,'):
            vals = line.split(',')[1:]
            if len(vals) != 11:
                fail(f'malformed line in {path}: {line}')
            states.setdefault(vals[0], {}).setdefault('thpmig', []).append(
                (vals[2],) + tuple(int(v) for v in vals[4:]))
        elif line.startswith('pageblocks,'):
            vals = line.split(',')[1:]
            if len(vals) != 8:
                fail(f'malformed line in {path}: {line}')
            blocks.append((vals[0], int(vals[1]), vals[2]) +
                          tuple(int(v) for v in vals[4:]))
    for r in runs:
        r['oracle_pages'] = oracle.get((r['scenario'], r['param'], r['method'], r['rep']), -1)
    # S1's busy pages, not those of the last state built, describe S1.
    if states.get('S1', {}).get('busy'):
        info['busy'] = states['S1']['busy'][-1]
    return runs, skips, info, blocks, states


def undercuts(runs):
    """Runs that got the whole request yet freed up (migrated, or dropped
    as clean page cache) fewer pages than the fewest the state they faced
    required: a count that cannot be right."""
    return [r for r in runs if r['oracle_pages'] >= 0 and
            r['allocated'] == r['requested'] and
            r['migrated_pages'] + r['reclaimed_pages'] < r['oracle_pages']]


def moved(r):
    """Pages migrated, plus clean page cache reclaimed if any."""
    return (f"{r['migrated_pages']}+{r['reclaimed_pages']}" if r['reclaimed_pages']
            else str(r['migrated_pages']))


def oracle_lines(runs, scen='S1'):
    """Per method of a scenario (and per parameter, if it has several):
    pages migrated against the oracle of its own state."""
    lines = []
    s1 = [r for r in runs if r['scenario'] == scen and r['oracle_pages'] >= 0]
    several = len({r['param'] for r in s1}) > 1
    for key in dict.fromkeys((r['param'], r['method']) for r in s1):
        reps = [r for r in s1 if (r['param'], r['method']) == key]
        pairs = ', '.join(f"{moved(r)}/{r['oracle_pages']}" for r in reps)
        full = all(r['allocated'] == r['requested'] for r in reps)
        name = f'{key[0]} % {key[1]}' if several else key[1]
        lines.append(f'- {name}: {pairs}' + ('' if full else ' (did not get the whole request)'))
    if not s1:
        lines.append(f'- {scen} not measured: the log has no oracle lines for it.')
    bad = undercuts(runs)
    lines.append('- No run that got its whole request migrated fewer pages than its oracle.'
                 if not bad else '- UNDERCUT: ' + '; '.join(
                     f"{r['scenario']} {r['param']} {r['method']} #{r['rep']}: "
                     f"{moved(r)} < {r['oracle_pages']}" for r in bad))
    return lines


def pageblock_lines(blocks, states=None):
    """S1's unmovable and movable pageblocks before and after each method,
    and the pageblocks unmovable allocations claimed during its runs."""
    lines = []
    claims = (states or {}).get('S1', {}).get('claims', [])
    for method in dict.fromkeys(b[2] for b in blocks if b[0] == 'S1'):
        reps = [b[3:] for b in blocks if b[0] == 'S1' and b[2] == method]
        du = sorted(r[1] - r[0] for r in reps)[len(reps) // 2]
        dm = sorted(r[3] - r[2] for r in reps)[len(reps) // 2]
        line = (f'- {method}: unmovable {reps[0][0]} -> {reps[0][1]}, movable '
                f'{reps[0][2]} -> {reps[0][3]} (first run); median change '
                f'{du:+d} unmovable, {dm:+d} movable over {len(reps)} runs.')
        mine = [c for c in claims if c[0] == method]
        if mine:
            tasks = ' '.join(dict.fromkeys(t for c in mine for t in c[4].split()))
            line += (f' Claimed by unmovable allocations: {sum(c[1] for c in mine)} '
                     f'pageblocks in all{f" ({tasks})" if tasks else ""}; by movable '
                     f'ones: {sum(c[2] for c in mine)}.')
        lines.append(line)
    return lines


def scenario_text(info):
    """S1's state in words, from what the guest reported."""
    pages, pb = info.get('area', [131072, 512])
    kernel, pins = info.get('busy', [0, 0])
    return (f'{pages * 4 // 1024} MiB CMA area at least half full of movable pages, with a '
            f'busy page in every 8th pageblock ({pb * 4 // 1024} MiB pageblocks in this '
            f'kernel): {kernel} unmovable kernel pages and {pins} pinned user pages')


def summarise(runs):
    """One row per (scenario, param, method), in the order first seen: the
    median time, and the other columns from the repetition nearest it."""
    groups = {}
    for r in runs:
        groups.setdefault((r['scenario'], r['param'], r['method']), []).append(r)
    rows = []
    for (scen, param, method), reps in groups.items():
        times = [r['time_ms'] for r in reps]
        med = statistics.median(times)
        near = min(reps, key=lambda r: abs(r['time_ms'] - med))
        row = dict(near)
        row.update(time_ms=med, time_min_ms=min(times), time_max_ms=max(times),
                   reps=len(reps),
                   data_intact=int(all(r['data_intact'] for r in reps)),
                   capped=int(any(r['capped'] for r in reps)))
        rows.append(row)
    return rows


def fmt_ms(ms):
    return f'{ms:.0f}' if ms >= 100 else f'{ms:.1f}' if ms >= 1 else f'{ms:.2f}'


def ratio(a, b, capped=False):
    if not a or not b:
        return '-'
    return ('>' if capped else '') + (f'{a / b:.1f}x' if a / b < 100 else f'{a / b:.0f}x')


def s1_table(rows):
    s1 = [r for r in rows if r['scenario'] == 'S1']
    by = {r['method']: r for r in s1}
    head = ['method', 'allocated', 'obtainable', 'time_ms (median)',
            'min-max', 'in migrate_pages()', 'migrated', 'pcp', 'lru', 'intact', 'capped',
            'speedup vs cma_alloc_order4', '/ migrate_limit',
            '/ oracle_limit', '/ copy_limit']
    out = []
    for r in s1:
        ref = by.get('cma_alloc_order4')
        speed = '-' if not ref or r is ref else \
            ratio(ref['time_ms'], r['time_ms'], ref['capped'] and not r['capped'])
        cells = [r['method'], '-' if r['method'].endswith('_limit') else
                 f"{r['allocated']}/{r['requested']}", str(r['obtainable']),
                 fmt_ms(r['time_ms']),
                 f"{fmt_ms(r['time_min_ms'])}-{fmt_ms(r['time_max_ms'])}",
                 fmt_ms(r['migrate_ms']), str(r['migrated_pages']), str(r['pcp_drains']),
                 str(r['lru_drains']), 'yes' if r['data_intact'] else 'NO',
                 'yes' if r['capped'] else '', speed]
        for lim in REFS[1:]:
            cells.append(ratio(r['time_ms'], by[lim]['time_ms'], r['capped'])
                         if lim in by else '-')
        out.append(cells)
    return head, out


def markdown(head, rows):
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    return '\n'.join(lines)


def text_table(head, rows):
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    line = lambda cells: '  '.join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return '\n'.join([line(head)] + [line(r) for r in rows])


def slope(points):
    """Least squares: ms per 1000 chunks, intercept, and r^2."""
    if len(points) < 2:
        return None
    xs, ys = zip(*points)
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    syy = sum((y - my) ** 2 for y in ys)
    if not sxx:
        return None
    b = sxy / sxx
    r2 = sxy * sxy / (sxx * syy) if syy else 1.0
    return b * 1000, my - b * mx, r2


def sweep_tables(rows, skips):
    out = []
    titles = {
        'sweep_nr': ('nr_requests', 'Cost against the number of order-4 chunks '
                     'requested (area half full of movable pages, no busy pages)'),
        'sweep_occupancy': ('occupancy %', '4800 order-4 chunks against the share '
                            'of the area held by movable pages'),
        'sweep_order': ('order', '300 MiB as chunks of each order, half-full area'),
    }
    for scen, (pname, title) in titles.items():
        srows = [r for r in rows if r['scenario'] == scen]
        if not srows:
            continue
        methods = list(dict.fromkeys(r['method'] for r in srows))
        params = list(dict.fromkeys(r['param'] for r in srows))
        by = {(r['param'], r['method']): r for r in srows}
        head = [pname] + [f'{m} ms (min-max)' for m in methods] + \
            [f'{m} got/drains pcp,lru' for m in methods]
        body = []
        for p in params:
            cells = [str(p)]
            for m in methods:
                r = by.get((p, m))
                cells.append(f"{fmt_ms(r['time_ms'])} ({fmt_ms(r['time_min_ms'])}-"
                             f"{fmt_ms(r['time_max_ms'])}){' capped' if r['capped'] else ''}"
                             if r else 'skipped')
            for m in methods:
                r = by.get((p, m))
                cells.append(f"{r['allocated']}/{r['requested']} "
                             f"{r['pcp_drains']},{r['lru_drains']}"
                             f"{'' if r['data_intact'] else ' DATA LOST'}" if r else '-')
            body.append(cells)
        out.append(f'### {scen}: {title}\n\n' + markdown(head, body))
        if scen == 'sweep_nr':
            lines = []
            for m in methods:
                s = slope([(p, by[(p, m)]['time_ms']) for p in params
                           if (p, m) in by and not by[(p, m)]['capped']])
                if s:
                    lines.append(f'- {m}: {s[0]:.1f} ms per 1000 chunks, '
                                 f'intercept {s[1]:.1f} ms, r^2 {s[2]:.3f}')
            for m in methods:
                s = slope([(by[(p, m)]['migrated_pages'], by[(p, m)]['time_ms'])
                           for p in params if (p, m) in by and not by[(p, m)]['capped']])
                if s:
                    lines.append(f'- {m} against pages migrated: {s[0]:.1f} ms per 1000 pages, '
                                 f'intercept {s[1]:.1f} ms, r^2 {s[2]:.3f}')
            out.append('Linear fits of the median times (least squares). The bulk '
                       'calls take free chunks first, so their cost follows the pages '
                       'they must migrate rather than the chunks requested:\n\n' +
                       '\n'.join(lines))
    sk = [s for s in skips]
    if sk:
        out.append('### Skipped\n\n' + '\n'.join(
            f'- {s} {p} {m}: {why}' for s, p, m, why in sk))
    return out


def targets(rows):
    by = {(r['scenario'], r['method']): r for r in rows}
    fast, o4 = by.get(('S1', 'bulk_fast')), by.get(('S1', 'cma_alloc_order4'))
    mig, cp = by.get(('S1', 'migrate_limit')), by.get(('S1', 'copy_limit'))
    hard = by.get(('S1', 'bulk_hard'))
    peers = [by[('S1', m)] for m in ('fast_loop', 'vendor_chunk') if ('S1', m) in by]
    lines = []
    if fast:
        lines.append(f"- bulk_fast got {fast['allocated']}/{fast['requested']}, data "
                     f"{'intact' if fast['data_intact'] else 'NOT intact'}, "
                     f"{fast['pcp_drains']} PCP and {fast['lru_drains']} LRU drains "
                     "(target: all, intact, 0 and 0).")
        if o4:
            lines.append(f"- bulk_fast vs cma_alloc_order4: "
                         f"{ratio(o4['time_ms'], fast['time_ms'], o4['capped'])} faster"
                         f"{' (cma_alloc_order4 was stopped at the cap)' if o4['capped'] else ''}"
                         " (target: at least 10x).")
        if mig:
            lines.append(f"- bulk_fast / migrate_limit: {ratio(fast['time_ms'], mig['time_ms'])}"
                         f": the rest of the call over its own migrations, on the state "
                         "it faced (target: at most 1.5x).")
        if cp:
            lines.append(f"- bulk_fast / copy_limit: {ratio(fast['time_ms'], cp['time_ms'])}: "
                         "migration's own cost over copying the data.")
        for loop in peers:
            what = ('the per-chunk FAST loop a driver could write instead'
                    if loop['method'] == 'fast_loop' else
                    "the vendor chunk heaps' pageblock-first strategy")
            lines.append(f"- bulk_fast vs {loop['method']} ({what}): "
                         f"{ratio(loop['time_ms'], fast['time_ms'], loop['capped'])}"
                         f" faster; {loop['method']} got {loop['allocated']}/{loop['requested']}, "
                         f"{loop['migrated_pages']} pages migrated against bulk_fast's "
                         f"{fast['migrated_pages']}.")
    if hard:
        lines.append(f"- bulk_hard got {hard['allocated']} of the {hard['obtainable']} "
                     "chunks that hold no busy page "
                     f"(requested {hard['requested']}).")
    normal = [r for r in rows if r['scenario'] == 'sweep_nr' and r['method'] == 'bulk_normal']
    if normal:
        lines.append('- bulk_normal drains (PCP, LRU) per call across sweep_nr: ' +
                     ', '.join(f"{r['param']}: {r['pcp_drains']},{r['lru_drains']}"
                               for r in normal) + ' (target: constant).')
    return lines


def spread(vals):
    """'n' if all values are the same, else 'median (min-max)'."""
    if not vals:
        return '-'
    lo, hi = min(vals), max(vals)
    return str(lo) if lo == hi else f'{statistics.median(vals):g} ({lo}-{hi})'


def s3_state_lines(states):
    """S3's states as built, per occupancy: what the helper held after the
    thinning, the chunks left with no page, and the busy pages."""
    st = states.get('S3', {})
    scat, busy = st.get('scattered', []), st.get('busy', [])
    lines = []
    for param in dict.fromkeys(v[0] for v in scat):
        got = [v for v in scat if v[0] == param]
        held = [v[1] for v in got]
        area, chunks = got[0][2], got[0][4]
        pct = f'{100 * min(held) / area:.1f}'
        if max(held) != min(held):
            pct += f'-{100 * max(held) / area:.1f}'
        lines.append(f'- {param} %: the helper held {spread(held)} of {area} pages '
                     f'({pct} % of the area), '
                     f'{spread([v[3] for v in got])} of {chunks} order-4 chunks held no '
                     f'page at all, over {len(got)} states built.')
    if busy:
        lines.append(f'- Busy pages in every S3 state: {spread([b[0] for b in busy])} '
                     f'unmovable kernel pages and {spread([b[1] for b in busy])} pinned '
                     'user pages.')
    return lines


def thp_lines(states):
    """THP's states as built: the helper's pages in huge pages; and what
    each method's migrations did with the huge pages."""
    thp = states.get('THP', {}).get('thp', [])
    if not thp:
        return []
    lines = [f'- The helper held {spread([v[2] for v in thp])} pages of the area, '
             f'{spread([v[1] for v in thp])} of them in transparent huge pages, '
             f'over {len(thp)} states built.'] + busy_line(states, 'THP')
    mig = states.get('THP', {}).get('thpmig', [])
    if mig:
        lines.append('- Huge pages migrated whole / failed / split to be migrated, '
                     'direct compaction and direct reclaim stalls (/proc/vmstat '
                     'thp_migration_*, compact_stall, allocstall_movable), and calls of migrate_pages() with the folios '
                     'they failed to migrate (tracepoint mm_migrate_pages), per '
                     'method: ' + '; '.join(
                         f"{m}: {spread([v[1] for v in mig if v[0] == m])} / "
                         f"{spread([v[2] for v in mig if v[0] == m])} / "
                         f"{spread([v[3] for v in mig if v[0] == m])}, "
                         f"{spread([v[4] for v in mig if v[0] == m])}+"
                         f"{spread([v[5] for v in mig if v[0] == m])} stalls, "
                         f"{spread([v[6] for v in mig if v[0] == m])} calls failing "
                         f"{spread([v[7] for v in mig if v[0] == m])} folios"
                         for m in dict.fromkeys(v[0] for v in mig)) + '.')
    return lines


def s2_lines(states, info=None):
    """S2's states as built: the page cache in the area, dirty and under
    writeback when the method started; and the files read back."""
    pc = states.get('S2', {}).get('pagecache', [])
    lines = []
    if pc:
        lines.append(f'- The helper held {spread([v[1] for v in pc])} file pages of the area; '
                     f'the area held {spread([v[2] for v in pc])} pages of page cache, '
                     f'{spread([v[3] for v in pc])} of them dirty and '
                     f'{spread([v[4] for v in pc])} under writeback when the method '
                     f'started, over {len(pc)} states built.')
    files = (info or {}).get('files')
    if files:
        lines.append(f'- Afterwards the {files[0]} files, read back from the disk, had '
                     f'{files[1]} pages that did not hold their known contents'
                     + (': DATA LOST.' if files[1] else '.'))
    return lines + busy_line(states, 'S2')


def busy_line(states, scen='S1'):
    """The busy pages of every state built for a scenario: the same count in
    each, since they go to the same PFNs, or the spread if not."""
    busy = states.get(scen, {}).get('busy', [])
    if not busy:
        return []
    same = len({tuple(b) for b in busy}) == 1
    return [f'- Busy pages in the {len(busy)} {scen} states built: '
            f'{spread([b[0] for b in busy])} unmovable kernel pages and '
            f'{spread([b[1] for b in busy])} pinned user pages'
            + (', the same in every state.' if same else ': NOT the same in every state.')]


def s3_table(rows, scen='S3'):
    """S3 (or THP): one row per occupancy and method."""
    s3 = [r for r in rows if r['scenario'] == scen]
    head = ['occupancy %', 'method', 'got/obtainable', 'time_ms (median)', 'min-max',
            'in migrate_pages()', 'migrated', 'oracle', 'migrated/oracle', 'pcp', 'lru', 'intact', 'capped']
    if any(r['reclaimed_pages'] for r in s3):
        head[6:9] = ['migrated+reclaimed', 'oracle', '(migrated+reclaimed)/oracle']
    body = []
    for r in s3:
        lim = r['method'].endswith('_limit')
        orc = r['oracle_pages']
        out = r['migrated_pages'] + r['reclaimed_pages']
        body.append([str(r['param']), r['method'],
                     '-' if lim else f"{r['allocated']}/{r['obtainable']}",
                     fmt_ms(r['time_ms']),
                     f"{fmt_ms(r['time_min_ms'])}-{fmt_ms(r['time_max_ms'])}",
                     fmt_ms(r['migrate_ms']),
                     moved(r), str(orc) if orc >= 0 else '-',
                     f"{out / orc:.2f}" if orc > 0 else '-',
                     '-' if lim else str(r['pcp_drains']),
                     '-' if lim else str(r['lru_drains']),
                     'yes' if r['data_intact'] else 'NO', 'yes' if r['capped'] else ''])
    return head, body


def s3_fast_vs(rows, peer, scen='S3'):
    """bulk_fast against a peer per occupancy, wins and losses alike."""
    by = {(r['param'], r['method']): r for r in rows if r['scenario'] == scen}
    lines = []
    for p in dict.fromkeys(r['param'] for r in rows if r['scenario'] == scen):
        fast, loop = by.get((p, 'bulk_fast')), by.get((p, peer))
        if not fast or not loop:
            lines.append(f'- {p} %: not compared (bulk_fast or {peer} was not measured).')
            continue
        if not fast['time_ms'] or not loop['time_ms']:
            verdict = 'not compared (a time of 0)'
        elif fast['time_ms'] <= loop['time_ms']:
            verdict = (f"bulk_fast {ratio(loop['time_ms'], fast['time_ms'], loop['capped'])} "
                       'faster')
        else:
            verdict = (f"bulk_fast {ratio(fast['time_ms'], loop['time_ms'], fast['capped'])} "
                       'SLOWER')
        gots = f"got {fast['allocated']} against {loop['allocated']}"
        if fast['allocated'] < loop['allocated']:
            gots += ' (FEWER)'
        lines.append(f"- {p} % against {peer}: {verdict} ({fmt_ms(fast['time_ms'])} against "
                     f"{fmt_ms(loop['time_ms'])} ms{f', {peer} capped' if loop['capped'] else ''}"
                     f"); {gots} of {fast['requested']} chunks; "
                     f"{moved(fast)} against {moved(loop)} pages "
                     f"migrated{' (+reclaimed)' if fast['reclaimed_pages'] or loop['reclaimed_pages'] else ''}; drains (PCP, LRU) {fast['pcp_drains']},{fast['lru_drains']} "
                     f"against {loop['pcp_drains']},{loop['lru_drains']}.")
    return lines


def scenarios_run(runs):
    """The scenarios measured, in the order the log has them."""
    return list(dict.fromkeys(r['scenario'] for r in runs))


def write_bench(rows, runs, skips, info, blocks, outdir, states=None,
                name='bench', datadir=None):
    os.makedirs(outdir, exist_ok=True)
    datadir = datadir or outdir
    with open(os.path.join(outdir, f'{name}-runs.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, RUN_FIELDS + ['oracle_pages'], extrasaction='ignore')
        w.writeheader()
        w.writerows(runs)
    with open(os.path.join(outdir, f'{name}.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, SPEC_FIELDS + EXTRA_FIELDS, extrasaction='ignore')
        w.writeheader()
        for r in rows:
            w.writerow(dict(r, time_ms=f"{r['time_ms']:.3f}"))
    # Data for bench/bench-plot.gp.
    with open(os.path.join(datadir, 'bench-plot-s1.dat'), 'w') as f:
        for r in rows:
            if r['scenario'] == 'S1':
                label = '""' if r['method'].endswith('_limit') else \
                    f"{r['allocated']}{'(capped)' if r['capped'] else ''}"
                f.write(f"{r['method']} {r['time_ms']:.3f} {label}\n")
    with open(os.path.join(datadir, 'bench-plot-nr.dat'), 'w') as f:
        for m in ('bulk_fast', 'bulk_normal', 'cma_alloc_order4'):
            pts = [r for r in rows if r['scenario'] == 'sweep_nr' and r['method'] == m]
            f.write(f'# {m}\n')
            for r in pts:
                f.write(f"{r['param']} {r['time_ms']:.3f}\n")
            f.write('\n\n')

    head, body = s1_table(rows)
    md = ['# cma_alloc_bulk benchmark', '',
          textwrap.fill('Scenario S1 (docs/benchmark.md): 4800 order-4 chunks (300 MiB) from a ' +
                        scenario_text(info) + '. Times are medians of the repetitions; '
                        'min-max shows the spread. Times come from timed runs during '
                        'which no probe or tracepoint of the benchmark is armed; drains, the time in '
                        'migrate_pages() and reclaimed pages from an untimed counting '
                        'run of the same method on a state built the same way.', 78),
          'Measured under QEMU TCG with 2 vCPUs: absolute times are not those of',
          'hardware, compare ratios.', '',
          textwrap.fill(f"This run: {', '.join(scenarios_run(runs))}, "
                        f"{max(r['rep'] for r in runs) + 1} repetition(s).", 78), '',
          '## S1', '', markdown(head, body), ''] + busy_line(states or {}) + ['',
          '## Targets (reported, not asserted)', ''] + targets(rows) + ['']
    md += ['## Pages migrated against the oracle of the same state', '',
           textwrap.fill('Before every measurement the benchmark counts, from /proc/kpageflags, '
                         'the pages in use in the least occupied chunks that hold no busy '
                         'page: the fewest pages any allocator must migrate for the request '
                         'from exactly the state the method then faces. Per S1 run, '
                         'migrated/oracle:', 78), ''] + oracle_lines(runs) + ['']
    s3_head, s3_body = s3_table(rows)
    if s3_body:
        md += ['## S3: scattered occupancy', '',
               textwrap.fill('Scenario S3: the request and the busy pages of S1 (one in '
                             'every 8th pageblock, an unmovable kernel page and a pinned '
                             'user page in turn, at fixed places), on an area the helper '
                             'first fills to 85 %, then thins: in every order-4 chunk it '
                             'keeps only its pages whose PFN offset in the chunk is below '
                             '4, 8 or 12 (25, 50 or 75 % of the area, times what the fill '
                             'reached), so that almost no chunk is free. got/obtainable: '
                             'chunks obtained against the chunks that hold no busy page; '
                             'oracle: the fewest pages any allocator must migrate for the '
                             'request from the state the method faced.', 78), ''] + \
            s3_state_lines(states or {}) + ['', markdown(s3_head, s3_body), '',
                                             '### S3: bulk_fast against fast_loop', ''] + \
            s3_fast_vs(rows, 'fast_loop') + ['', '### S3: bulk_fast against vendor_chunk', ''] + \
            s3_fast_vs(rows, 'vendor_chunk') + \
            ['', '### S3: pages migrated against the oracle, per run', ''] + \
            oracle_lines(runs, 'S3') + ['']
    for scen, title, text, state_lines in (
            ('S2', 'an area half full of page cache, under writeback',
             'Scenario S2: the request and the busy pages of S1, on an '
             'area the helper fills to 50 % with the page cache of files '
             'on an ext2 file system on a virtio-blk disk (mapped shared, '
             'read from the disk). Every 16th page is then dirtied and '
             'every 32nd put under writeback, on a disk whose writes QEMU '
             'throttles to 4 MiB/s, so that writeback is in flight when '
             'the method starts. Each state is written back and dropped '
             'before the next is built; at the end the files are read '
             'back from the disk and checked page by page.',
             s2_lines(states or {}, info)),
            ('THP', 'an area half full of transparent huge pages',
             'Scenario THP: the request and the busy pages of S1, on an '
             'area the helper fills to 50 % with anonymous memory in '
             'transparent huge pages (madvise(MADV_HUGEPAGE), 2 MiB, 32 '
             'order-4 chunks each): a chunk can only be had by moving the '
             'whole huge page over it, and a pin on a huge page holds all '
             'of it. oracle: the pages in use in the least occupied '
             'chunks, a lower bound here, since it counts 4 KiB pages.',
             thp_lines(states or {}))):
        head_, body_ = s3_table(rows, scen)
        if not body_:
            continue
        md += [f'## {scen}: {title}', '', textwrap.fill(text, 78), ''] + state_lines + \
            ['', markdown(head_, body_), '', f'### {scen}: bulk_fast against its peers', ''] + \
            s3_fast_vs(rows, 'fast_loop', scen) + s3_fast_vs(rows, 'vendor_chunk', scen) + \
            ['', f'### {scen}: pages migrated against the oracle, per run', ''] + \
            oracle_lines(runs, scen) + ['']
    if any(b[0] == 'S1' for b in blocks):
        md += ['## Pageblocks in /proc/pagetypeinfo around each S1 run', '',
               textwrap.fill('Where migration targets went. Only an unmovable allocation '
                             'can make a pageblock unmovable: the mm_page_alloc_extfrag '
                             'tracepoint, traced during each counting run, counts the pageblocks '
                             'that unmovable and movable allocations claimed from other '
                             'types, and names the tasks behind the unmovable claims. '
                             'Migration targets are movable allocations.', 78), ''] + \
            pageblock_lines(blocks, states) + ['']
    for part in sweep_tables(rows, skips):
        md += [part, '']
    with open(os.path.join(outdir, f'{name}.md'), 'w') as f:
        f.write('\n'.join(md))
    with open(os.path.join(outdir, f'{name}-cover.txt'), 'w') as f:
        f.write(cover_table(rows) + '\n')
    return head, body


def cover_table(rows):
    """S1 as the cover letter shows it (scripts/refresh-cover-letter.py)."""
    cols = ['method', 'got', 'time ms', 'migrated', 'PCP/LRU drains']
    out = []
    for r in rows:
        if r['scenario'] != 'S1':
            continue
        got = '-' if r['method'].endswith('_limit') else \
            f"{r['allocated']}/{r['requested']}"
        drains = '-' if r['method'].endswith('_limit') else \
            f"{r['pcp_drains']}/{r['lru_drains']}"
        out.append([r['method'], got, fmt_ms(r['time_ms']) + (' (capped)' if r['capped'] else ''),
                    str(r['migrated_pages']), drains])
    return text_table(cols, out)


def demo(rows, info):
    by = {r['method']: r for r in rows if r['scenario'] == 'S1'}
    need = ['cma_alloc_order4', 'bulk_fast', 'migrate_limit', 'copy_limit']
    missing = [m for m in need if m not in by]
    if missing:
        fail('the demo did not measure ' + ', '.join(missing) +
             '; see the console log')
    head = ['method', 'what it does', 'got', 'time', 'pages moved',
            'drain IPIs (PCP+LRU)', 'data intact']
    body = []
    for m in need:
        r = by[m]
        got = f"{r['allocated']}/{r['requested']}" if m in ('cma_alloc_order4', 'bulk_fast') else '-'
        t = f"{fmt_ms(r['time_ms'])} ms" + (' (stopped at the cap)' if r['capped'] else '')
        drains = str(r['pcp_drains'] + r['lru_drains']) if got != '-' else '-'
        body.append([m, DESCRIPTION[m], got, t, str(r['migrated_pages']), drains,
                     'yes' if r['data_intact'] else 'NO'])
    o4, fast = by['cma_alloc_order4'], by['bulk_fast']
    print()
    print('Demo: a secure-video driver asks for 4800 chunks of 64 KiB (300 MiB) from a')
    print(textwrap.fill(scenario_text(info) + '. The movable pages must be moved out of '
                        'the way; the busy pages cannot move.', 78))
    print()
    print(text_table(head, body))
    print()
    print(f"cma_alloc_bulk(FAST) got {fast['allocated']} chunks in {fmt_ms(fast['time_ms'])} ms; "
          f"{o4['requested']} cma_alloc() calls got {o4['allocated']}"
          f"{' before they were stopped' if o4['capped'] else ''} in {fmt_ms(o4['time_ms'])} ms:")
    print(f"the bulk call was {ratio(o4['time_ms'], fast['time_ms'], o4['capped'])} faster.")
    print('Each cma_alloc() call drains the per-CPU page and LRU lists of every CPU')
    print('(an IPI each) and retries pinned pages; the bulk call skips busy chunks and')
    print("moves each page once. migrate_limit and copy_limit are floors: the time")
    print("bulk_fast's call spends in migrate_pages() (from its untimed counting run")
    print("on a state built the same way), and a plain copy of as many pages.")
    print('Times are from QEMU TCG (2 vCPUs): compare ratios, not absolute times.')
    print('Full benchmark: make bench.')


def verdict(runs, log, info=None):
    """Exit non-zero on lost data or a kernel report on the console."""
    vm = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'vm')
    sys.path.insert(0, vm)      # for the modules collect-results.py imports
    spec = importlib.util.spec_from_file_location(
        'collect_results', os.path.join(vm, 'collect-results.py'))
    cr = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cr)
    console_log = os.path.join(os.path.dirname(log),
                               os.path.basename(log).replace('results-', 'console-', 1))
    console = cr.read_lines(console_log)
    bad = [f"{r['scenario']} {r['param']} {r['method']} #{r['rep']}: data NOT intact"
           for r in runs if not r['data_intact']]
    files = (info or {}).get('files', [0, 0])
    if files[1]:
        bad.append(f'S2: {files[1]} pages of its {files[0]} files changed on the disk')
    bad += [f'kernel {kind} report on the console: {console[i].strip()} '
            f'({console_log}, line {i + 1})' for kind, i in cr.find_reports(console)]
    for b in bad:
        print(f'bench: FAIL: {b}', file=sys.stderr)
    if bad:
        sys.exit(1)


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ('bench', 'demo'):
        fail('usage: bench/bench-report.py bench|demo RESULTS_LOG OUTDIR [NAME]')
    job, log, outdir = sys.argv[1:4]
    name = sys.argv[4] if len(sys.argv) == 5 else 'bench'
    datadir = os.path.dirname(os.path.abspath(log))
    runs, skips, info, blocks, states = read_log(log)
    if not runs:
        fail(f'no measurements in {log}; see the console log beside it')
    rows = summarise(runs)
    if job == 'demo':
        demo(rows, info)
        verdict(runs, log, info)
        return
    head, body = write_bench(rows, runs, skips, info, blocks, outdir, states,
                             name, datadir)
    plot = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bench-plot.gp')
    png = os.path.join(outdir, f'{name}.png')
    have = lambda scen: int(any(r['scenario'] == scen for r in rows))
    try:
        subprocess.run(['gnuplot', '-e', f"dir='{datadir}'; out='{png}'; "
                        f"have_s1={have('S1')}; have_nr={have('sweep_nr')}", plot],
                       check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        fail(f'gnuplot could not draw {png}: {e}')
    print()
    if body:
        print('S1: 4800 order-4 chunks from a half-full 512 MiB area with busy pages')
        print(text_table(head, body))
        print('\n'.join(busy_line(states)))
    else:
        print('S1 was not run (BENCH_ARGS); see bench.md for the sweeps.')
    for scen, title, state_lines in (
            ('S2', 'an area half full of page cache under writeback, busy pages as S1',
             lambda st: s2_lines(st, info)),
            ('S3', 'an area of scattered occupancy, busy pages as S1', s3_state_lines),
            ('THP', 'an area half full of transparent huge pages', thp_lines)):
        head_, body_ = s3_table(rows, scen)
        if not body_:
            continue
        print()
        print(f'{scen}: 4800 order-4 chunks from {title}')
        print('\n'.join(state_lines(states)))
        print(text_table(head_, body_))
        for peer in ('fast_loop', 'vendor_chunk'):
            print(f'{scen} bulk_fast against {peer}:')
            print('\n'.join(s3_fast_vs(rows, peer, scen)))
    if any(b[0] == 'S1' for b in blocks):
        print()
        print('S1 pageblocks (/proc/pagetypeinfo) before and after each method:')
        print('\n'.join(pageblock_lines(blocks, states)))
    print()
    print('S1 pages migrated against the oracle of the same state (per run):')
    print('\n'.join(oracle_lines(runs)))
    if s3_table(rows)[1]:
        print('S3 pages migrated against the oracle of the same state (per run):')
        print('\n'.join(oracle_lines(runs, 'S3')))
    for s in skips:
        print(f'skipped: {s[0]} {s[1]} {s[2]}: {s[3]}')
    print(f'bench: {len(runs)} measurements; {outdir}/{name}.csv, {name}.md, {name}.png')
    verdict(runs, log, info)


if __name__ == '__main__':
    main()
