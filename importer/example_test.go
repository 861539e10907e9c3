package importer_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// Import a list into a fake Topo and read what came of each row. A Go
// program names its outputs (here only the report, on Env.Stdout) and
// hands in the key; nothing is written beside the input unless asked.
func Example() {
	topo := topotest.NewServer(topotest.Options{})
	defer topo.Close()
	list := "email,reason\nann@example.com,unsubscribed\nBob@Example.com,competitor\nnot-an-email,other\n"
	var report strings.Builder
	res, err := importer.Run(context.Background(), importer.Options{
		Command: importer.Import, Input: "-", Report: "-",
		Topo: importer.TopoOptions{BaseURL: topo.URL, Key: topotest.DefaultToken},
	}, importer.Env{Stdin: strings.NewReader(list), Stdout: &report})
	fmt.Println(res.Code, err)
	fmt.Println(res.Summary.Counts["created"], "created,", res.Summary.Counts["invalid"], "invalid")
	fmt.Println(len(topo.Records()), "records in Topo")
	// Output:
	// 1 some rows need action: see the failures file
	// 2 created, 1 invalid
	// 2 records in Topo
}
