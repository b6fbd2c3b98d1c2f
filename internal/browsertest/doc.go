// Package browsertest drives kindling's web UI in a real headless Chromium: every page
// loads without console errors, the stage DAG has the job's stages and the timeline every
// task; it also takes the screenshots the docs show.
//
// It is a module of its own so that the browser client (chromedp) never becomes a
// dependency of the library. It needs Debian's chromium package (or CHROMIUM naming a
// Chromium or Chrome binary); .ci/run installs it.
//
//	cd internal/browsertest && go test ./...
//	KINDLING_SCREENSHOTS=../../docs/ui go test ./...   # refresh the docs' screenshots
package browsertest
