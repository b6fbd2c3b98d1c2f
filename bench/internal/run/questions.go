package run

import (
	"github.com/kindling-data/kindling/dataset"
)

// Inputs are the datasets a question reads: X for group-by questions; X, Small, Medium
// and Big for join questions.
type Inputs struct {
	X, Small, Medium, Big *dataset.Dataset
}

// Question is one benchmark question in both engines.
type Question struct {
	Name string // q1..q10 (group-by), j1..j5 (join)
	Desc string
	// SQL is DuckDB's query (db-benchmark's); the harness runs CREATE TABLE ans AS SQL.
	SQL string
	// Check lists the result columns whose sums are compared (with the row count).
	Check []string
	// Kindling builds the question on kindling's inputs; nil while the API it needs is
	// pending.
	Kindling func(in Inputs) *dataset.Dataset
}

// Pending reports whether the kindling side of q cannot run yet.
func (q Question) Pending() bool { return q.Kindling == nil }

var (
	sum   = dataset.Sum
	mean  = dataset.Mean
	col   = dataset.Col
	inner = dataset.Inner
)

// GroupByQuestions are db-benchmark's ten group-by questions.
func GroupByQuestions() []Question {
	return []Question{
		{Name: "q1", Desc: "sum v1 by id1",
			SQL:   "SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1",
			Check: []string{"v1"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.GroupBy("id1").Agg(sum("v1").As("v1"))
			}},
		{Name: "q2", Desc: "sum v1 by id1:id2",
			SQL:   "SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2",
			Check: []string{"v1"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.GroupBy("id1", "id2").Agg(sum("v1").As("v1"))
			}},
		{Name: "q3", Desc: "sum v1 mean v3 by id3",
			SQL:   "SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3",
			Check: []string{"v1", "v3"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.GroupBy("id3").Agg(sum("v1").As("v1"), mean("v3").As("v3"))
			}},
		{Name: "q4", Desc: "mean v1:v3 by id4",
			SQL:   "SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4",
			Check: []string{"v1", "v2", "v3"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.GroupBy("id4").Agg(mean("v1").As("v1"), mean("v2").As("v2"), mean("v3").As("v3"))
			}},
		{Name: "q5", Desc: "sum v1:v3 by id6",
			SQL:   "SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6",
			Check: []string{"v1", "v2", "v3"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.GroupBy("id6").Agg(sum("v1").As("v1"), sum("v2").As("v2"), sum("v3").As("v3"))
			}},
		q6(),
		{Name: "q7", Desc: "max v1 - min v2 by id3",
			SQL:   "SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM x GROUP BY id3",
			Check: []string{"range_v1_v2"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.GroupBy("id3").Agg(dataset.Max("v1").As("max_v1"), dataset.Min("v2").As("min_v2")).
					Select(col("id3"), col("max_v1").Sub(col("min_v2")).As("range_v1_v2"))
			}},
		q8(),
		q9(),
		{Name: "q10", Desc: "sum v3 count by id1:id6",
			SQL:   "SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count FROM x GROUP BY id1, id2, id3, id4, id5, id6",
			Check: []string{"v3", "count"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.GroupBy("id1", "id2", "id3", "id4", "id5", "id6").Agg(sum("v3").As("v3"), dataset.Count().As("count"))
			}},
	}
}

// JoinQuestions are db-benchmark's five join questions. kindling keeps every column of
// both sides (the right side's key columns once, clashing names with the suffix
// "_right"); DuckDB selects db-benchmark's columns. The check compares the row count and
// the sums of v1 and v2, which both have.
func JoinQuestions() []Question {
	const medium = "x.*, medium.id1 AS medium_id1, medium.id4 AS medium_id4, medium.id5 AS medium_id5, v2"
	return []Question{
		{Name: "j1", Desc: "small inner on int",
			SQL:   "SELECT x.*, small.id4 AS small_id4, v2 FROM x JOIN small USING (id1)",
			Check: []string{"v1", "v2"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.Join(in.Small, dataset.On("id1"), inner)
			}},
		{Name: "j2", Desc: "medium inner on int",
			SQL:   "SELECT " + medium + " FROM x JOIN medium USING (id2)",
			Check: []string{"v1", "v2"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.Join(in.Medium, dataset.On("id2"), inner)
			}},
		{Name: "j3", Desc: "medium outer on int",
			SQL:   "SELECT " + medium + " FROM x LEFT JOIN medium USING (id2)",
			Check: []string{"v1", "v2"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.Join(in.Medium, dataset.On("id2"), dataset.LeftOuter)
			}},
		{Name: "j4", Desc: "medium inner on factor",
			SQL:   "SELECT x.*, medium.id1 AS medium_id1, medium.id2 AS medium_id2, medium.id4 AS medium_id4, v2 FROM x JOIN medium USING (id5)",
			Check: []string{"v1", "v2"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.Join(in.Medium, dataset.On("id5"), inner)
			}},
		{Name: "j5", Desc: "big inner on int",
			SQL:   "SELECT x.*, big.id1 AS big_id1, big.id2 AS big_id2, big.id4 AS big_id4, big.id5 AS big_id5, big.id6 AS big_id6, v2 FROM x JOIN big USING (id3)",
			Check: []string{"v1", "v2"},
			Kindling: func(in Inputs) *dataset.Dataset {
				return in.X.Join(in.Big, dataset.On("id3"), inner)
			}},
	}
}
