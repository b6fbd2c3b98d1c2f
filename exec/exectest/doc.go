// Package exectest is the test support of kindling's operators: replayable batch
// sources, batch builders from plain Go rows, row extraction for comparisons, fake and
// limited reservations, spill managers that prove they left no file behind, a
// plain-Go expression oracle, and RunTests, the conformance harness every operator goes
// through. Only tests import it.
package exectest
