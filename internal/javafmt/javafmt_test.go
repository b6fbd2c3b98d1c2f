package javafmt

import (
	"math"
	"strings"
	"testing"
)

func i(v int64) Value   { return Value{Kind: Int, I: v} }
func f(v float64) Value { return Value{Kind: Float, F: v} }
func s(v string) Value  { return Value{Kind: String, S: []byte(v)} }
func b(v bool) Value    { return Value{Kind: Bool, B: v} }

var null = Value{}

// TestAgainstJava: the expected strings are java.util.Formatter's outputs
// (String.format(Locale.US, ...)), written out by hand.
func TestAgainstJava(t *testing.T) {
	for _, c := range []struct {
		format string
		args   []Value
		want   string
	}{
		{"%d", []Value{i(42)}, "42"},
		{"%5d|", []Value{i(42)}, "   42|"},
		{"%-5d|", []Value{i(42)}, "42   |"},
		{"%05d", []Value{i(-42)}, "-0042"},
		{"%,d", []Value{i(1234567)}, "1,234,567"},
		{"%,d", []Value{i(-1234)}, "-1,234"},
		{"%,d", []Value{i(123)}, "123"},
		{"%+d % d", []Value{i(5), i(5)}, "+5  5"},
		{"%(d", []Value{i(-5)}, "(5)"},
		{"%(8d|", []Value{i(-5)}, "     (5)|"},
		{"%(08d", []Value{i(-5)}, "(000005)"},
		{"%d", []Value{i(math.MinInt64)}, "-9223372036854775808"},
		{"%x %X %#x", []Value{i(255), i(255), i(255)}, "ff FF 0xff"},
		{"%08x %#010x", []Value{i(255), i(255)}, "000000ff 0x000000ff"},
		{"%x", []Value{i(-1)}, "ffffffffffffffff"},
		{"%o %#o", []Value{i(8), i(8)}, "10 010"},
		{"%f", []Value{f(3.14159)}, "3.141590"},
		{"%.2f", []Value{f(2.675)}, "2.68"},
		{"%.2f", []Value{f(0.125)}, "0.13"},
		{"%.0f %.0f %.0f", []Value{f(0.5), f(1.5), f(2.5)}, "1 2 3"},
		{"%10.3f|", []Value{f(-3.14159)}, "    -3.142|"},
		{"%-10.1f|", []Value{f(2)}, "2.0       |"},
		{"%,.2f", []Value{f(1234567.891)}, "1,234,567.89"},
		{"%010.2f", []Value{f(-3.5)}, "-000003.50"},
		{"%(.2f", []Value{f(-3.5)}, "(3.50)"},
		{"%+.1f", []Value{f(0)}, "+0.0"},
		{"%.1f", []Value{f(math.Copysign(0, -1))}, "-0.0"},
		{"%.3f", []Value{f(1e-10)}, "0.000"},
		{"%.20f", []Value{f(0.1)}, "0.10000000000000000000"},
		{"%.1f %.1f", []Value{f(0.05), f(0.04)}, "0.1 0.0"},
		{"%.2f", []Value{f(99.999)}, "100.00"},
		{"%f", []Value{f(1e20)}, "100000000000000000000.000000"},
		{"%f %f %f", []Value{f(math.NaN()), f(math.Inf(1)), f(math.Inf(-1))}, "NaN Infinity -Infinity"},
		{"%08f|", []Value{f(math.Inf(-1))}, "-Infinity|"},
		{"%e", []Value{f(12345.678)}, "1.234568e+04"},
		{"%.2e", []Value{f(0.000123)}, "1.23e-04"},
		{"%E", []Value{f(1.5)}, "1.500000E+00"},
		{"%e", []Value{f(0)}, "0.000000e+00"},
		{"%.0e", []Value{f(5.5)}, "6e+00"},
		{"%12.3e|", []Value{f(1234.5)}, "   1.235e+03|"},
		{"%e", []Value{f(1e100)}, "1.000000e+100"},
		{"%.1e", []Value{f(9.96)}, "1.0e+01"},
		{"%s", []Value{s("héllo")}, "héllo"},
		{"%.3s", []Value{s("héllo")}, "hél"},
		{"%8s|%-4s|", []Value{s("ab"), s("ab")}, "      ab|ab  |"},
		{"%S", []Value{s("straße")}, "STRASSE"},
		{"%s %d %f %c", []Value{null, null, null, null}, "null null null null"},
		{"%b %b %b %B", []Value{null, s("x"), b(false), b(true)}, "false true false TRUE"},
		{"%s %s %s %s", []Value{f(1), f(1e7), f(0.001), f(1e-4)}, "1.0 1.0E7 0.001 1.0E-4"},
		{"%s %s %s", []Value{i(123), b(true), f(-2.5)}, "123 true -2.5"},
		{"%c%c|%-3c|%C", []Value{i(65), i(0x1F600), i(65), i(97)}, "A😀|A  |A"},
		{"100%% %5%|%n", nil, "100% " + "    %|\n"},
		{"%2$s %1$s", []Value{s("a"), s("b")}, "b a"},
		{"%s %<s", []Value{s("a")}, "a a"},
		{"%1$s %s %s", []Value{s("a"), s("b")}, "a a b"},
		{"", nil, ""},
		{"no conversions ünï", nil, "no conversions ünï"},
	} {
		fm, err := Parse(c.format)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.format, err)
			continue
		}
		got, _, err := fm.Append(nil, nil, c.args)
		if err != nil {
			t.Errorf("%q: %v", c.format, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%q: got %q, want %q", c.format, got, c.want)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct{ format, want string }{
		{"%q", "unsupported conversion"},
		{"%-d", "without a width"},
		{"%.2d", "precision"},
		{"%#d", "flag"},
		{"%,x", "flag"},
		{"%+x", "flag"},
		{"%+s", "flag"},
		{"%,e", "flag"},
		{"abc %", "ends inside"},
		{"%-05d", "both"},
		{"%<s", "no previous argument"},
		{"%0$s", "argument index"},
	} {
		if _, err := Parse(c.format); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q): error %v, want one containing %q", c.format, err, c.want)
		}
	}
	for _, c := range []struct {
		format string
		kinds  []Kind
		want   string
	}{
		{"%d", []Kind{Float}, "%d cannot format a double"},
		{"%f", []Kind{Int}, "%f cannot format a bigint"},
		{"%c", []Kind{String}, "%c cannot format a string"},
		{"%s %s", []Kind{String}, "no argument 2"},
		{"%3$s", []Kind{String, String}, "no argument 3"},
	} {
		fm, err := Parse(c.format)
		if err != nil {
			t.Fatal(err)
		}
		if err := fm.Check(c.kinds); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%q, %v): error %v, want one containing %q", c.format, c.kinds, err, c.want)
		}
	}
	fm, _ := Parse("%c")
	if _, _, err := fm.Append(nil, nil, []Value{i(-1)}); err == nil {
		t.Errorf("%%c of -1: no error")
	}
}
