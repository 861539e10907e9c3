// Package topo is Topo's vocabulary as its API documentation gives it:
// the kinds of exclusion, an Exclusion record, the bodies of a create
// (Draft) and an update (Change), a page of the list endpoint. The HTTP
// client that speaks it is internal to package importer.
package topo
