// Package pipeline is one pass of a list through Topo: rows are read in
// input order, those that need no request settled at once, the rest
// handed to a bounded pool of workers that run an Action on each, and
// every row's outcome recorded in input order. It knows nothing of what
// the actions ask Topo (package settle does): only of order, bounds,
// stops and the journal every write goes through first.
package pipeline
