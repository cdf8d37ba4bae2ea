#!/bin/sh
# Print what a guest job reported on its results port.
# Usage: vm/print-report.sh JOB RESULTS_LOG
set -eu
job=$1
log=$2
if ! grep -q "^harness: job $job end" "$log"; then
	echo "report: the guest did not finish '$job'; see the console log" >&2
	exit 1
fi
echo
echo "CMA state of the bench kernel after boot:"
sed -n "/^harness: job $job start/,/^harness: job $job end/p" "$log" |
	tr -d '\r' | grep -v '^harness: job' | sed 's/^/  /'
