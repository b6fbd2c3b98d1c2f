// Package gcstest reads kindling's inputs from and writes its tables to Cloud Storage
// (gs:// paths) served by fake-gcs-server in the test process. It is a module of its own so that the fake
// server's dependencies (Google's storage client among them) never become kindling's.
package gcstest
