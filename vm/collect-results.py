#!/usr/bin/env python3
"""Merge a check run's KUnit and kselftest output into one KTAP file, let
the kernel's kunit.py count it, and scan the console for kernel reports.

Usage: collect-results.py SRC CONSOLE_LOG RESULTS_LOG OUT_KTAP JOB [VM_RC]

Prints the reports it finds, then the line "check: N passed, M failed,
K skipped (E expected, A allowed to skip)", and exits non-zero on any
failure, missing result, timeout, panic, or kernel report (oops, BUG,
WARNING, KASAN, lockdep, hung task...: the list is vm/splats.py).

It also compares the results with the list of expected tests,
vm/expected-tests.txt (or $EXPECTED_TESTS; the format is described at its
top): an expected test without a result, a skipped test not marked
skip-ok, and a test that passed or skipped without being in the list are
failures. $CHECK_ARGS holds the make variable of that name (run_kselftest.sh
arguments, comma-separated): with -t/-c only the kselftests they select are
expected. KUnit cases are expected unless $EXPECT_KUNIT is 0.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import splats

# Lines that say which test is running.
PROGRESS = re.compile(r'# Subtest: (\S+)|#\s+RUN\s+(\S+)|# selftests: (.+)$|'
                      r'^\s*(?:# )*(?:not )?ok \d+ (.+)$')
SUMMARY = re.compile(r'Ran (\d+) tests?: (.*)$')
EXPECTED_TESTS = os.environ.get('EXPECTED_TESTS') or \
    os.path.join(os.path.dirname(os.path.abspath(__file__)), 'expected-tests.txt')


def read_lines(path):
    try:
        with open(path, errors='replace') as f:
            return [l.rstrip('\r\n').replace('\r', '') for l in f]
    except FileNotFoundError:
        return []


def kunit_section(console):
    """The KUnit executor's KTAP, printed at boot before /init runs: from
    its version line to its last top-level result. Kernel messages in
    between are kept; kunit.py reads them as test logs."""
    start = next((i for i, l in enumerate(console)
                  if l.strip() == 'KTAP version 1'), None)
    if start is None:
        return None
    plan = re.match(r'1\.\.(\d+)$', console[start + 1].strip()) \
        if start + 1 < len(console) else None
    if not plan:
        return console[start:start + 1]
    want = int(plan.group(1))
    seen = 0
    end = start + 2
    while seen < want and end < len(console):
        if re.match(r'(not )?ok \d+ ', console[end]):
            seen += 1
        elif console[end].startswith('Run /init') or \
                console[end].startswith('harness: job'):
            break
        end += 1
    return console[start:end]


def kselftest_section(results, job):
    """run_kselftest.sh's TAP, with each test's own "# "-prefixed TAP
    turned into an indented KTAP subtest."""
    try:
        begin = results.index(f'harness: job {job} start') + 1
    except ValueError:
        return None
    out = []
    nested = False
    plan = seen = 0
    prog = 'the program'
    for line in results[begin:]:
        if line.startswith('harness: job'):
            break
        m = re.match(r'# selftests: \S+: (\S+)', line)
        if m and not nested:
            prog = m.group(1)
        if line.startswith('# TAP version') or line.startswith('# KTAP version'):
            nested = True
            plan = seen = 0
        if nested and line.startswith('# '):
            # "ok 1 # SKIP why" has no name, which kunit.py cannot parse.
            line = re.sub(r'^# ((?:not )?ok \d+) (# .*)', r'# \1 (unnamed) \2', line)
            m = re.match(r'1\.\.(\d+)', line[2:])
            if m:
                plan = int(m.group(1))
            elif re.match(r'(not )?ok \d+ ', line[2:]):
                seen += 1
            out.append('    ' + line[2:])
            continue
        if re.match(r'(not )?ok \d+ ', line):
            if nested:
                # A program killed by its timeout leaves results missing:
                # count each as a failure rather than losing the count.
                out += [f'    not ok {n} result {n} of {prog} missing: it '
                        'stopped before reporting it' for n in range(seen + 1, plan + 1)]
            nested = False
        out.append(line)
    start = next((i for i, l in enumerate(out) if 'TAP version' in l), None)
    if start is None:
        return None
    # run_kselftest.sh writes one TAP document per collection: make them one.
    merged, plan, num = [], 0, 0
    for line in out[start:]:
        if line.startswith('TAP version'):
            continue
        m = re.match(r'1\.\.(\d+)$', line)
        if m:
            plan += int(m.group(1))
            continue
        m = re.match(r'(not )?ok \d+ (.*)', line)
        if m:
            num += 1
            line = f"{m.group(1) or ''}ok {num} {m.group(2)}"
        merged.append(line)
    return ['TAP version 13', f'1..{plan}'] + merged


def kunit_parse(src, lines):
    """Run kunit.py parse on @lines; return (counts dict, its output, the
    test cases as (group names from the top, name, PASS/SKIP/FAIL/ERROR))."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'results.ktap')
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        proc = subprocess.run(
            [sys.executable, os.path.join(src, 'tools/testing/kunit/kunit.py'),
             'parse', f'--json={path}.json', path], capture_output=True, text=True)
        try:
            with open(path + '.json') as f:
                groups = [([], json.load(f))]
        except (OSError, ValueError):   # kunit.py gave up
            groups = []
    cases = []
    while groups:
        above, group = groups.pop(0)
        above = above + [group['name']]
        cases += [(above, c['name'], c['status']) for c in group['test_cases']]
        groups += [(above, g) for g in group['sub_groups']]
    text = proc.stdout + proc.stderr
    counts = {'passed': 0, 'failed': 0, 'skipped': 0, 'crashed': 0, 'errors': 0}
    for line in text.splitlines():
        m = SUMMARY.search(line)
        if m:
            for part in m.group(2).split(','):
                key, _, val = part.strip().partition(':')
                if key in counts:
                    counts[key] = int(val)
    return counts, text, cases


