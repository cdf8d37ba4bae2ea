#!/bin/sh
# run_kselftest.sh runs "timeout --foreground ..."; busybox's timeout has
# no --foreground (the guest has no job control to need it), so drop it.
[ "${1:-}" = --foreground ] && shift
exec /bin/busybox timeout "$@"
