package dataset

import (
	"strings"
	"testing"
	"time"
)

func TestPlanUnitsRefusesExpectations(t *testing.T) {
	_, d := idSession(t, Config{DisableAdaptive: true}, 100, 2)
	u, err := PlanUnits(d, "collect", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Stages) == 0 || u.Fingerprint == "" {
		t.Fatalf("PlanUnits planned nothing: %+v", u)
	}
	_, err = PlanUnits(d.Expect(Fail, RowCountBetween("rows", 1, 1000)), "collect", time.Now())
	if err == nil || !strings.Contains(err.Error(), "expectations") {
		t.Fatalf("PlanUnits of an expecting dataset: err = %v, want a refusal naming expectations", err)
	}
}
