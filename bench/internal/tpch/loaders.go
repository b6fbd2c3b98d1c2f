package tpch

import (
	"fmt"

	"github.com/pingcap/go-tpc/tpch/dbgen"
)

// The loaders receive dbgen's rows (pointers to its structs) and append them to the
// sinks. dbgen's integer fields have an unexported type; int64() converts them.

type regionLoader struct{ *sink }

func (l regionLoader) Load(item any) error {
	r := item.(*dbgen.Region)
	l.i(0, int64(r.Code))
	l.s(1, r.Text)
	l.s(2, r.Comment)
	return l.endRow()
}

type nationLoader struct{ *sink }

func (l nationLoader) Load(item any) error {
	n := item.(*dbgen.Nation)
	l.i(0, int64(n.Code))
	l.s(1, n.Text)
	l.i(2, int64(n.Join))
	l.s(3, n.Comment)
	return l.endRow()
}

type suppLoader struct{ *sink }

func (l suppLoader) Load(item any) error {
	if !l.more() {
		return errLimit
	}
	s := item.(*dbgen.Supp)
	l.i(0, int64(s.SuppKey))
	l.s(1, s.Name)
	l.s(2, s.Address)
	l.i(3, int64(s.NationCode))
	l.s(4, s.Phone)
	l.m(5, int64(s.Acctbal))
	l.s(6, s.Comment)
	return l.endRow()
}

type custLoader struct{ *sink }

func (l custLoader) Load(item any) error {
	if !l.more() {
		return errLimit
	}
	c := item.(*dbgen.Cust)
	l.i(0, int64(c.CustKey))
	l.s(1, c.Name)
	l.s(2, c.Address)
	l.i(3, int64(c.NationCode))
	l.s(4, c.Phone)
	l.m(5, int64(c.Acctbal))
	l.s(6, c.MktSegment)
	l.s(7, c.Comment)
	return l.endRow()
}

type partLoader struct{ *sink }

func (l partLoader) Load(item any) error {
	if !l.more() {
		return errLimit
	}
	p := item.(*dbgen.Part)
	l.i(0, int64(p.PartKey))
	l.s(1, p.Name)
	l.s(2, p.Mfgr)
	l.s(3, p.Brand)
	l.s(4, p.Type)
	l.i(5, int64(p.Size))
	l.s(6, p.Container)
	l.m(7, int64(p.RetailPrice))
	l.s(8, p.Comment)
	return l.endRow()
}

type psuppLoader struct {
	g *generator
	*sink
}

func (l psuppLoader) Load(item any) error {
	p := item.(*dbgen.Part)
	for i, ps := range p.S {
		supp := int64(ps.SuppKey)
		if l.g.foldSupplier {
			supp = bridge(int64(ps.PartKey), int64(i), l.g.supp)
		}
		l.i(0, int64(ps.PartKey))
		l.i(1, supp)
		l.i(2, int64(ps.Qty))
		l.m(3, int64(ps.SCost))
		l.s(4, ps.Comment)
		if err := l.endRow(); err != nil {
			return err
		}
	}
	return nil
}

type orderLoader struct {
	g *generator
	*sink
}

func (l orderLoader) Load(item any) error {
	if !l.more() {
		return errLimit
	}
	o := item.(*dbgen.Order)
	cust := int64(o.CustKey)
	if l.g.foldCustomers {
		cust = (cust-1)%l.g.cust + 1
	}
	l.i(0, int64(o.OKey))
	l.i(1, cust)
	l.s(2, string(o.Status))
	l.m(3, int64(o.TotalPrice))
	if err := l.d(4, o.Date); err != nil {
		return err
	}
	l.s(5, o.OrderPriority)
	l.s(6, o.Clerk)
	l.i(7, o.ShipPriority)
	l.s(8, o.Comment)
	return l.endRow()
}

type lineLoader struct {
	g *generator
	*sink
}

func (l lineLoader) Load(item any) error {
	o := item.(*dbgen.Order)
	for _, li := range o.Lines {
		supp := int64(li.SuppKey)
		if l.g.foldSupplier {
			n, err := suppNumber(int64(li.PartKey), supp, l.g.suppAll)
			if err != nil {
				return err
			}
			supp = bridge(int64(li.PartKey), n, l.g.supp)
		}
		l.i(0, int64(li.OKey))
		l.i(1, int64(li.PartKey))
		l.i(2, supp)
		l.i(3, int64(li.LCnt))
		l.m(4, int64(li.Quantity)*100)
		l.m(5, int64(li.EPrice))
		l.m(6, int64(li.Discount))
		l.m(7, int64(li.Tax))
		l.s(8, string(li.RFlag))
		l.s(9, string(li.LStatus))
		for c, d := range []string{li.SDate, li.CDate, li.RDate} {
			if err := l.d(10+c, d); err != nil {
				return err
			}
		}
		l.s(13, li.ShipInstruct)
		l.s(14, li.ShipMode)
		l.s(15, li.Comment)
		if err := l.endRow(); err != nil {
			return err
		}
	}
	return nil
}

// bridge is dbgen's partSuppBridge: the key of part p's supplier number s (0..3) among
// supps suppliers.
func bridge(p, s, supps int64) int64 {
	const suppPerPart = 4
	return (p+s*(supps/suppPerPart+(p-1)/supps))%supps + 1
}

// suppNumber finds which of part p's four suppliers (among supps) supp is.
func suppNumber(p, supp, supps int64) (int64, error) {
	for s := int64(0); s < 4; s++ {
		if bridge(p, s, supps) == supp {
			return s, nil
		}
	}
	return 0, fmt.Errorf("tpch: supplier %d is none of part %d's", supp, p)
}
