// Package ledger is what a run that writes to Topo keeps on disk so that
// nothing is sent twice and nothing is lost: the journal (an intent made
// durable before each write, the outcome after), the cron state (the keys
// earlier runs settled), the locks that keep two runs apart, and the
// registry of runs by fingerprint in the user's state directory.
package ledger
