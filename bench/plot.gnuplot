# Renders auditlog-bench's plot data (written by `auditlog-bench --plot FILE.png`).
#   gnuplot -e "datafile='bench.dat'; outfile='bench.png'" plot.gnuplot
# The data file has two blocks (index 0: durable calls, index 1: Emit until Flush), each a
# table: producers, then events/s of one series per column (first row: the series titles).
if (!exists("datafile")) datafile = 'bench.dat'
if (!exists("outfile")) outfile = 'bench.png'

set terminal pngcairo size 1500,760 font ",10" noenhanced
set output outfile
set datafile missing "?"
set logscale xy
set xtics ("1" 1, "4" 4, "32" 32)
set xrange [0.8:40]
set format y "%.0s%c"
set grid ytics mytics xtics
set key outside below left Left reverse maxrows 4 font ",9"
set xlabel "producer threads"
set ylabel "events/s (first call until durable)"
set style line 1 lc rgb "#1f77b4" lw 2 pt 7
set style line 2 lc rgb "#2ca02c" lw 2 pt 7
set style line 3 lc rgb "#d62728" lw 2 pt 7
set style line 4 lc rgb "#1f77b4" lw 1.5 dt 2 pt 6
set style line 5 lc rgb "#2ca02c" lw 1.5 dt 2 pt 6
set style line 6 lc rgb "#d62728" lw 1.5 dt 2 pt 6
set style line 7 lc rgb "#9467bd" lw 2 dt 4 pt 5

set multiplot layout 1,2 title "auditlog-bench: events/s vs producers (solid: auditlog; dashed: seed-style writer)"

set title "EmitDurable: each producer waits until its event is fsync'ed"
# Columns: producers, auditlog x3, seed Immediate, raw fsync rate, raw rate with busy CPUs.
plot for [i=2:4] datafile index 0 using 1:i with linespoints ls (i-1) title columnheader(i), \
     datafile index 0 using 1:5 with linespoints ls 4 title columnheader(5), \
     datafile index 0 using 1:6 with lines lc rgb "black" dt 3 lw 1.5 title columnheader(6), \
     datafile index 0 using 1:7 with lines lc rgb "gray50" dt 3 lw 1.5 title columnheader(7)

set title "Emit, then Flush: throughput into the log (spdlog: no fsync)"
# Columns: producers, auditlog x3, seed x3, spdlog.
plot for [i=2:4] datafile index 1 using 1:i with linespoints ls (i-1) title columnheader(i), \
     for [i=5:7] datafile index 1 using 1:i with linespoints ls (i-1) title columnheader(i), \
     datafile index 1 using 1:8 with linespoints ls 7 title columnheader(8)

unset multiplot