def test_names(cases):
    """Name the test cases of the merged KTAP as vm/expected-tests.txt does:
    kunit:SUITE.CASE and kselftest:COLLECTION:PROGRAM:TEST, with " [2]",
    " [3]"... on the later results of a name a program reports more than
    once. Return {name: status}."""
    names = {}
    for above, name, status in cases:
        path = above[1:] + [name]       # without kunit.py's top group
        if len(path) < 2:               # the kunit or kselftest part itself
            continue
        if path[0] == 'kunit':
            base = 'kunit:' + '.'.join(path[1:])
        else:
            prog = re.sub(r'^selftests: (\S+): ', r'\1:', path[1])
            base = ':'.join(['kselftest', prog] + path[2:])
        key, n = base, 1
        while key in names:
            n += 1
            key = f'{base} [{n}]'
        names[key] = status
    return names


def read_expected(path):
    """Return {test name: may it be skipped} from the expected-tests list
    (None if it cannot be read), and the problems found in the list."""
    expected, problems = {}, []
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        return None, [f'cannot read the list of expected tests: {e}']
    for num, line in enumerate(lines, 1):
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        name, skip_ok = re.subn(r'\s+skip-ok$', '', line)
        if name in expected:
            problems.append(f'{path} line {num}: {name} is listed twice')
        expected[name] = bool(skip_ok)
    return expected, problems


def will_run(name):
    """Does this check run the listed test @name? KUnit cases run unless
    $EXPECT_KUNIT is 0; kselftests run unless $CHECK_ARGS has -t or -c
    options (run_kselftest.sh's) that leave out their program."""
    if name.startswith('kunit:'):
        return os.environ.get('EXPECT_KUNIT', '1') == '1'
    args = os.environ.get('CHECK_ARGS', '').replace(',', ' ').split()
    tests = [v for a, v in zip(args, args[1:]) if a in ('-t', '--test')]
    colls = [v for a, v in zip(args, args[1:]) if a in ('-c', '--collection')]
    if not (tests or colls):
        return True
    prog = ':'.join(name.split(':')[1:3])       # COLLECTION:PROGRAM
    return prog in tests or prog.split(':')[0] in colls


def group_of(name):
    """The KUnit suite or kselftest program of a test in the list."""
    if name.startswith('kunit:'):
        return name.split('.')[0]
    return ':'.join(name.split(':')[:3])


def check_expected(results, listed, expected):
    """Yield a problem for each @expected test that has no result or was
    skipped without skip-ok, and for each test that passed or skipped
    without being @listed (one that failed is reported as a failure)."""
    lst = os.path.relpath(EXPECTED_TESTS)
    if lst.startswith('..'):
        lst = EXPECTED_TESTS
    groups = {}
    for name in expected:
        groups.setdefault(group_of(name), []).append(name)
    for group, names in groups.items():
        missing = [name for name in names if name not in results]
        # A suite or program none of whose tests ran is one problem.
        if len(missing) > 1 and len(missing) == len(names):
            yield (f'none of the {len(names)} expected tests of {group} '
                   'reported a result')
            continue
        for name in missing:
            yield f'expected test {name} reported no result'
    for name, skip_ok in expected.items():
        if results.get(name) == 'SKIP' and not skip_ok:
            yield (f'test {name} was skipped; it is not marked skip-ok '
                   f'in {lst}')
    for name, status in results.items():
        if name not in listed and status in ('PASS', 'SKIP'):
            done = 'passed' if status == 'PASS' else 'was skipped'
            yield (f'unexpected test {name} {done}: add the line "{name}" '
                   f'to {lst}')


