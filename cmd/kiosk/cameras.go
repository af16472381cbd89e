package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/yongji-county/checkpoint/scanner"
)

func init() {
	register("cameras", "list the cameras attached to this station", runCameras)
}

func runCameras(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cameras", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: kiosk cameras")
			return 0
		}
		fmt.Fprintf(stderr, "kiosk cameras: %v (usage: kiosk cameras)\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "kiosk cameras: takes no arguments (usage: kiosk cameras)")
		return 2
	}
	cams, err := scanner.ListCameras(ctx)
	if errors.Is(err, scanner.ErrNoCamera) {
		fmt.Fprintln(stderr, "kiosk cameras: 此版本不支持摄像头 this build has no camera support (rebuild with -tags gocv)")
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "kiosk cameras: %v\n", err)
		return 1
	}
	if len(cams) == 0 {
		fmt.Fprintln(stdout, "未发现摄像头 none: no camera found")
		return 0
	}
	for _, c := range cams {
		state := "cannot be opened (busy or not a capture device)"
		if c.Usable {
			state = fmt.Sprintf("%dx%d", c.Width, c.Height)
			if c.FPS > 0 {
				state += fmt.Sprintf(" @ %.0f fps", c.FPS)
			}
		}
		fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\n", c.Index, c.Path, c.Name, state)
	}
	return 0
}
