// Package input reads suppression lists: CSV and tab-separated text in
// the encodings spreadsheets and CRMs write (UTF-8 with or without a BOM,
// UTF-16, Windows-1252), and .xlsx/.xlsm workbooks, streaming each data
// row, numbered as a spreadsheet numbers it, through the validation of
// package rows. Reading goes on past a malformed row; a problem with the
// file or its header is a *SetupError, before any row is judged.
package input
