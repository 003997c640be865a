"""A realistic fictional company site and a loopback DNS server, for tests and `techscaniq demo`."""
