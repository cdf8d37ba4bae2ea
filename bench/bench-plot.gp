# The benchmark's plot. Usage:
#   gnuplot -e "dir='build/results'; out='docs/results/bench.png'; have_s1=1; have_nr=1" bench/bench-plot.gp
# Reads dir/bench-plot-s1.dat (method time_ms label) and
# dir/bench-plot-nr.dat (one block per method: nr_requests time_ms);
# writes the PNG named by out. A panel without data says so.
set terminal pngcairo size 1400,600 font ",11"
set output out
set multiplot layout 1,2 title "cma\\_alloc\\_bulk benchmark (QEMU TCG, 2 vCPUs: compare ratios, not absolute times)"

set title "S1: 4800 order-4 chunks, half-full 512 MiB area, busy pages\n(label: order-4 chunks obtained)"
set logscale y
set ylabel "time (ms, log scale)"
set grid ytics
if (have_s1) {
	set style data histogram
	set style fill solid 0.6 border -1
	set xtics rotate by -35 noenhanced
	plot dir.'/bench-plot-s1.dat' using 2:xtic(1) notitle lc rgb "#4472c4", \
	     '' using ($0):($2*1.3):3 with labels notitle
} else {
	unset logscale y
	set label 1 "S1 was not run" at graph 0.5,0.5 center
	plot [0:1] [0:1] NaN notitle
	unset label 1
	set logscale y
}

unset style
set style data linespoints
set title "sweep\\_nr: time against chunks requested (half-full area)"
set xlabel "nr\\_requests (order-4 chunks)"
set xtics norotate auto
set key bottom right noenhanced
if (have_nr) {
	plot for [i=0:2] dir.'/bench-plot-nr.dat' index i using 1:2 \
	     with linespoints lw 2 pt 7 \
	     title word("bulk_fast bulk_normal cma_alloc_order4", i+1)
} else {
	unset logscale y
	set label 1 "sweep_nr was not run" at graph 0.5,0.5 center noenhanced
	plot [0:1] [0:1] NaN notitle
}
unset multiplot
