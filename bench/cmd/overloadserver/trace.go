package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"time"
)

var (
	traceFile = flag.String("trace", "", "write a runtime trace here (go tool trace), from -trace-after for -trace-for")
	traceAt   = flag.Duration("trace-after", 5*time.Second, "-trace: start this long after the server starts")
	traceFor  = flag.Duration("trace-for", 3*time.Second, "-trace: how long to trace")
	cpuProf   = flag.String("cpuprofile", "", "write a CPU profile here, over the same span as -trace")
)

// startTrace runs the -trace flags in the background.
func startTrace() {
	if *cpuProf != "" {
		go func() {
			time.Sleep(*traceAt)
			f, err := os.Create(*cpuProf)
			if err != nil {
				fmt.Fprintln(os.Stderr, "overloadserver: cpuprofile:", err)
				return
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "overloadserver: cpuprofile:", err)
				return
			}
			time.Sleep(*traceFor)
			pprof.StopCPUProfile()
		}()
	}
	if *traceFile == "" {
		return
	}
	go func() {
		time.Sleep(*traceAt)
		f, err := os.Create(*traceFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "overloadserver: trace:", err)
			return
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			fmt.Fprintln(os.Stderr, "overloadserver: trace:", err)
			return
		}
		time.Sleep(*traceFor)
		trace.Stop()
	}()
}
