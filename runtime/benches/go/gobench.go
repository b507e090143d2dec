// The Go side of `cargo bench -p gort --bench vs_go`: the same workloads as
// runtime/benches/vs_go.rs, written the way a Go programmer would write them.
//
// Build once and run one workload per invocation (no go.mod needed, standard library only):
//
//	go build -o /tmp/gobench runtime/benches/go/gobench.go
//	/tmp/gobench -procs 2 -reps 5 spawn 100000
//	/tmp/gobench -procs 2 parked 30000
//	/tmp/gobench -procs 2 -reps 5 pingpong 100000
//	/tmp/gobench -procs 2 -reps 5 ring 1000 100
//	/tmp/gobench -procs 2 -reps 5 pool 8 1000000 1024
//	/tmp/gobench -procs 2 -reps 5 mutex 100 10000
//	/tmp/gobench -procs 2 -reps 5 sleep 10000 100
//	/tmp/gobench -procs 2 all
//
// Each workload prints one line of space-separated key=value pairs, starting with
// workload=NAME; `value` is the figure to compare, in `unit`. Timed workloads run once to warm
// up, then -reps times, and report the median (as the Rust side does). The memory workload
// (parked) measures once: run it in a fresh process.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

var reps = flag.Int("reps", 5, "timed runs after one warm-up; the median is reported")

// median runs f once to warm up, then *reps times, and returns the median wall time.
func median(f func()) time.Duration {
	f()
	times := make([]time.Duration, *reps)
	for i := range times {
		start := time.Now()
		f()
		times[i] = time.Since(start)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2]
}

func report(workload string, value float64, unit string, total time.Duration, extra string) {
	fmt.Printf("workload=%s value=%.3f unit=%s total_ns=%d procs=%d go=%s%s\n",
		workload, value, unit, total.Nanoseconds(), runtime.GOMAXPROCS(0), runtime.Version(), extra)
}

// spawn: main starts n goroutines that do nothing but wg.Done, then waits for them.
func spawn(n int) {
	t := median(func() {
		var wg sync.WaitGroup
		wg.Add(n)
		for i := 0; i < n; i++ {
			go func() { wg.Done() }()
		}
		wg.Wait()
	})
	report("spawn", float64(t.Nanoseconds())/float64(n), "ns/goroutine", t, fmt.Sprintf(" n=%d", n))
}

// procStatus returns a field of /proc/self/status in bytes (VmRSS, VmPTE, ...).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, field+":") {
			fields := strings.Fields(line[len(field)+1:])
			kb, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				return -1
			}
			return kb * 1024
		}
	}
	return -1
}

// parked: n goroutines blocked on one channel receive; the RSS delta per goroutine.
func parked(n int) {
	ch := make(chan struct{})
	var started, exited sync.WaitGroup
	started.Add(n)
	exited.Add(n)
	runtime.GC()
	debug.FreeOSMemory()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	rss0, pte0 := procStatus("VmRSS"), procStatus("VmPTE")
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			<-ch
			exited.Done()
		}()
	}
	started.Wait()
	elapsed := time.Since(start)
	time.Sleep(50 * time.Millisecond) // every goroutine is now blocked in <-ch
	rss1, pte1 := procStatus("VmRSS"), procStatus("VmPTE")
	runtime.ReadMemStats(&ms1)
	close(ch)
	exited.Wait()
	per := float64(rss1-rss0) / float64(n)
	report("parked", per, "B/goroutine", elapsed, fmt.Sprintf(
		" n=%d rss_before=%d rss_after=%d stack_inuse_per=%.0f heap_inuse_per=%.0f pte_per=%.0f",
		n, rss0, rss1,
		float64(ms1.StackInuse-ms0.StackInuse)/float64(n),
		float64(int64(ms1.HeapInuse)-int64(ms0.HeapInuse))/float64(n),
		float64(pte1-pte0)/float64(n)))
}

// pingpong: main and one goroutine exchange rounds round trips over two unbuffered channels.
func pingpong(rounds int) {
	t := median(func() {
		ping, pong := make(chan int), make(chan int)
		done := make(chan struct{})
		go func() {
			for v := range ping {
				pong <- v + 1
			}
			close(done)
		}()
		v := 0
		for i := 0; i < rounds; i++ {
			ping <- v
			v = <-pong
		}
		close(ping)
		<-done
		if v != rounds {
			panic("pingpong: lost a message")
		}
	})
	report("pingpong", float64(t.Nanoseconds())/float64(rounds), "ns/roundtrip", t,
		fmt.Sprintf(" rounds=%d", rounds))
}

