// Package keyset is a compact set of keys (emails, LinkedIn URLs,
// domains, ids) by their 64-bit hashes, each with the row it was first
// seen on: 12 bytes a key, outside the Go heap, flat at ten million keys.
// The duplicate check, the cron state and the snapshot index use it.
package keyset
