//go:build gocv && linux

package main

/*
#include <malloc.h>
*/
import "C"

// trimCHeap hands the C heap's free pages back to the system (glibc's malloc_trim walks every
// arena): OpenCV's decoder and the WeChat fallback allocate and free whole-frame buffers on
// several threads, and glibc keeps what they freed resident. About 4 MB over a shift.
func trimCHeap() { C.malloc_trim(0) }
