package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// The landing zone the generator fills, one file per source per day, as a nightly export
// would leave it:
//
//	raw/orders/orders-2024-03-01.csv         order lines with the customer's e-mail and card
//	raw/customers/customers-2024-03-01.jsonl customer snapshots (new or changed that day)
//
// Both carry malformed lines. The generator also keeps its own account of what a correct
// pipeline must produce (truth), computed without kindling.

var cities = []string{"Lisbon", "Porto", "Madrid", "Seville", "Lyon", "Nantes", "Turin", "Genoa"}

// firstDay is day 1 of the example.
var firstDay = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

type customerRow struct {
	id    int64
	name  string
	email string
	city  string
}

// truth is what the warehouse must hold after the runs up to a day.
type truth struct {
	validOrders    int64                 // order lines that parse, all days so far
	malformedLines int64                 // order and customer lines that do not, all days
	versions       int64                 // customer dimension rows: one per change of city
	customers      int64                 // distinct customers so far
	revenue        map[dayCity]cityTotal // the mart: by day and the customer's city that day
}

type dayCity struct{ day, city string }

type cityTotal struct {
	revenue float64
	orders  int64
}

// dayName is day n's date (n from 1).
func dayName(n int) string { return firstDay.AddDate(0, 0, n-1).Format(time.DateOnly) }

// generate writes the landing files of days 1..upTo that do not exist yet and returns the
// truth after day upTo. Each day's data depends only on the days before it, so a run of
// day 2 regenerates day 1's state without rewriting its files.
func generate(raw string, upTo, ordersPerDay int) (*truth, error) {
	for _, sub := range []string{"orders", "customers"} {
		if err := os.MkdirAll(filepath.Join(raw, sub), 0o755); err != nil {
			return nil, err
		}
	}
	t := &truth{revenue: map[dayCity]cityTotal{}}
	var people []customerRow
	for day := 1; day <= upTo; day++ {
		rng := rand.New(rand.NewPCG(uint64(day), 2024))
		// New customers arrive; a tenth of the known ones move.
		var changed []customerRow
		newOnes := 1500
		if day > 1 {
			newOnes = 150
		}
		for i := range people {
			if rng.IntN(10) == 0 {
				people[i].city = otherCity(rng, people[i].city)
				changed = append(changed, people[i])
				t.versions++
			}
		}
		for range newOnes {
			id := int64(len(people) + 1)
			c := customerRow{id: id, name: fmt.Sprintf("Customer %d", id), email: fmt.Sprintf("user%d@example.com", id), city: cities[rng.IntN(len(cities))]}
			people = append(people, c)
			changed = append(changed, c)
			t.versions++
		}
		t.customers = int64(len(people))
		cityOf := map[int64]string{}
		for _, c := range people {
			cityOf[c.id] = c.city
		}
		custBad, err := writeCustomers(raw, day, changed, rng)
		if err != nil {
			return nil, err
		}
		ordersOK, ordersBad, err := writeOrders(raw, day, people, cityOf, ordersPerDay, rng, t)
		if err != nil {
			return nil, err
		}
		t.validOrders += ordersOK
		t.malformedLines += custBad + ordersBad
	}
	return t, nil
}

func otherCity(rng *rand.Rand, city string) string {
	for {
		if c := cities[rng.IntN(len(cities))]; c != city {
			return c
		}
	}
}

// writeCustomers writes day's customer snapshots as JSON lines, with a few broken lines,
// and returns how many it broke. An existing file is left as it is (same content).
func writeCustomers(raw string, day int, rows []customerRow, rng *rand.Rand) (int64, error) {
	path := filepath.Join(raw, "customers", "customers-"+dayName(day)+".jsonl")
	var bad int64
	err := writeLines(path, func(w *bufio.Writer) {
		for i, c := range rows {
			if i%250 == 7 {
				bad++
				if rng.IntN(2) == 0 {
					fmt.Fprintf(w, "{\"customer_id\": %d, \"name\": \"truncated\n", c.id)
				} else {
					fmt.Fprintf(w, "{\"customer_id\": \"C-%d\", \"city\": \"nowhere\"}\n", c.id)
				}
			}
			fmt.Fprintf(w, "{\"customer_id\":%d,\"name\":%q,\"email\":%q,\"city\":%q,\"updated_at\":%q}\n",
				c.id, c.name, c.email, c.city, dayName(day)+" 06:00:00")
		}
	})
	return bad, err
}

// writeOrders writes day's order lines as CSV, with malformed lines, adding the valid
// ones to the mart's truth.
func writeOrders(raw string, day int, people []customerRow, cityOf map[int64]string, n int, rng *rand.Rand, t *truth) (ok, bad int64, err error) {
	path := filepath.Join(raw, "orders", "orders-"+dayName(day)+".csv")
	base := firstDay.AddDate(0, 0, day-1)
	err = writeLines(path, func(w *bufio.Writer) {
		fmt.Fprintln(w, "order_id,customer_id,order_ts,amount,email,card")
		for i := range n {
			id := int64(day)*1_000_000 + int64(i)
			c := people[rng.IntN(len(people))]
			ts := base.Add(time.Duration(rng.IntN(86400)) * time.Second).Format(time.DateTime)
			amount := math.Round((5+rng.Float64()*495)*100) / 100
			card := fmt.Sprintf("4%03d-%04d-%04d-%04d", rng.IntN(1000), rng.IntN(10000), rng.IntN(10000), rng.IntN(10000))
			switch {
			case i%997 == 13:
				fmt.Fprintf(w, "%d,%d,%s,n/a,%s,%s\n", id, c.id, ts, c.email, card)
				bad++
				continue
			case i%1499 == 5:
				fmt.Fprintf(w, "%d,%d,%s\n", id, c.id, ts)
				bad++
				continue
			}
			fmt.Fprintf(w, "%d,%d,%s,%.2f,%s,%s\n", id, c.id, ts, amount, c.email, card)
			ok++
			k := dayCity{dayName(day), cityOf[c.id]}
			tot := t.revenue[k]
			tot.revenue += amount
			tot.orders++
			t.revenue[k] = tot
		}
	})
	return ok, bad, err
}

// writeLines writes path through fill unless it exists: a landed file never changes (fill
// still runs, into nothing, so that the truth is counted the same either way).
func writeLines(path string, fill func(w *bufio.Writer)) error {
	if _, err := os.Stat(path); err == nil {
		fill(bufio.NewWriter(io.Discard))
		return nil
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp") // hidden from readers
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fill(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
