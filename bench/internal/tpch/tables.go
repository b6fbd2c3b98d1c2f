package tpch

import (
	"path/filepath"

	"github.com/kindling-data/kindling/dataset"
)

// Tables are the eight TPC-H tables as datasets.
type Tables struct {
	Lineitem, Orders, Customer, Part, Partsupp, Supplier, Nation, Region *dataset.Dataset
}

// Open opens the tables Generate wrote under dir with ReadParquet (default settings).
// With persist, each is persisted in memory (MemoryAndDisk): the first query that reads
// a table caches it, later ones read the cache.
func Open(s *dataset.Session, dir string, persist bool) Tables {
	read := func(name string) *dataset.Dataset {
		d := s.ReadParquet(filepath.Join(dir, name))
		if persist {
			d = d.Persist(dataset.MemoryAndDisk)
		}
		return d
	}
	return Tables{
		Lineitem: read("lineitem"), Orders: read("orders"), Customer: read("customer"), Part: read("part"),
		Partsupp: read("partsupp"), Supplier: read("supplier"), Nation: read("nation"), Region: read("region"),
	}
}

// Unpersist drops the tables' cached partitions.
func (t Tables) Unpersist() {
	for _, d := range []*dataset.Dataset{t.Lineitem, t.Orders, t.Customer, t.Part, t.Partsupp, t.Supplier, t.Nation, t.Region} {
		if d != nil {
			d.Unpersist()
		}
	}
}
