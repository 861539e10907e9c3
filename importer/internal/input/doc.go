// Package input reads suppression lists: CSV and tab-separated text in
// the encodings spreadsheets and CRMs write (UTF-8 with or without a BOM,
// UTF-16, Windows-1252), and .xlsx/.xlsm workbooks, streaming each data
// row, numbered as a spreadsheet numbers it, through the validation of
// package rows. Reading goes on past a malformed row; a problem with the
// file or its header is a *SetupError, before any row is judged, and a
// file that is not what it is read as (a workbook piped in as CSV, an
// encrypted workbook, a CSV named .xlsx) is one that says what it is.
// What an input says is checked, not trusted: a row is never numbered
// as another, a sheet cut short is an error rather than the end, and a
// report's footer is left out with a warning rather than read as rows.
package input
