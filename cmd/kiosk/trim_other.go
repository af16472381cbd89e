//go:build !(gocv && linux)

package main

// trimCHeap does nothing: without OpenCV the kiosk's C heap is the GUI toolkit's alone.
func trimCHeap() {}
