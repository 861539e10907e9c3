// Package settle decides, per row, what to ask Topo and what its answers
// prove: Creator (import), Planner (plan) and Remover (remove), the
// reconciliation of a row with the record Topo holds, the snapshot Index
// and the Scan that reads Topo's whole list. A row is created, exists,
// extended, updated or removed only on Topo's own answer; where the
// answer was lost it is looked up, and where it cannot be, it is unknown.
package settle