def status_line(counts, num, name):
    if counts['failed'] or counts['crashed'] or counts['errors']:
        return f'not ok {num} {name}'
    if counts['passed'] == 0 and counts['skipped']:
        return f'ok {num} {name} # SKIP'
    return f'ok {num} {name}'


def find_reports(console):
    """Yield (kind, first line index) of each kernel report."""
    i = 0
    while i < len(console):
        kind = splats.kind(console[i])
        if kind:
            yield kind, i
            # Skip the rest of this report.
            j = i + 1
            while j < len(console) and j < i + 200 and \
                    not console[j].startswith('---[ end trace') and \
                    not PROGRESS.search(console[j]):
                j += 1
            i = j
        i += 1


def running_test(console, idx):
    for line in reversed(console[:idx]):
        m = PROGRESS.search(line)
        if m:
            name = next(g for g in m.groups() if g)
            if m.group(4):
                return f'after "{name}" finished'
            return f'during "{name}"'
    return 'before any test started'


def main():
    src, console_log, results_log, out, job = sys.argv[1:6]
    vm_rc = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    console = read_lines(console_log)
    results = read_lines(results_log)
    problems = []

    parts = []
    kunit = kunit_section(console)
    if kunit is None:
        if os.environ.get('EXPECT_KUNIT', '1') == '1':
            problems.append('no KUnit report on the console (KUnit did not run)')
    else:
        parts.append(('kunit', kunit))
    kst = kselftest_section(results, job)
    if kst is None:
        problems.append('no kselftest report from the guest')
    else:
        parts.append(('kselftest', kst))
    if f'harness: job {job} end' not in results:
        problems.append('the guest did not finish its job '
                        '(crash, panic or timeout)')

    ktap = ['KTAP version 1', f'1..{len(parts)}']
    for num, (name, lines) in enumerate(parts, 1):
        if len(lines) == 2 and lines[1].strip() == '1..0':
            ktap.append(f'ok {num} {name} # SKIP no {name} tests are built in')
            continue
        counts, text, _ = kunit_parse(src, lines)
        ktap += ['    ' + l if l else l for l in lines]
        ktap.append(status_line(counts, num, name))
    with open(out, 'w') as f:
        f.write('\n'.join(ktap) + '\n')

    counts, text, cases = kunit_parse(src, ktap)
    # kunit.py prints a failed test's log just before its [FAILED] line.
    log = []
    for line in text.splitlines():
        line = re.sub(r'^\[\d\d:\d\d:\d\d\] ', '', line)
        if re.match(r'\[(PASSED|SKIPPED)\]|=+', line):
            log = []
        elif re.match(r'\[(FAILED|CRASHED|ERROR)\]', line):
            for l in log + [line]:
                print('check: ' + l)
            log = []
        else:
            log.append(line)

    for kind, idx in find_reports(console):
        problems.append(f'{kind} report on the console {running_test(console, idx)} '
                        f'({os.path.basename(console_log)} line {idx + 1}):\n' +
                        '\n'.join('    | ' + l for l in console[idx:idx + 25]))
    if vm_rc == 124:
        problems.append('the VM timed out')
    elif vm_rc:
        problems.append(f'QEMU exited with status {vm_rc}')

    listed, list_problems = read_expected(EXPECTED_TESTS)
    problems += list_problems
    expected = {name: skip_ok for name, skip_ok in (listed or {}).items()
                if will_run(name)}
    if listed is not None:
        problems += check_expected(test_names(cases), listed, expected)

    for p in problems:
        print('check: FAIL: ' + p)
    failed = counts['failed'] + counts['crashed'] + counts['errors']
    print(f'check: {counts["passed"]} passed, {failed} failed, '
          f'{counts["skipped"]} skipped ({len(expected)} expected, '
          f'{sum(expected.values())} allowed to skip)')
    return 1 if failed or problems else 0


if __name__ == '__main__':
    sys.exit(main())
