package iceberg

// SetMergeGroups makes Merge tag its candidate files in at most n groups, so that a
// test reaches the grouping of many files with few; the returned function restores it.
func SetMergeGroups(n int) (restore func()) {
	old := mergeGroups
	mergeGroups = n
	return func() { mergeGroups = old }
}
