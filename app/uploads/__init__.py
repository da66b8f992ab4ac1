"""Spreadsheet uploads: hostile-file guards, a tolerant reader, and an all-or-nothing import."""
