// Package importer turns suppression lists into Topo exclusions.
//
// Reading: NewReader (CSV and tab-separated text in any of the encodings
// Excel and CRMs write) and OpenWorkbook (.xlsx) stream validated Rows in
// input order, numbered as a spreadsheet numbers them. CheckAll records
// what validation alone says of each row.
//
// Sending: Import runs a pool of workers that send each valid Row through
// a RowSender (Sender creates; Planner only looks up), paced by one shared
// Pacer, journalled by a Ledger (Journal) so that a rerun resumes, and
// recorded in input order through a Recorder (report.Set in the CLI).
// Client is the only code that talks to Topo.
package importer
