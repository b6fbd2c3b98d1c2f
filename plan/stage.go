package plan

// Stage is a pipeline of narrow operators that runs as one task per partition. Its leaves
// are PScan or PShuffleRead nodes; it ends either in a shuffle write (a map stage, Output
// non-nil) or in the job's result (the last stage, Output nil).
type Stage struct {
	ID int
	// Root is the top of the stage's pipeline. For a map stage it is the input of the
	// exchange the stage feeds.
	Root PhysNode
	// Output is the partitioning of the shuffle this stage writes, nil for the result stage.
	Output *Partitioning
	// ShuffleID identifies the shuffle written by a map stage (equal to ID for map stages).
	ShuffleID int
	// Parents are the IDs of the stages whose shuffles this stage reads.
	Parents []int
}

// NumPartitions is the number of tasks the stage runs.
func (s *Stage) NumPartitions() int { return s.Root.NumPartitions() }
