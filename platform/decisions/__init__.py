"""The decision log: hash chain, appends (group commit), reading, replay and printable notices."""
