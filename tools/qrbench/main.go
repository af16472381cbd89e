// Command qrbench measures QR decoding on the shared corpus: the scanner package (pure Go, and
// with the WeChat fallback in gocv builds) side by side with zxing-cpp and zbar from Debian,
// all fed the same grey planes in the same run, each timed in-process around the decode call
// only. It prints a Markdown table for docs/BENCHMARKS.md.
//
//	go run -tags gocv ./tools/qrbench -zxing /tmp/qrb/zxing_harness -zbar /tmp/qrb/zbar_harness
//
// With -analyze it instead runs every cascade step on its own over the corpus and prints what
// each one adds, which is how the default cascade was chosen.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("qrbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.corpus, "corpus", "", "corpus directory (default ../shared/corpus/qr)")
	fs.StringVar(&cfg.zxing, "zxing", "", "zxing-cpp harness binary (built by scripts/bench-decode.sh); empty skips it")
	fs.StringVar(&cfg.zbar, "zbar", "", "zbar harness binary; empty skips it")
	fs.IntVar(&cfg.reps, "reps", 1, "decode each image this many times and keep the fastest (all engines)")
	fs.BoolVar(&cfg.analyze, "analyze", false, "measure each cascade step on its own instead of benchmarking")
	fs.StringVar(&cfg.steps, "steps", "", "comma-separated steps for -analyze (default: all)")
	fs.BoolVar(&cfg.verbose, "v", false, "list every image that an engine misses or misreads")
	fs.StringVar(&cfg.sets, "sets", "text,boofcv", "which corpus parts: text, boofcv")
	fs.BoolVar(&cfg.wechatAlone, "wechat-alone", false, "gocv builds: also measure OpenCV's WeChat decoder by itself (slow)")
	fs.BoolVar(&cfg.gaps, "gaps", false, "list the images zxing-cpp reads and each scanner build does not, and each build's slowest images")
	fs.StringVar(&cfg.dump, "dump", "", "write one CSV line per engine and image (engine,set,name,ms,read,step) to this file")
	fs.StringVar(&cfg.cascade, "cascade", "", "benchmark only these cascades (steps separated by commas, cascades by semicolons; with the fallback in gocv builds) besides the peers")
	fs.StringVar(&cfg.only, "only", "", "only the images whose set/name ends with one of these (comma-separated, e.g. lots/image001), to time a few images against the peers")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "qrbench: unexpected arguments:", fs.Args())
		return 2
	}
	if err := bench(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "qrbench:", err)
		return 1
	}
	return 0
}
