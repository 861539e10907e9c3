// Package rows is what a suppression list is made of: each Row as read
// (Fields) and normalised, the Validator that checks and deduplicates
// rows, the normalisers of emails, LinkedIn URLs, domains, reasons and
// expiry dates, and the Outcome a run writes for every row, with its
// Status.
package rows
