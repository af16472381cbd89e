// Package scanner turns what a checkpoint station sees into code text: frames from a webcam, a
// video file or an image file go through a Decoder (gozxing over the grey plane, a cascade of
// binarizers and scales, and in gocv builds OpenCV's WeChat decoder as a fallback); a
// keyboard-wedge barcode scanner's keystrokes go through a Wedge burst detector. A Pipeline
// runs a Source through the Decoder and a Dedupe window and hands each new Scan to a callback.
//
// The OpenCV parts (cameras, video files, the WeChat fallback) need the build tag "gocv"; without
// it images and keyboard-wedge scanners still work and the camera functions return
// ErrNoCamera.
package scanner
