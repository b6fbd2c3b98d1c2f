package dataset_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// contacts returns a small table of personal data: names, e-mail addresses, phones.
func contacts(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "name", Type: arrow.BinaryTypes.String},
		{Name: "email", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "phone", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"Ada", "Grace", "Linus"}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues(
		[]string{"ada@example.com", "grace.hopper@navy.example", ""}, []bool{true, true, false})
	b.Field(2).(*array.StringBuilder).AppendValues(
		[]string{"+44 20 7946 0958", "", "555-0100"}, []bool{true, false, true})
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// exampleKey is a key for the examples only: real keys come from a secret store
// (PseudonymKeyFromEnv), never from source code.
func exampleKey() dataset.PseudonymKey {
	k, err := dataset.NewPseudonymKey([]byte("an example key, at least 32 bytes long"))
	if err != nil {
		log.Fatal(err)
	}
	return k
}

func ExamplePseudonymKey_Token() {
	s := newSession()
	defer s.Close()
	email := dataset.Col("email")
	// The same address gives the same token in every run and session: tokens join
	// across tables. NULL stays NULL.
	printQuoted(contacts(s).Select(exampleKey().Token(email).As("email_token")))
	// Output:
	// "3cfbf131111f9cfcf6dd75c73067ade64a565471d823502dc9f41e96335de848"
	// "bc948210b761b1990e2f5c152a82c302c2ffce9ea9b798e650f2af065887f310"
	// (null)
}

func ExamplePseudonymKey_WithFormat() {
	s := newSession()
	defer s.Close()
	short := exampleKey().WithFormat(dataset.TokenBase64URL, 16)
	printQuoted(contacts(s).Select(short.Token(dataset.Col("email")).As("email_token")))
	// Output:
	// "PPvxMREfnPz23XXH"
	// "vJSCELdhsZkOL1wV"
	// (null)
}

func ExampleDataset_Pseudonymize() {
	s := newSession()
	defer s.Close()
	// email keeps its name and place; the addresses are gone from the result, and the
	// plan names the token, not the key.
	d := contacts(s).Pseudonymize(exampleKey().WithFormat(dataset.TokenHex, 16), "email").Drop("phone")
	printQuoted(d)
	fmt.Println(d.Explain()[:strings.Index(d.Explain(), "\n== Optimized")])
	// Output:
	// "Ada" "3cfbf131111f9cfc"
	// "Grace" "bc948210b761b199"
	// "Linus" (null)
	// == Logical Plan ==
	// Drop [phone]
	// +- WithColumns [pseudonym_token(email) AS email]
	//    +- Scan memory[memory]
}

func ExamplePseudonymKeyFromEnv() {
	// Deployments set the variable from a secret store; the example sets it itself.
	os.Setenv("EXAMPLE_PSEUDONYM_KEY", "short")
	_, err := dataset.PseudonymKeyFromEnv("EXAMPLE_PSEUDONYM_KEY")
	fmt.Println(err)
	os.Setenv("EXAMPLE_PSEUDONYM_KEY", "an example key, at least 32 bytes long")
	defer os.Unsetenv("EXAMPLE_PSEUDONYM_KEY")
	k, err := dataset.PseudonymKeyFromEnv("EXAMPLE_PSEUDONYM_KEY")
	fmt.Println(k, err)
	// Output:
	// dataset: pseudonym key: environment variable EXAMPLE_PSEUDONYM_KEY holds 5 bytes, fewer than the 32 a key needs (generate one with: openssl rand -base64 32)
	// PseudonymKey(<redacted>) <nil>
}

func ExampleMaskEmail() {
	s := newSession()
	defer s.Close()
	email := dataset.Col("email")
	printQuoted(contacts(s).Select(email, dataset.MaskEmail(email).As("shown")))
	// Output:
	// "ada@example.com" "***@example.com"
	// "grace.hopper@navy.example" "***@navy.example"
	// (null) (null)
}

func ExampleMaskExceptLast() {
	s := newSession()
	defer s.Close()
	phone := dataset.Col("phone")
	printQuoted(contacts(s).Select(phone, dataset.MaskExceptLast(phone, 4).As("shown")))
	// Output:
	// "+44 20 7946 0958" "************0958"
	// (null) (null)
	// "555-0100" "****0100"
}