// ring: n goroutines in a ring of unbuffered channels; main is node 0 and sends the token
// round laps times. ns per hop (laps * n hops).
func ring(n, laps int) {
	t := median(func() {
		chans := make([]chan int, n)
		for i := range chans {
			chans[i] = make(chan int)
		}
		var wg sync.WaitGroup
		wg.Add(n - 1)
		for i := 1; i < n; i++ {
			in, out := chans[i-1], chans[i]
			go func() {
				for v := range in {
					out <- v + 1
				}
				close(out)
				wg.Done()
			}()
		}
		v := 0
		for lap := 0; lap < laps; lap++ {
			chans[0] <- v
			v = <-chans[n-1]
		}
		close(chans[0])
		for range chans[n-1] {
		}
		wg.Wait()
		if v != laps*(n-1) {
			panic("ring: lost a hop")
		}
	})
	hops := laps * n
	report("ring", float64(t.Nanoseconds())/float64(hops), "ns/hop", t,
		fmt.Sprintf(" n=%d laps=%d", n, laps))
}

// pool: a producer sends jobs 0..jobs-1 on a buffered channel, workers square them onto a
// buffered results channel, main sums the results. Total time.
func pool(workers, jobs, capacity int) {
	t := median(func() {
		jobCh := make(chan uint64, capacity)
		results := make(chan uint64, capacity)
		go func() {
			for i := 0; i < jobs; i++ {
				jobCh <- uint64(i)
			}
			close(jobCh)
		}()
		var wg sync.WaitGroup
		wg.Add(workers)
		for w := 0; w < workers; w++ {
			go func() {
				for j := range jobCh {
					results <- j * j
				}
				wg.Done()
			}()
		}
		go func() {
			wg.Wait()
			close(results)
		}()
		var sum uint64
		for r := range results {
			sum += r
		}
		var want uint64
		for i := 0; i < jobs; i++ {
			want += uint64(i) * uint64(i)
		}
		if sum != want {
			panic("pool: wrong sum")
		}
	})
	report("pool", float64(t.Nanoseconds())/1e6, "ms", t,
		fmt.Sprintf(" workers=%d jobs=%d cap=%d ns_per_job=%.1f", workers, jobs, capacity,
			float64(t.Nanoseconds())/float64(jobs)))
}

// mutex: g goroutines each increment a shared counter iters times under one sync.Mutex.
func mutex(g, iters int) {
	t := median(func() {
		var mu sync.Mutex
		counter := 0
		var wg sync.WaitGroup
		wg.Add(g)
		for i := 0; i < g; i++ {
			go func() {
				for k := 0; k < iters; k++ {
					mu.Lock()
					counter++
					mu.Unlock()
				}
				wg.Done()
			}()
		}
		wg.Wait()
		if counter != g*iters {
			panic("mutex: lost an update")
		}
	})
	report("mutex", float64(t.Nanoseconds())/1e6, "ms", t,
		fmt.Sprintf(" goroutines=%d iters=%d ns_per_op=%.1f", g, iters,
			float64(t.Nanoseconds())/float64(g*iters)))
}

// sleep: n goroutines each sleep d; wall time from the first spawn to the last Done.
func sleep(n int, d time.Duration) {
	t := median(func() {
		var wg sync.WaitGroup
		wg.Add(n)
		for i := 0; i < n; i++ {
			go func() {
				time.Sleep(d)
				wg.Done()
			}()
		}
		wg.Wait()
	})
	report("sleep", float64(t.Nanoseconds())/1e6, "ms", t,
		fmt.Sprintf(" n=%d sleep_ms=%d", n, d.Milliseconds()))
}

func arg(i int, def int) int {
	if flag.NArg() <= i {
		return def
	}
	v, err := strconv.Atoi(flag.Arg(i))
	if err != nil {
		fmt.Fprintf(os.Stderr, "gobench: argument %q is not a number\n", flag.Arg(i))
		os.Exit(2)
	}
	return v
}

func main() {
	procs := flag.Int("procs", runtime.NumCPU(), "GOMAXPROCS")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	which := flag.Arg(0)
	switch which {
	case "spawn":
		spawn(arg(1, 100000))
	case "parked":
		parked(arg(1, 30000))
	case "pingpong":
		pingpong(arg(1, 100000))
	case "ring":
		ring(arg(1, 1000), arg(2, 100))
	case "pool":
		pool(arg(1, 8), arg(2, 1000000), arg(3, 1024))
	case "mutex":
		mutex(arg(1, 100), arg(2, 10000))
	case "sleep":
		sleep(arg(1, 10000), time.Duration(arg(2, 100))*time.Millisecond)
	case "all": // parked first, while the process is fresh
		parked(30000)
		spawn(100000)
		pingpong(100000)
		ring(1000, 100)
		pool(8, 1000000, 1024)
		mutex(100, 10000)
		sleep(10000, 100*time.Millisecond)
	default:
		fmt.Fprintln(os.Stderr,
			"usage: gobench [-procs N] [-reps N] spawn|parked|pingpong|ring|pool|mutex|sleep|all [args]")
		os.Exit(2)
	}
}
