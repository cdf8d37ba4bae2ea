"""The kernel reports no run of the harness may show on a guest's console:
the line each starts with, and its kind. vm/collect-results.py (make check)
and bench/vmem-run.py (make vmem) both read them from here.

The guest boots with printk.time=0, so a kernel line starts at column 0;
the anchored patterns do not match a test's own output that quotes them.
"""
import re

SPLATS = [
    (re.compile(r'BUG: KASAN|KASAN:'), 'KASAN'),
    (re.compile(r'WARNING: possible|WARNING: suspicious RCU|'
                r'inconsistent lock state|possible circular locking|'
                r'possible recursive locking|INFO: possible'), 'lockdep'),
    (re.compile(r'INFO: task .* blocked for more than'), 'hung task'),
    (re.compile(r'watchdog: BUG: soft lockup|rcu: INFO: .* stall'), 'lockup'),
    (re.compile(r'UBSAN:'), 'UBSAN'),
    (re.compile(r'Kernel panic'), 'panic'),
    (re.compile(r'^(Oops|general protection fault|BUG:|kernel BUG at)'), 'BUG/oops'),
    (re.compile(r'^WARNING:|------------\[ cut here \]------------'), 'WARNING'),
    (re.compile(r'page allocation failure:|^Call Trace:'), 'stack dump'),
    (re.compile(r'virtio_mem.*marking device broken'), 'virtio-mem broken'),
]


def kind(line):
    """The kind of the kernel report that starts at line, or None."""
    for pattern, name in SPLATS:
        if pattern.search(line):
            return name
    return None
