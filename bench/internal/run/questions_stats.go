package run

import "github.com/kindling-data/kindling/dataset"

func q6() Question {
	return Question{Name: "q6", Desc: "median v3 sd v3 by id4:id5", SQL: q6SQL, Check: []string{"median_v3", "sd_v3"},
		Kindling: func(in Inputs) *dataset.Dataset {
			return in.X.GroupBy("id4", "id5").Agg(dataset.Median("v3").As("median_v3"), dataset.Stddev("v3").As("sd_v3"))
		}}
}

func q8() Question {
	return Question{Name: "q8", Desc: "largest two v3 by id6", SQL: q8SQL, Check: []string{"largest2_v3"},
		Kindling: func(in Inputs) *dataset.Dataset {
			return in.X.GroupBy("id6").TopK("v3", 2).Rename("v3", "largest2_v3")
		}}
}

func q9() Question {
	return Question{Name: "q9", Desc: "regression v1 v2 by id2:id4", SQL: q9SQL, Check: []string{"r2"},
		Kindling: func(in Inputs) *dataset.Dataset {
			return in.X.GroupBy("id2", "id4").Agg(dataset.Corr("v1", "v2").As("r")).
				Select(col("id2"), col("id4"), col("r").Mul(col("r")).As("r2"))
		}}
}
