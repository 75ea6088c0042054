"""The working calendar: which days are working days, for any year, and where that comes from."""
