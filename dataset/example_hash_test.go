package dataset_test

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

func ExampleMd5() {
	s := newSession()
	defer s.Close()
	city := dataset.Col("city")
	printQuoted(people(s).Select(city, dataset.Md5(city).As("md5")))
	// Output:
	// "London" "59ead8d1e124ccfb79f3ace06f43e703"
	// "New York" "87809c954948d8a20507bee3648281b3"
	// (null) (null)
	// "Zürich" "103a821a3a6a0b923c9f74a39662bb51"
}

func ExampleSha1() {
	s := newSession()
	defer s.Close()
	printQuoted(people(s).Select(dataset.Sha1(dataset.Lit("Spark")).As("sha1")).Limit(1))
	// Output:
	// "85f5955f4b27a9a4c2aab6ffe5d7189fc298b92c"
}

func ExampleSha2() {
	s := newSession()
	defer s.Close()
	city := dataset.Col("city")
	printQuoted(people(s).Select(city,
		dataset.Sha2(city, 224).As("sha224"),
		dataset.Sha2(city, 100).As("bad_bits")))
	// Output:
	// "London" "c64d8852343043cee80cad868464337c30fe85c200cf3cd11cf8f857" (null)
	// "New York" "0b964d5916eaf00d0742cdd9acca7acd65bc2f8dc8de8ec1f843242c" (null)
	// (null) (null) (null)
	// "Zürich" "16fe99168c57c4c059ad7134cf4a59e95f4577a26f73c4a97a0b439c" (null)
}

func ExampleHmacSha256() {
	s := newSession()
	defer s.Close()
	// The same city and key give the same pseudonym in every run.
	city := dataset.Col("city")
	printQuoted(people(s).Select(city, dataset.HmacSha256(city, "a secret key").As("city_id")))
	// Output:
	// "London" "032af722c4063ce870e5e148e7943cef4843d53a5396159b846e3d0d64a844d8"
	// "New York" "3c88aa22962374e05b4a0517eb99e6c72a2e05073cbaf2cc0b3965a8315e763b"
	// (null) (null)
	// "Zürich" "27567434e08820dbda6e791ba73de4a868d826b2e107aa85a37264f2b2bbd189"
}

func ExampleMask() {
	s := newSession()
	defer s.Close()
	name := dataset.Col("name")
	printQuoted(people(s).Select(name, dataset.Mask(name).As("masked"),
		dataset.Mask(dataset.Lit("Card 4111-1111")).As("card")))
	// Output:
	// "  ada LOVELACE " "  xxx XXXXXXXX " "Xxxx nnnn-nnnn"
	// "Grace Hopper" "Xxxxx Xxxxxx" "Xxxx nnnn-nnnn"
	// "zoë ünal" "xxx xxxx" "Xxxx nnnn-nnnn"
	// "" "" "Xxxx nnnn-nnnn"
}

func ExampleMaskWith() {
	s := newSession()
	defer s.Close()
	name := dataset.Col("name")
	// Upper-case letters kept, lower-case ones starred, digits and others kept.
	printQuoted(people(s).Select(name, dataset.MaskWith(name, "", "*", "", "").As("masked")))
	// Output:
	// "  ada LOVELACE " "  *** LOVELACE "
	// "Grace Hopper" "G**** H*****"
	// "zoë ünal" "*** ****"
	// "" ""
}

func ExampleHash() {
	s := newSession()
	defer s.Close()
	int32Lit := func(v int) dataset.Expr { return dataset.Lit(v).Cast(arrow.PrimitiveTypes.Int32) }
	printQuoted(people(s).Select(dataset.Col("city"), dataset.Col("age"),
		dataset.Hash(dataset.Col("city"), dataset.Col("age")).As("hash"),
		// Spark: SELECT hash('Spark', 123, 2) (ints) is -1321691492.
		dataset.Hash(dataset.Lit("Spark"), int32Lit(123), int32Lit(2)).As("spark")))
	// Output:
	// "London" 36 -116196889 -1321691492
	// "New York" 85 -2015624565 -1321691492
	// (null) 29 1174385200 -1321691492
	// "Zürich" (null) -761243618 -1321691492
}

func ExampleXxHash64() {
	s := newSession()
	defer s.Close()
	int32Lit := func(v int) dataset.Expr { return dataset.Lit(v).Cast(arrow.PrimitiveTypes.Int32) }
	printQuoted(people(s).Select(dataset.Col("city"),
		dataset.XxHash64(dataset.Col("city")).As("xxhash64"),
		// Spark: SELECT xxhash64('Spark', 123, 2) (ints) is 5602566077635097486.
		dataset.XxHash64(dataset.Lit("Spark"), int32Lit(123), int32Lit(2)).As("spark")))
	// Output:
	// "London" 6295289063536194633 5602566077635097486
	// "New York" -6376696262937960270 5602566077635097486
	// (null) 42 5602566077635097486
	// "Zürich" -2199928141300491114 5602566077635097486
}
